#pragma once

// CloudFormation logical IDs of the resources Convert emits. They follow Docker's ECS
// integration so that a stack created by `docker compose up` on ECS keeps its resources
// when ecsync takes it over. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ecsync::cfn {

// Logical IDs of the resources shared by the whole project.
inline constexpr char kClusterId[] = "Cluster";
inline constexpr char kLogGroupId[] = "LogGroup";
inline constexpr char kCloudMapId[] = "CloudMap";
inline constexpr char kLoadBalancerId[] = "LoadBalancer";
inline constexpr char kDefaultNetworkId[] = "DefaultNetwork";
inline constexpr char kDefaultNetworkIngressId[] = "DefaultNetworkIngress";
// Associates the cluster with the capacity providers the services name (FARGATE_SPOT, GPU).
inline constexpr char kCapacityProvidersId[] = "CapacityProviderAssociations";
// GPU capacity: one EC2 capacity provider for the project (cfn/capacity.h).
inline constexpr char kGpuCapacityProviderId[] = "CapacityProvider";
inline constexpr char kGpuAutoScalingGroupId[] = "AutoscalingGroup";
inline constexpr char kGpuLaunchTemplateId[] = "LaunchTemplate";
inline constexpr char kGpuInstanceRoleId[] = "EC2InstanceRole";
inline constexpr char kGpuInstanceProfileId[] = "EC2InstanceProfile";

// A compose name in logical-ID form, as Docker builds it: every character outside
// [A-Za-z0-9] is dropped, then the first character is upper-cased
// ("simple" -> "Simple", "my-web_app" -> "Mywebapp"). Empty when nothing is left.
// Distinct names can map to the same part ("my-app", "my_app"); callers must detect that.
std::string LogicalIdPart(std::string_view name);

// Per-service resources; `service` is the compose service name.
std::string ServiceId(std::string_view service);                // "SimpleService"
std::string TaskDefinitionId(std::string_view service);         // "SimpleTaskDefinition"
std::string TaskExecutionRoleId(std::string_view service);      // "SimpleTaskExecutionRole"
std::string ServiceDiscoveryEntryId(std::string_view service);  // "SimpleServiceDiscoveryEntry"
// The sidecar container that writes the Cloud Map search domain into resolv.conf.
std::string ResolvConfContainerName(std::string_view service);  // "Simple_ResolvConf_InitContainer"

// Per exposed port; `protocol` is the compose protocol ("tcp"/"udp"), upper-cased in the ID.
std::string TargetGroupId(std::string_view service, std::string_view protocol,
                          uint32_t port);  // "SimpleTCP80TargetGroup"
std::string ListenerId(std::string_view service, std::string_view protocol,
                       uint32_t port);  // "SimpleTCP80Listener"
// Ingress rule opening `port` on the default network's security group.
std::string PortIngressId(uint32_t port);  // "Default80Ingress"

// Per compose network: its security group and the rule letting members talk.
std::string NetworkId(std::string_view network);         // "DefaultNetwork", "BackNetwork"
std::string NetworkIngressId(std::string_view network);  // "DefaultNetworkIngress"
// Ingress rule opening `port` on a network's security group; "udp" puts "UDP" after the
// port ("Back53UDPIngress"), for a UDP rule beside a TCP rule of the same number.
std::string NetworkPortIngressId(std::string_view network, uint32_t port,
                                 std::string_view protocol);  // "Default80Ingress"

// Per service, beyond Docker's basic set.
std::string TaskRoleId(std::string_view service);            // "SimpleTaskRole"
std::string ScalableTargetId(std::string_view service);      // "SimpleScalableTarget"
std::string ScalingPolicyId(std::string_view service);       // "SimpleScalingPolicy"
std::string AutoScalingRoleId(std::string_view service);     // "SimpleAutoScalingRole"
std::string SecretsContainerName(std::string_view service);  // "Simple_Secrets_InitContainer"
// The containers that put repository files into place (cfn/task_files.h): one writer, and one
// seed per volume that starts from the image's directory.
std::string FilesContainerName(std::string_view service);       // "Simple_Files_InitContainer"
std::string FilesFetchContainerName(std::string_view service);  // "Simple_FilesFetch_InitContainer"
std::string FilesSeedContainerName(std::string_view service,
                                   size_t volume);  // "Simple_Files0Seed_InitContainer"
// An HTTP listener on `port` that redirects to the HTTPS listener (443, or the one HTTPS port).
std::string RedirectListenerId(uint32_t port);  // "HTTP80RedirectListener"

// Per compose secret and volume.
std::string SecretId(std::string_view secret);              // "DbpasswordSecret"
std::string SecretValueParameter(std::string_view secret);  // "DbpasswordSecretValue"
std::string FileSystemId(std::string_view volume);          // "DataFilesystem"
std::string AccessPointId(std::string_view volume);         // "DataAccessPoint"
// A mount target of the volume's file system in one subnet ("subnet-0a1b" -> "Subnet0a1b").
std::string MountTargetId(std::string_view volume, std::string_view subnet);
// "DataNFSMountTargetOnSubnet0a1b"

}  // namespace ecsync::cfn
