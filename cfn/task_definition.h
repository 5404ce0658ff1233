#pragma once

// A service's AWS::ECS::TaskDefinition: the search-domain init container, the init
// containers other builders contributed (secrets), and the service's own container with
// everything compose says about it (command, environment, healthcheck, user, working_dir,
// init, capabilities, ulimits, sysctls, stop_grace_period, labels, logging, mounts, ports).
//
// REQUIRES: the builders filling ServiceParts ran (secrets, volumes, capacity).

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

// Adds <Svc>TaskDefinition. `task_role_id` is empty when the service has no task role.
base::Status AddTaskDefinition(Context& ctx, const PlannedService& planned,
                               const std::string& task_role_id);

}  // namespace ecsync::cfn
