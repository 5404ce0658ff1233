#pragma once

// One replica's side of sharing the shards with the others (docs/high-availability.md).
// Each Tick reads the table once, renews the leases this replica holds that are due, hands
// surplus shards back and takes expired or released ones while under its fair share.
// Reconcile workers ask Owns(shard) before every write to AWS for a project of that shard.

#include <atomic>
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
  // Where the other replicas reach this one's admin listener (http://10.0.3.7:8081), kept in
  // its heartbeat item; "" advertises nothing (webhooks are then not forwarded to it).
  std::string peer_url;
};

// Who owns what, as of the last table read, for reaching the owner of a repository: the
// replicas forward webhooks to it and ask it for its projects' status.
struct PeerDirectory {
  std::map<int, std::string> owners;        // shard -> replica holding an unexpired lease
  std::map<std::string, std::string> urls;  // live replica -> its peer_url ("" when none)
  std::string secret;  // the table's peer secret; "" until the first read that has it
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
  // False from the first failed DynamoDB call of a Tick until a Tick succeeds whole, and
  // while no read of the table has succeeded for lease_duration - safety_margin (a call
  // that hangs); Reason says why. Thread-safe.
  bool Healthy() const;
  std::string Reason() const;
  CoordinatorStatus Status() const;
  // Sets what the heartbeat advertises (CoordinatorOptions::peer_url). Before the first Tick.
  void SetPeerUrl(std::string url) { options_.peer_url = std::move(url); }
  // A copy of the directory the last successful table read left. Thread-safe.
  PeerDirectory Directory() const;
  // Called at the end of every Tick with the status (e.g. to set a shard-ownership gauge).
  void SetObserver(std::function<void(const CoordinatorStatus&)> observer);

  const CoordinatorOptions& options() const { return options_; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Held {
    LeaseRecord record;
    TimePoint renewed_at;  // when the last successful write of it was sent
    // Writes under way with a fence of this shard (Fence::hold): the shard is handed back
    // only when none is left.
    std::shared_ptr<std::atomic<int>> writes = std::make_shared<std::atomic<int>>(0);
    // Surplus on its way back: no new fence is given; renewed until its writes are done.
    bool releasing = false;
  };

  std::optional<Fence> FenceOf(const Held& held, TimePoint now) const;
  // Drops held leases the snapshot shows in another owner's hands or at another epoch.
  void ForgetLost(const TableSnapshot& snapshot);
  void ReleaseSurplus(int fair_share);
  void RenewHeld();
  void TakeFree(const TableSnapshot& snapshot, int fair_share, TimePoint now);
  // The directory `snapshot` shows (after TakeFree, so this replica's new shards are in it);
  // creates the table's peer secret when it has none.
  void UpdateDirectory(const TableSnapshot& snapshot, const std::vector<std::string>& live,
                       TimePoint now);
  // Records a DynamoDB failure of this Tick (kConflict is not one: another replica won) and
  // makes the status unhealthy at once, telling the observer. Call without mu_.
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
  PeerDirectory directory_;   // guarded by mu_
  // When the last successful read of the table was sent (construction before the first);
  // guarded by mu_. Status is unhealthy once it is a fence's span old.
  TimePoint last_read_;
  std::function<void(const CoordinatorStatus&)> observer_;
};

}  // namespace ecsync::coordination
