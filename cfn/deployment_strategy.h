#pragma once

// x-aws-deployment: how ECS replaces a service's tasks (docs/deployments/). Parsed and
// checked once, with the other service extensions; what needs the rest of the plan (a load
// balancer for linear and canary) is checked where the template is built
// (cfn/deployment_resources.h). Errors are kInvalid and name the service, file, line and key.
// Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cfn/json.h"

namespace ecsync::cfn {

enum class Strategy { kRolling, kBlueGreen, kLinear, kCanary };

// DeploymentConfiguration.Strategy: "ROLLING", "BLUE_GREEN", "LINEAR", "CANARY".
const char* StrategyName(Strategy strategy);

// linear: {percent, bake_minutes} (a step) or canary: {percent, bake_minutes} (the first
// shift). Unset fields are ECS's defaults.
struct TrafficShift {
  std::optional<double> percent;    // a multiple of 0.1
  std::optional<int> bake_minutes;  // 0-1440
};

// One entry of hooks: a Lambda function ECS invokes at the given lifecycle stages.
struct DeploymentHook {
  std::string function;             // the function's ARN
  std::vector<std::string> stages;  // e.g. PRE_SCALE_UP; at least one
  Json details;                     // HookDetails passed to each invocation, or null
};

struct DeploymentSpec {
  Strategy strategy = Strategy::kRolling;
  std::optional<int> bake_minutes;  // BakeTimeInMinutes: old and new revisions both run
  std::optional<TrafficShift> linear;
  std::optional<TrafficShift> canary;
  std::vector<std::string> alarms;  // CloudWatch alarm names: any in ALARM rolls back
  std::vector<DeploymentHook> hooks;
  bool manual_approval = false;  // approval: manual

  // Every strategy but rolling runs the new revision beside the old one and moves traffic.
  bool ShiftsTraffic() const { return strategy != Strategy::kRolling; }
};

// The lifecycle stage at which `approval: manual` holds a deployment: the new revision
// runs and has all test traffic, production traffic has not moved yet.
inline constexpr char kApprovalStage[] = "POST_TEST_TRAFFIC_SHIFT";

// The service's x-aws-deployment, or nullopt when absent. `where` prefixes error messages
// (e.g. `service "web" (compose.yaml:3:3)`).
base::Result<std::optional<DeploymentSpec>> ParseDeployment(const Json& extensions,
                                                            const std::string& where);

}  // namespace ecsync::cfn
