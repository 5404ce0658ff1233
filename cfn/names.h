#pragma once

// CloudFormation logical IDs of the resources Convert emits. They follow Docker's ECS
// integration so that a stack created by `docker compose up` on ECS keeps its resources
// when ecsync takes it over. Pure functions; thread-safe.

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

}  // namespace ecsync::cfn
