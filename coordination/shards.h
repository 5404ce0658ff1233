#pragma once

// Repositories map to a fixed number of logical shards; replicas own shards, not
// repositories, so ownership moves in a few dozen leases however many repositories there are.

#include <string>

namespace ecsync::coordination {

inline constexpr int kDefaultShardCount = 64;

// The shard of the repository cloned from `clone_url`, in [0, shard_count): FNV-1a 64 of the
// URL's normalized key (webhook::CloneUrlKey), so every spelling of one repository (https or
// ssh, ".git" or not, any case of the host) lands on one shard, on every replica and in every
// release. Changing shard_count moves most repositories: every replica must use one count.
// shard_count must be > 0.
int ShardOf(const std::string& clone_url, int shard_count);

}  // namespace ecsync::coordination
