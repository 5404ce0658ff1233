#pragma once

// Which replicas are alive, and each one's fair share of the shards. Every replica bumps its
// heartbeat item once per renewal period; a replica is live while its heartbeat's version
// has changed within a lease duration, as observed on this replica's monotonic clock.

#include <chrono>
#include <string>
#include <vector>

#include "coordination/change_tracker.h"
#include "coordination/lease_store.h"

namespace ecsync::coordination {

// Not thread-safe (the coordinator's loop owns it).
class Membership {
 public:
  Membership(std::string self, std::chrono::milliseconds lease_duration);

  // The live replicas in `snapshot` as of `now`, sorted, `self` always among them (this
  // replica is alive by definition, even before its first heartbeat is read back).
  std::vector<std::string> Live(const TableSnapshot& snapshot,
                                std::chrono::steady_clock::time_point now);

 private:
  std::string self_;
  std::chrono::milliseconds lease_duration_;
  ChangeTracker heartbeats_;
};

// The number of shards `self` should hold: shard_count / live replicas, plus one for the
// first (shard_count % live) replicas in sorted order, so the shares add up to shard_count
// and differ by at most one (64 on three replicas: 22, 21, 21). Each replica thus aims at the
// issue's "fair share rounded up" or one less, and no shard is left for nobody. `live` is
// sorted and holds `self`.
int FairShare(const std::vector<std::string>& live, const std::string& self, int shard_count);

}  // namespace ecsync::coordination
