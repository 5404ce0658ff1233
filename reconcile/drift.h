#pragma once

#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"
#include "reconcile/stack_waiter.h"

namespace ecsync::reconcile {

// What one drift detection found on a stack.
struct DriftReport {
  std::string stack;
  std::string status;  // DRIFTED | IN_SYNC | UNKNOWN (CloudFormation's StackDriftStatus)
  // Resources whose drift status is MODIFIED or DELETED, with their property differences.
  std::vector<aws::ResourceDrift> drifted;
};

// Runs DetectStackDrift on `stack` and polls its status every wait.poll_interval until the
// detection completes (up to wait.timeout, then kTransient), then lists the drifted
// resources. kConflict when the stack is busy (CloudFormation refuses detection during an
// operation); a failed detection is kTransient with CloudFormation's reason.
base::Result<DriftReport> DetectDrift(aws::CloudFormation& cfn, base::Clock& clock,
                                      const std::string& stack, const WaitOptions& wait);

// One line for humans: "2 resources drifted: Service (MODIFIED: /DesiredCount 1 -> 3), ...".
std::string DescribeDrift(const DriftReport& report);

}  // namespace ecsync::reconcile
