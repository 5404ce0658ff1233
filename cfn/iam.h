#pragma once

// IAM policy documents shared by the builders that create roles. Pure; thread-safe.

#include <string>

#include "cfn/json.h"

namespace ecsync::cfn {

// A trust policy letting the AWS service `principal` (e.g. "ecs-tasks.amazonaws.com")
// assume the role.
Json AssumeRole(const char* principal);

// An inline policy of a role: {PolicyDocument: {Statement, Version}, PolicyName}.
Json Policy(const std::string& name, Json statements);

}  // namespace ecsync::cfn
