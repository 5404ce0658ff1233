#pragma once

// Fargate task sizes: the CPU/memory combinations Fargate accepts, and the choice of the
// smallest one that satisfies a service's requested resources. Thread-safe.

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"

namespace ecsync::cfn {

struct TaskSize {
  int cpu_units = 0;  // 1024 units = 1 vCPU
  int memory_mib = 0;
  bool operator==(const TaskSize&) const = default;
};

// Every valid Linux Fargate combination (platform 1.4.0), ordered by CPU, then memory.
const std::vector<TaskSize>& FargateTaskSizes();

// The first entry of FargateTaskSizes() with at least `cpus` vCPUs and `memory_bytes`
// bytes; an absent or zero request asks for nothing, so no request gives 256/512.
// kInvalid when a request is negative or not finite, or larger than Fargate's biggest
// task (16 vCPU, 120 GiB).
base::Result<TaskSize> SmallestFargateTaskSize(std::optional<double> cpus,
                                               std::optional<int64_t> memory_bytes);

}  // namespace ecsync::cfn
