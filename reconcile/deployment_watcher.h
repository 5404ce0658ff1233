#pragma once

// Follows the ECS service deployments behind a stack operation (docs/deployments/): a
// blue/green, linear or canary deployment keeps its CloudFormation update in progress until
// ECS finishes, through test traffic, traffic shifts, bake time and a pause for approval.
// While the stack waits, each look reports what changed as a progress line:
//   service WebService: CANARY deployment at PRODUCTION_TRAFFIC_SHIFT (10% of production
//     traffic)
//   service WebService: BLUE_GREEN deployment waiting for approval at
//     POST_TEST_TRAFFIC_SHIFT; run `ecsync approve <stack>` (or `--rollback`)
//   service WebService: CANARY deployment rolling back: alarm web-5xx fired
// Services are named by logical ID, as the stack events name them.
// Rolling deployments (the default) are not reported: the stack events tell their story.
// Not thread-safe; one per wait.

#include <map>
#include <set>
#include <string>

#include "aws/cloudformation.h"
#include "aws/ecs.h"
#include "base/result.h"
#include "reconcile/progress.h"

namespace ecsync::reconcile {

class DeploymentWatcher {
 public:
  // `cfn` and `ecs` must outlive this.
  DeploymentWatcher(aws::CloudFormation& cfn, aws::Ecs& ecs, ProgressSink sink)
      : cfn_(cfn), ecs_(ecs), sink_(std::move(sink)) {}

  // One look at the newest deployment of every ECS service of `stack` (nested stacks
  // included): one ListServiceDeployments per service and one DescribeServiceDeployments for
  // them all, skipping rolling deployments already seen to have nothing to report. Reports a
  // line per service whose deployment changed since the last look.
  // AWS errors are returned; the caller treats the look as best effort.
  base::Status Check(const std::string& stack);

 private:
  aws::CloudFormation& cfn_;
  aws::Ecs& ecs_;
  ProgressSink sink_;
  std::map<std::string, std::string> last_;  // the last line reported, by logical ID
  std::set<std::string> quiet_;              // "<deployment ARN> <status>" with nothing to say
};

// The progress line for one deployment of `service` in `stack`; empty for a rolling one
// with nothing unusual to say.
std::string DescribeDeployment(const std::string& stack, const std::string& service,
                               const aws::EcsServiceDeployment& deployment);

}  // namespace ecsync::reconcile
