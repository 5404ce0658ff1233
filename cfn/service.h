#pragma once

// Per compose service: the task execution role (image pulls, logs, secret reads), the
// task role when the service needs AWS permissions (x-aws-role, x-aws-policies, EFS,
// ECS Exec), the task definition, the Cloud Map entry and the AWS::ECS::Service with its
// deployment settings (rolling-update percentages, circuit breaker with rollback, health
// check grace period, capacity providers, ECS Exec, depends_on ordering).
//
// REQUIRES: every builder contributing ServiceParts ran.

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddServices(Context& ctx);

}  // namespace ecsync::cfn
