#pragma once

// Expiry judged on this replica's monotonic clock, as Kubernetes' leader election does: a
// record (a lease or a heartbeat) is expired when its version has not changed for a whole
// duration since this replica first saw that version. No wall clock is compared with another
// machine's; only the rate of the clocks matters (and the safety margin covers their drift).

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace ecsync::coordination {

// Not thread-safe (the coordinator's loop owns it).
class ChangeTracker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Records that `key` has `version` as seen at `now`. A key seen for the first time, or
  // with another version than last time, starts its quiet period at `now`.
  void Observe(const std::string& key, int64_t version, TimePoint now);
  // True when `key` was observed and has kept its version for at least `duration` up to
  // `now`. A key never observed is not expired (it is unknown: the caller decides).
  bool Expired(const std::string& key, TimePoint now, std::chrono::milliseconds duration) const;
  // Forgets every key not in `present` (items deleted from the table).
  void Retain(const std::set<std::string>& present);

 private:
  struct Seen {
    int64_t version = 0;
    TimePoint since;
  };
  std::map<std::string, Seen> seen_;
};

}  // namespace ecsync::coordination
