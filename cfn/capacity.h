#pragma once

// Where tasks run besides plain Fargate. Services with x-ecsync-capacity_providers (or the
// `node.lifecycle == spot` placement constraint) get that strategy (FARGATE_SPOT). Services
// reserving GPUs run on one EC2 capacity provider for the project: an instance role and
// profile, a launch template (the ECS GPU AMI from SSM, or node.ami; the smallest g4dn
// type that fits, or node.machine; instances and volumes tagged), an auto scaling group in
// the task subnets and the CapacityProvider with managed scaling. Fills
// ServiceParts::capacity_provider_strategy. A GPU service is kInvalid with x-aws-cluster
// (the provider could only be associated by taking over the cluster's provider list), with
// an ARM64 platform (g4dn is x86_64) or with x-ecsync-ephemeral_storage (Fargate only).
//
// REQUIRES: AddNetworks ran. Must run before AddProjectResources.

#include <cstdint>
#include <string>

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddCapacity(Context& ctx);

// The memory ECS can place tasks in on an instance sold with `instance_memory_mib`: that
// less max(512 MiB, 6 % rounded up), for the kernel, the OS and the ECS agent.
int64_t GpuInstanceTaskMemoryMib(int64_t instance_memory_mib);

// The smallest g4dn instance type with at least `gpus` GPUs, `vcpus` vCPUs and room for a
// `memory_mib` MiB task (GpuInstanceTaskMemoryMib), or "" when none is big enough.
std::string SmallestGpuInstanceType(int gpus, double vcpus, int64_t memory_mib);

}  // namespace ecsync::cfn
