#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "aws/ecs.h"
#include "base/result.h"

namespace ecsync::reconcile {

// Notices, while CloudFormation waits for ECS services to stabilize (which takes up to
// hours before it gives up), that a service's new tasks keep stopping, so the deploy can be
// ended early with the tasks' own reason ("CannotPullContainerError: ...", "Essential
// container in task exited"). Not thread-safe.
class CrashDetector {
 public:
  // A service counts as crashing once `threshold` tasks of its newest task definition have
  // stopped on their own (a stop a user asked for does not count).
  CrashDetector(aws::CloudFormation& cfn, aws::Ecs& ecs, int threshold = 3)
      : cfn_(cfn), ecs_(ecs), threshold_(threshold) {}

  // One look at every ECS service of `stack` and of its nested stacks: a sentence naming the
  // service, how many tasks stopped and the last stop reason, or nullopt while nothing is
  // crashing. Services not created yet are skipped.
  base::Result<std::optional<std::string>> Check(const std::string& stack);

 private:
  aws::CloudFormation& cfn_;
  aws::Ecs& ecs_;
  int threshold_;
};

}  // namespace ecsync::reconcile
