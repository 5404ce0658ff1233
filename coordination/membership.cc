#include "coordination/membership.h"

#include <algorithm>
#include <set>

namespace ecsync::coordination {

Membership::Membership(std::string self, std::chrono::milliseconds lease_duration)
    : self_(std::move(self)), lease_duration_(lease_duration) {}

std::vector<std::string> Membership::Live(const TableSnapshot& snapshot,
                                          std::chrono::steady_clock::time_point now) {
  std::set<std::string> present;
  std::set<std::string> live{self_};
  for (const HeartbeatRecord& heartbeat : snapshot.heartbeats) {
    present.insert(heartbeat.replica);
    heartbeats_.Observe(heartbeat.replica, heartbeat.version, now);
    if (!heartbeats_.Expired(heartbeat.replica, now, lease_duration_)) {
      live.insert(heartbeat.replica);
    }
  }
  heartbeats_.Retain(present);
  return {live.begin(), live.end()};
}

int FairShare(const std::vector<std::string>& live, const std::string& self, int shard_count) {
  const int replicas = std::max<int>(1, static_cast<int>(live.size()));
  const auto rank =
      static_cast<int>(std::lower_bound(live.begin(), live.end(), self) - live.begin());
  return shard_count / replicas + (rank < shard_count % replicas ? 1 : 0);
}

}  // namespace ecsync::coordination
