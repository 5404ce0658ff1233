#pragma once

// Where tasks run besides plain Fargate. Services with x-ecsync-capacity_providers (or the
// `node.lifecycle == spot` placement constraint) get that strategy (FARGATE_SPOT). Services
// reserving GPUs run on one EC2 capacity provider for the project: an instance role and
// profile, a launch template (the ECS GPU AMI from SSM, or node.ami; the smallest g4dn
// type that fits, or node.machine), an auto scaling group in the task subnets and the
// CapacityProvider with managed scaling. Fills ServiceParts::capacity_provider_strategy.
//
// REQUIRES: AddNetworks ran. Must run before AddProjectResources.

#include <string>

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddCapacity(Context& ctx);

// The smallest g4dn instance type with at least `gpus` GPUs, `vcpus` vCPUs and
// `memory_mib` MiB, or "" when none is big enough.
std::string SmallestGpuInstanceType(int gpus, double vcpus, int64_t memory_mib);

}  // namespace ecsync::cfn
