#pragma once

// Resources the whole project shares: the ECS cluster (unless x-aws-cluster names an
// existing one) and its capacity providers, the log group (x-aws-logs_retention) and the
// Cloud Map namespace `<project>.local`, plus the IsUsEast1 condition.

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

// REQUIRES: every service's ServiceParts::capacity_provider_strategy is final.
base::Status AddProjectResources(Context& ctx);

}  // namespace ecsync::cfn
