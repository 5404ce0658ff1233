#include "coordination/shards.h"

#include <cstdint>

#include "webhook/clone_url.h"

namespace ecsync::coordination {
namespace {

// FNV-1a, 64 bits: stable across platforms and releases (std::hash is neither).
uint64_t Fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

int ShardOf(const std::string& clone_url, int shard_count) {
  return static_cast<int>(Fnv1a64(webhook::CloneUrlKey(clone_url)) %
                          static_cast<uint64_t>(shard_count));
}

}  // namespace ecsync::coordination
