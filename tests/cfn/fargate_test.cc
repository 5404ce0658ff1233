#include "cfn/fargate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

namespace ecsync::cfn {
namespace {

constexpr int64_t kMiB = int64_t{1024} * 1024;
constexpr int64_t kGiB = 1024 * kMiB;

TaskSize Size(std::optional<double> cpus, std::optional<int64_t> memory) {
  base::Result<TaskSize> size = SmallestFargateTaskSize(cpus, memory);
  EXPECT_TRUE(size.ok()) << size.status().ToString();
  return size.ok() ? *size : TaskSize{};
}

TEST(Fargate, TableHasEveryDocumentedCombination) {
  const std::vector<TaskSize>& sizes = FargateTaskSizes();
  // 3 + 4 + 7 + 13 + 23 + 12 + 12
  EXPECT_EQ(sizes.size(), 74u);
  EXPECT_EQ(sizes.front(), (TaskSize{256, 512}));
  EXPECT_EQ(sizes.back(), (TaskSize{16384, 122880}));
  for (size_t i = 1; i < sizes.size(); ++i) {
    bool ordered = sizes[i - 1].cpu_units < sizes[i].cpu_units ||
                   (sizes[i - 1].cpu_units == sizes[i].cpu_units &&
                    sizes[i - 1].memory_mib < sizes[i].memory_mib);
    EXPECT_TRUE(ordered) << i;
  }
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), TaskSize{256, 1536}), 0);
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), TaskSize{4096, 30720}), 1);
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), TaskSize{8192, 20480}), 1);
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), TaskSize{8192, 18432}), 0);
}

TEST(Fargate, NoRequestGivesTheSmallestTask) {
  EXPECT_EQ(Size(std::nullopt, std::nullopt), (TaskSize{256, 512}));
  EXPECT_EQ(Size(0.0, 0), (TaskSize{256, 512}));
}

TEST(Fargate, PicksSmallestCpuThenMemoryThatFits) {
  EXPECT_EQ(Size(0.25, 512 * kMiB), (TaskSize{256, 512}));
  EXPECT_EQ(Size(0.1, std::nullopt), (TaskSize{256, 512}));
  EXPECT_EQ(Size(0.5, 2 * kGiB), (TaskSize{512, 2048}));            // the docs' example
  EXPECT_EQ(Size(0.5, 2048 * 1000 * 1000), (TaskSize{512, 2048}));  // 2048M ≈ 1953 MiB
  EXPECT_EQ(Size(std::nullopt, 600 * kMiB), (TaskSize{256, 1024}));
  EXPECT_EQ(Size(std::nullopt, 3 * kGiB), (TaskSize{512, 3072}));
  EXPECT_EQ(Size(std::nullopt, 5 * kGiB), (TaskSize{1024, 5120}));
  EXPECT_EQ(Size(1.0, std::nullopt), (TaskSize{1024, 2048}));
  EXPECT_EQ(Size(1.5, std::nullopt), (TaskSize{2048, 4096}));
  EXPECT_EQ(Size(4, 31 * kGiB), (TaskSize{8192, 32768}));
  EXPECT_EQ(Size(16, 120 * kGiB), (TaskSize{16384, 122880}));
  EXPECT_EQ(Size(std::nullopt, 512 * kMiB + 1), (TaskSize{256, 1024}));  // rounds up
}

TEST(Fargate, RejectsWhatFargateCannotRun) {
  EXPECT_EQ(SmallestFargateTaskSize(17, std::nullopt).status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(SmallestFargateTaskSize(std::nullopt, 121 * kGiB).status().kind(),
            base::ErrorKind::kInvalid);
  EXPECT_EQ(SmallestFargateTaskSize(-1, std::nullopt).status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(SmallestFargateTaskSize(std::nullopt, -5).status().kind(), base::ErrorKind::kInvalid);
  EXPECT_FALSE(
      SmallestFargateTaskSize(std::numeric_limits<double>::quiet_NaN(), std::nullopt).ok());
  EXPECT_FALSE(SmallestFargateTaskSize(std::numeric_limits<double>::infinity(), std::nullopt).ok());
}

}  // namespace
}  // namespace ecsync::cfn
