#include "base/memory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace ecsync::base {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizedAllocator = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizedAllocator = true;
#else
constexpr bool kSanitizedAllocator = false;
#endif
#else
constexpr bool kSanitizedAllocator = false;
#endif

TEST(Memory, ResidentBytesReadsThisProcess) {
  const size_t resident = ResidentBytes();
  EXPECT_GT(resident, 1u << 20);         // a test binary maps more than a megabyte
  EXPECT_LT(resident, size_t{8} << 30);  // and less than the machine
}

// The case serve meets: many mid-sized blocks freed below one that stays. glibc keeps
// their pages (only the top of the heap goes back by itself); ReleaseFreeMemory returns
// them.
TEST(Memory, FreedPagesBelowALiveBlockGoBackToTheSystem) {
  if (kSanitizedAllocator) {
    GTEST_SKIP() << "AddressSanitizer's allocator quarantines freed memory; malloc_trim "
                    "applies to glibc's heap only (the plain build runs this test)";
  }
  constexpr size_t kBlock = 64 << 10;  // below glibc's mmap threshold: from the heap
  constexpr int kBlocks = 512;         // 32 MiB
  std::vector<char*> blocks;
  blocks.reserve(kBlocks);
  for (int i = 0; i < kBlocks; ++i) {
    auto* block = static_cast<char*>(std::malloc(kBlock));
    ASSERT_NE(block, nullptr);
    std::memset(block, 1, kBlock);  // resident
    blocks.push_back(block);
  }
  auto* keeper = static_cast<char*>(std::malloc(kBlock));  // above them: the top stays
  ASSERT_NE(keeper, nullptr);
  std::memset(keeper, 1, kBlock);
  for (char* block : blocks) std::free(block);
  const size_t before = ResidentBytes();
  ReleaseFreeMemory();
  const size_t after = ResidentBytes();
  std::free(keeper);
  EXPECT_LT(after + (16u << 20), before) << "resident before " << before << ", after " << after;
}

}  // namespace
}  // namespace ecsync::base
