#pragma once

// The `x-*` extensions the converter reads, parsed and checked once: Docker's `x-aws-*`
// (docs/mapping.md) and ecsync's own `x-ecsync-*` (docs/extensions.md). Unknown `x-*`
// keys are ignored, as compose does. Errors are kInvalid and name the key. Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cfn/deployment_strategy.h"
#include "cfn/json.h"
#include "compose/model.h"

namespace ecsync::cfn {

// x-aws-autoscaling: {min, max, cpu | memory} (target utilization in percent).
struct AutoscalingSpec {
  int min = 1;
  int max = 1;
  std::optional<int> cpu;
  std::optional<int> memory;
};

// One entry of x-ecsync-capacity_providers.
struct CapacityProviderItem {
  std::string provider;  // FARGATE or FARGATE_SPOT
  int base = 0;
  int weight = 1;
};

// x-ecsync-target_health: the load balancer's health check of the service's targets.
struct TargetHealthSpec {
  std::string path;     // HTTP only
  std::string matcher;  // HTTP codes, e.g. "200-399"
  std::optional<int> interval_seconds;
  std::optional<int> timeout_seconds;
  std::optional<int> healthy_threshold;
  std::optional<int> unhealthy_threshold;
};

struct ProjectExtensions {
  std::string cluster;                      // x-aws-cluster: an existing cluster's name or ARN
  std::string vpc;                          // x-aws-vpc: vpc-…
  std::string load_balancer;                // x-aws-loadbalancer: an existing load balancer's
                                            // name or ARN; its ARN after PlanProject
  std::optional<int> logs_retention_days;   // x-aws-logs_retention
  Json cloudformation;                      // x-aws-cloudformation: an object, or null
  std::string certificate_arn;              // x-ecsync-certificate
  bool redirect_http = false;               // x-ecsync-redirect_http
  std::vector<std::string> subnets;         // x-ecsync-subnets: where the tasks run
  std::vector<std::string> public_subnets;  // x-ecsync-public_subnets: the load balancer's
  std::optional<bool> assign_public_ip;     // x-ecsync-assign_public_ip
  // x-aws-service-connect: true or {enabled: true}: services reach each other through ECS
  // Service Connect in the project's Cloud Map namespace instead of its DNS records.
  bool service_connect = false;
};

struct ServiceExtensions {
  Json role;                                     // x-aws-role: an IAM policy document, or null
  std::vector<std::string> policies;             // x-aws-policies: managed policy ARNs
  std::string pull_credentials;                  // x-aws-pull_credentials: a secret's ARN
  std::optional<AutoscalingSpec> autoscaling;    // deploy.x-aws-autoscaling (or service-level)
  std::optional<int> min_percent;                // x-aws-min_percent
  std::optional<int> max_percent;                // x-aws-max_percent
  std::optional<int> health_check_grace_period;  // x-ecsync-health_check_grace_period (s)
  bool circuit_breaker = true;                   // x-ecsync-circuit_breaker
  bool exec = false;                             // x-ecsync-exec
  std::optional<int> ephemeral_storage_gib;      // x-ecsync-ephemeral_storage
  std::vector<CapacityProviderItem> capacity_providers;  // x-ecsync-capacity_providers
  std::optional<TargetHealthSpec> target_health;         // x-ecsync-target_health
  std::optional<DeploymentSpec> deployment;              // x-aws-deployment
  // x-aws-version-consistency: the container's VersionConsistency, "enabled" (ECS pins the
  // image's digest at deployment) or "disabled"; empty when not given.
  std::string version_consistency;
  // x-aws-az-rebalancing: the service's AvailabilityZoneRebalancing, "ENABLED" or
  // "DISABLED"; empty when not given.
  std::string az_rebalancing;
};

base::Result<ProjectExtensions> ParseProjectExtensions(const compose::Project& project);
// `where` prefixes error messages (e.g. `service "web" (compose.yaml:3:3)`).
base::Result<ServiceExtensions> ParseServiceExtensions(const compose::Service& service,
                                                       const std::string& where);
// x-aws-keys of a secret: the JSON keys to write as separate files. Empty when absent;
// exactly {kAllSecretKeys} for ["*"] (every top-level key, known only at run time). "*" with
// named keys is kInvalid.
inline constexpr char kAllSecretKeys[] = "*";
base::Result<std::vector<std::string>> ParseSecretKeys(const compose::FileObjectConfig& secret,
                                                       const std::string& where);

}  // namespace ecsync::cfn
