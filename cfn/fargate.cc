#include "cfn/fargate.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ecsync::cfn {
namespace {

struct CpuRow {
  int cpu_units;
  int min_mib;
  int max_mib;
  int step_mib;
};

// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
constexpr CpuRow kRows[] = {
    {256, 512, 2048, 0},  // 512, 1024, 2048: the only row that is not an arithmetic run
    {512, 1024, 4096, 1024},   {1024, 2048, 8192, 1024},   {2048, 4096, 16384, 1024},
    {4096, 8192, 30720, 1024}, {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192},
};

std::vector<TaskSize> BuildTable() {
  std::vector<TaskSize> sizes;
  for (const CpuRow& row : kRows) {
    if (row.step_mib == 0) {
      for (int mib : {512, 1024, 2048}) sizes.push_back({row.cpu_units, mib});
      continue;
    }
    for (int mib = row.min_mib; mib <= row.max_mib; mib += row.step_mib) {
      sizes.push_back({row.cpu_units, mib});
    }
  }
  return sizes;
}

}  // namespace

const std::vector<TaskSize>& FargateTaskSizes() {
  static const std::vector<TaskSize> kSizes = BuildTable();
  return kSizes;
}

base::Result<TaskSize> SmallestFargateTaskSize(std::optional<double> cpus,
                                               std::optional<int64_t> memory_bytes) {
  int64_t want_cpu = 0;
  if (cpus) {
    if (!std::isfinite(*cpus) || *cpus < 0) {
      return base::InvalidError("cpus must be a non-negative number, got " + std::to_string(*cpus));
    }
    // A small tolerance keeps 0.5 * 1024 at 512 despite binary rounding.
    want_cpu = static_cast<int64_t>(std::ceil(std::min(*cpus, 1e6) * 1024.0 - 1e-6));
  }
  int64_t want_mib = 0;
  if (memory_bytes) {
    if (*memory_bytes < 0) {
      return base::InvalidError("memory must not be negative, got " +
                                std::to_string(*memory_bytes));
    }
    constexpr int64_t kMiB = int64_t{1024} * 1024;
    want_mib = *memory_bytes / kMiB + (*memory_bytes % kMiB != 0 ? 1 : 0);
  }
  for (const TaskSize& size : FargateTaskSizes()) {
    if (size.cpu_units >= want_cpu && size.memory_mib >= want_mib) return size;
  }
  return base::InvalidError("no Fargate task size has " + std::to_string(want_cpu) +
                            " CPU units and " + std::to_string(want_mib) +
                            " MiB; the largest is 16384 units (16 vCPU) with 122880 MiB");
}

}  // namespace ecsync::cfn
