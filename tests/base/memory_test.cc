#include "base/memory.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

#if defined(__GLIBC__)
// The arenas glibc has made so far: malloc_info writes one <heap nr="..."> per arena.
int HeapArenas() {
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  if (out == nullptr) return -1;
  malloc_info(0, out);
  std::fclose(out);
  int arenas = 0;
  for (const char* at = text; (at = std::strstr(at, "<heap nr=")) != nullptr; ++at) ++arenas;
  std::free(text);
  return arenas;
}

// Eight threads holding memory at the same time: glibc would give each its own arena.
void AllocateFromEightThreadsAtOnce() {
  constexpr int kThreads = 8;
  std::latch all_hold(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&all_hold] {
      std::vector<char> block(1 << 16, 1);
      all_hold.arrive_and_wait();
    });
  }
  for (std::thread& thread : threads) thread.join();
}

TEST(Memory, AnOperatorsArenaCountWinsOverTheCap) {
  ASSERT_EQ(setenv("MALLOC_ARENA_MAX", "4", 1), 0);
  EXPECT_FALSE(LimitHeapArenas(2));
  unsetenv("MALLOC_ARENA_MAX");
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=4", 1), 0);
  EXPECT_FALSE(LimitHeapArenas(2));
  unsetenv("GLIBC_TUNABLES");
}

TEST(Memory, ThreadsShareTheCappedArenas) {
  if (kSanitizedAllocator) {
    GTEST_SKIP() << "AddressSanitizer's allocator has no glibc arenas (the plain build runs "
                    "this test)";
  }
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr || std::getenv("GLIBC_TUNABLES") != nullptr) {
    GTEST_SKIP() << "the environment sets glibc's arenas";
  }
  if (HeapArenas() > 1) GTEST_SKIP() << "threads of other tests made arenas; run this one alone";
  ASSERT_TRUE(LimitHeapArenas(2));
  AllocateFromEightThreadsAtOnce();
  const int arenas = HeapArenas();
  EXPECT_GE(arenas, 1);
  EXPECT_LE(arenas, 2);
}
#endif

}  // namespace
}  // namespace ecsync::base
