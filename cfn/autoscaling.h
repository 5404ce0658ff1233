#pragma once

// x-aws-autoscaling: per service a scalable target on the ECS service's desired count
// (min..max), a target-tracking policy on average CPU or memory utilization, and the role
// Application Auto Scaling uses. REQUIRES: AddServices ran.

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddAutoscaling(Context& ctx);

}  // namespace ecsync::cfn
