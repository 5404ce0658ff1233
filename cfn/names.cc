#include "cfn/names.h"

#include "base/strings.h"

#include <cctype>

namespace ecsync::cfn {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string LogicalIdPart(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (IsAsciiAlnum(c)) out.push_back(c);
  }
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string ServiceId(std::string_view service) { return LogicalIdPart(service) + "Service"; }

std::string TaskDefinitionId(std::string_view service) {
  return LogicalIdPart(service) + "TaskDefinition";
}

std::string TaskExecutionRoleId(std::string_view service) {
  return LogicalIdPart(service) + "TaskExecutionRole";
}

std::string ServiceDiscoveryEntryId(std::string_view service) {
  return LogicalIdPart(service) + "ServiceDiscoveryEntry";
}

std::string ResolvConfContainerName(std::string_view service) {
  return LogicalIdPart(service) + "_ResolvConf_InitContainer";
}

std::string TargetGroupId(std::string_view service, std::string_view protocol, uint32_t port) {
  return LogicalIdPart(service) + base::AsciiUpper(protocol) + std::to_string(port) + "TargetGroup";
}

std::string ListenerId(std::string_view service, std::string_view protocol, uint32_t port) {
  return LogicalIdPart(service) + base::AsciiUpper(protocol) + std::to_string(port) + "Listener";
}

std::string PortIngressId(uint32_t port) { return "Default" + std::to_string(port) + "Ingress"; }

std::string NetworkId(std::string_view network) { return LogicalIdPart(network) + "Network"; }

std::string NetworkIngressId(std::string_view network) {
  return LogicalIdPart(network) + "NetworkIngress";
}

std::string NetworkPortIngressId(std::string_view network, uint32_t port,
                                 std::string_view protocol) {
  return LogicalIdPart(network) + std::to_string(port) + (protocol == "udp" ? "UDP" : "") +
         "Ingress";
}

std::string TaskRoleId(std::string_view service) { return LogicalIdPart(service) + "TaskRole"; }

std::string ScalableTargetId(std::string_view service) {
  return LogicalIdPart(service) + "ScalableTarget";
}

std::string ScalingPolicyId(std::string_view service) {
  return LogicalIdPart(service) + "ScalingPolicy";
}

std::string AutoScalingRoleId(std::string_view service) {
  return LogicalIdPart(service) + "AutoScalingRole";
}

std::string SecretsContainerName(std::string_view service) {
  return LogicalIdPart(service) + "_Secrets_InitContainer";
}

std::string FilesContainerName(std::string_view service) {
  return LogicalIdPart(service) + "_Files_InitContainer";
}

std::string FilesFetchContainerName(std::string_view service) {
  return LogicalIdPart(service) + "_FilesFetch_InitContainer";
}

std::string FilesSeedContainerName(std::string_view service, size_t volume) {
  return LogicalIdPart(service) + "_Files" + std::to_string(volume) + "Seed_InitContainer";
}

std::string RedirectListenerId(uint32_t port) {
  return "HTTP" + std::to_string(port) + "RedirectListener";
}

std::string SecretId(std::string_view secret) { return LogicalIdPart(secret) + "Secret"; }

std::string SecretValueParameter(std::string_view secret) {
  return LogicalIdPart(secret) + "SecretValue";
}

std::string FileSystemId(std::string_view volume) { return LogicalIdPart(volume) + "Filesystem"; }

std::string AccessPointId(std::string_view volume) { return LogicalIdPart(volume) + "AccessPoint"; }

std::string MountTargetId(std::string_view volume, std::string_view subnet) {
  return LogicalIdPart(volume) + "NFSMountTargetOn" + LogicalIdPart(subnet);
}

}  // namespace ecsync::cfn
