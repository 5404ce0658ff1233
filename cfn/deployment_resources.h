#pragma once

// What x-aws-deployment (cfn/deployment_strategy.h) adds to the template:
//
// - the ECS service's DeploymentConfiguration: Strategy, BakeTimeInMinutes, the linear or
//   canary step, Alarms (Enable and Rollback), LifecycleHooks; the circuit breaker only where
//   ECS runs it (rolling and blue/green);
// - behind the load balancer, per listener of the service: an alternate target group beside
//   the primary one, a production rule (every path) and a test rule (header
//   X-Ecsync-Test: true) forwarding to both, weighted 100/0, and the AdvancedConfiguration
//   that lets ECS move the weights (behind a network load balancer, the listener's own
//   forward action, and no test rule);
// - <Svc>DeploymentRole, the role ECS assumes to move them and to invoke the hooks;
// - for approval: manual, a Lambda hook at POST_TEST_TRAFFIC_SHIFT that holds the
//   deployment until the parameter /ecsync/<stack>/<service>/approval names the revision
//   being deployed (docs/deployments/approval.md).
//
// A service without x-aws-deployment gets exactly what it got before the extension existed.

#include <map>
#include <string>

#include "base/result.h"
#include "cfn/context.h"
#include "cfn/plan.h"

namespace ecsync::cfn {

// The header that routes a request to the test listener rule, and its value.
inline constexpr char kTestTrafficHeader[] = "X-Ecsync-Test";
inline constexpr char kTestTrafficValue[] = "true";

// The ECS service's DeploymentConfiguration with the rolling-update bounds given, adding
// the roles and functions it refers to. kInvalid (naming the service) for a strategy the
// service cannot use, e.g. linear or canary without a load balancer.
// REQUIRES: AddLoadBalancing ran.
base::Result<Json> DeploymentConfiguration(Context& ctx, const PlannedService& planned,
                                           int min_percent, int max_percent);

// For a service whose strategy shifts traffic: the alternate target group of `group_id`,
// the production and test rules on `listener_id`, and the AdvancedConfiguration of the
// service's LoadBalancers entry for `group_id`. Does nothing for a rolling service.
// On a network load balancer the listener itself forwards to both groups and is the
// production "rule"; there is no test rule. kInvalid when the target group is reached from a
// second listener (ECS shifts one production rule per target group).
// REQUIRES: the target group, its LoadBalancers entry and the listener were added.
base::Status AddTrafficShift(Context& ctx, const PlannedService& planned,
                             const std::string& group_id, const std::string& listener_id);

// Each ECS service's deployment strategy in a template (JSON text), by compose service name
// (its com.docker.compose.service tag, else its logical ID): "ROLLING" when the template names
// none. Empty for text that is not a template. For `ecsync plan`.
std::map<std::string, std::string> ServiceStrategies(const std::string& template_body);

}  // namespace ecsync::cfn
