#pragma once

// What compose says about how a service's container starts and restarts, beyond its
// command: `restart` (or deploy.restart_policy) as the container's ECS RestartPolicy, and
// `pre_start` steps as init containers the service's container waits for.

#include "base/result.h"
#include "cfn/context.h"
#include "cfn/plan.h"

namespace ecsync::cfn {

// DependsOn entries for every init container in `parts`, in order, each with its
// init_conditions entry or SUCCESS.
Json WaitForInitContainers(const ServiceParts& parts);

// The container's RestartPolicy, or null when compose asks for none (no `restart`, `no`, or
// condition none), which keeps the container definition as it was before the mapping.
// deploy.restart_policy.condition wins over `restart`. ECS restarts essential containers in
// place too. kInvalid for a value compose does not define.
base::Result<Json> ContainerRestartPolicy(const PlannedService& planned);

// One non-essential init container per `pre_start` step, in order, each waiting for the init
// containers before it; the service's container waits for each to exit 0 (SUCCESS). Same
// image, user, working directory, environment and mounts as the service unless the step says
// otherwise. REQUIRES: the builders adding volumes and other init containers ran.
base::Status AddPreStartContainers(Context& ctx);

}  // namespace ecsync::cfn
