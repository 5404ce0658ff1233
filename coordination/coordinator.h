#pragma once

// One replica's side of sharing the shards with the others (docs/high-availability.md).
// Each Tick reads the table once, renews the leases this replica holds that are due, hands
// surplus shards back and takes expired or released ones while under its fair share.
// Reconcile workers ask Owns(shard) before every write to AWS for a project of that shard.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/dynamodb.h"
#include "base/clock.h"
#include "coordination/change_tracker.h"
#include "coordination/fence.h"
#include "coordination/lease_store.h"
#include "coordination/membership.h"

namespace ecsync::coordination {

struct CoordinatorOptions {
  std::string table;       // the DynamoDB table (see docs/high-availability.md)
  std::string replica_id;  // unique among the replicas sharing the table
  int shard_count = 64;
  // How long a lease lasts without renewal, and how often it is renewed: the caller runs
  // Tick every renew_interval. Writes go in rounds at least renew_interval apart, at most
  // one per shard per round, however often Tick runs.
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_interval{5'000};
  // Owns() stops answering this long before the lease could expire elsewhere: room for the
  // drift between two machines' monotonic clocks over a lease duration and for a write
  // already sent. 0: lease_duration / 5.
  std::chrono::milliseconds safety_margin{0};
  base::Clock* clock = nullptr;  // steady time; not owned; null: SystemClock
};

// What a Tick left behind, for status and metrics.
struct CoordinatorStatus {
  bool healthy = true;
  std::string reason;      // why not healthy ("" when healthy)
  std::vector<int> owned;  // shards this replica holds with a valid fence, ascending
  int fair_share = 0;      // what it aims at
  int live_replicas = 0;   // including itself
};

class Coordinator {
 public:
  Coordinator(std::shared_ptr<aws::DynamoDb> dynamodb, CoordinatorOptions options);

  // One round; never runs concurrently with itself or Shutdown (one loop drives both).
  // Failures of DynamoDB make the replica unhealthy (see Healthy) and are retried next Tick.
  void Tick();
  // Hands every held lease back and removes this replica's heartbeat, so the others take
  // its shards at their next Tick instead of after a lease duration. Best effort.
  void Shutdown();

  // The fence of `shard` while this replica holds it with time to spare; nullopt otherwise
  // (not held, lost, or not renewed in time, e.g. DynamoDB unreachable). Thread-safe.
  std::optional<Fence> Owns(int shard) const;
  // The shards Owns answers for now, ascending. Thread-safe.
  std::vector<int> OwnedShards() const;
  // False while the last Tick's DynamoDB calls failed; Reason says why. Thread-safe.
  bool Healthy() const;
  std::string Reason() const;
  CoordinatorStatus Status() const;
  // Called at the end of every Tick with the status (e.g. to set a shard-ownership gauge).
  void SetObserver(std::function<void(const CoordinatorStatus&)> observer);

  const CoordinatorOptions& options() const { return options_; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Held {
    LeaseRecord record;
    TimePoint renewed_at;  // when the last successful write of it was sent
  };

  std::optional<Fence> FenceOf(const Held& held, TimePoint now) const;
  // Drops held leases the snapshot shows in another owner's hands or at another epoch.
  void ForgetLost(const TableSnapshot& snapshot);
  void ReleaseSurplus(int fair_share);
  void RenewHeld();
  void TakeFree(const TableSnapshot& snapshot, int fair_share, TimePoint now);
  // Records a DynamoDB failure of this Tick (kConflict is not one: another replica won).
  void Fail(const base::Status& status);
  std::map<int, Held> HeldCopy() const;

  CoordinatorOptions options_;
  base::Clock* clock_;
  LeaseStore store_;
  Membership membership_;
  ChangeTracker leases_;  // lease items' versions, for expiry
  TimePoint last_round_{};
  bool round_started_ = false;
  std::string tick_failure_;  // the first failure of the running Tick

  mutable std::mutex mu_;
  std::map<int, Held> held_;  // guarded by mu_
  CoordinatorStatus status_;  // guarded by mu_
  std::function<void(const CoordinatorStatus&)> observer_;
};

}  // namespace ecsync::coordination
