#include "coordination/coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace ecsync::coordination {
namespace {

// Where this replica starts looking for free shards: spread over the ring by its id, so
// replicas starting together mostly race for different shards instead of the same ones.
int StartOffset(const std::string& replica, int shard_count) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : replica) hash = (hash ^ c) * 1099511628211ULL;
  return static_cast<int>(hash % static_cast<uint64_t>(shard_count));
}

}  // namespace

Coordinator::Coordinator(std::shared_ptr<aws::DynamoDb> dynamodb, CoordinatorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : base::SystemClock::Get()),
      store_(std::move(dynamodb), options_.table),
      membership_(options_.replica_id, options_.lease_duration) {
  if (options_.safety_margin.count() <= 0) options_.safety_margin = options_.lease_duration / 5;
}

std::optional<Fence> Coordinator::FenceOf(const Held& held, TimePoint now) const {
  const TimePoint valid_until = held.renewed_at + options_.lease_duration - options_.safety_margin;
  if (now >= valid_until) return std::nullopt;
  return Fence{held.record.epoch, valid_until};
}

std::map<int, Coordinator::Held> Coordinator::HeldCopy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

void Coordinator::Fail(const base::Status& status) {
  if (tick_failure_.empty()) tick_failure_ = "DynamoDB unreachable: " + status.message();
}

void Coordinator::Tick() {
  tick_failure_.clear();
  TimePoint now = clock_->SteadyNow();
  // Writes happen in rounds at least renew_interval apart (by the Ticks' start times, so
  // a round whose writes went out late does not push the next one a period further): one
  // heartbeat and at most one write per shard per round.
  const bool round = !round_started_ || now - last_round_ >= options_.renew_interval;
  if (round) {
    last_round_ = now;
    round_started_ = true;
    // The heartbeat goes first so this replica's own item is in the read below.
    if (auto beat = store_.Heartbeat(options_.replica_id); !beat.ok()) Fail(beat.status());
  }
  auto snapshot = store_.Read();
  int fair_share = 0;
  int live_count = 0;
  if (snapshot.ok()) {
    now = clock_->SteadyNow();
    for (const auto& [shard, lease] : snapshot->leases) {
      leases_.Observe(ShardKey(shard), lease.version, now);
    }
    ForgetLost(*snapshot);
    const std::vector<std::string> live = membership_.Live(*snapshot, now);
    live_count = static_cast<int>(live.size());
    fair_share = FairShare(live, options_.replica_id, options_.shard_count);
    // Surplus first: a shard handed back is not also renewed in this period.
    ReleaseSurplus(fair_share);
    if (round) RenewHeld();
    TakeFree(*snapshot, fair_share, now);
  } else {
    Fail(snapshot.status());
    if (round) RenewHeld();  // DynamoDB may answer writes still: the fences stay valid
  }

  CoordinatorStatus status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!snapshot.ok()) {
      fair_share = status_.fair_share;
      live_count = status_.live_replicas;
    }
    status_ = CoordinatorStatus{tick_failure_.empty(), tick_failure_, {}, fair_share, live_count};
    status = status_;
  }
  status.owned = OwnedShards();
  if (!status.healthy) spdlog::warn("coordination: {}", status.reason);
  if (observer_) observer_(status);
}

void Coordinator::ForgetLost(const TableSnapshot& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(held_, [&](const auto& entry) {
    auto lease = snapshot.leases.find(entry.first);
    const bool lost = lease == snapshot.leases.end() ||
                      lease->second.owner != options_.replica_id ||
                      lease->second.epoch != entry.second.record.epoch;
    if (lost) spdlog::info("coordination: shard {} was taken over", entry.first);
    return lost;
  });
}

void Coordinator::ReleaseSurplus(int fair_share) {
  std::map<int, Held> held = HeldCopy();
  int surplus = static_cast<int>(held.size()) - fair_share;
  // The highest-numbered shards go first: every replica over its share picks the same way,
  // so a rebalance moves few shards and the outcome is predictable in logs.
  for (auto it = held.rbegin(); it != held.rend() && surplus > 0; ++it) {
    base::Status released = store_.Release(it->second.record);
    if (!released.ok() && released.kind() != base::ErrorKind::kConflict) {
      Fail(released);  // still held: renewed or left to expire
      continue;
    }
    --surplus;
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(it->first);
  }
}

void Coordinator::RenewHeld() {
  for (const auto& [shard, held] : HeldCopy()) {
    const TimePoint sent = clock_->SteadyNow();
    // Taken less than half a period ago (between rounds): that was this period's write.
    if (sent - held.renewed_at < options_.renew_interval / 2) continue;
    // Validity counts from before the request left: the write lands later, and another
    // replica starts its count no earlier than it sees the write.
    auto renewed = store_.Renew(held.record);
    std::lock_guard<std::mutex> lock(mu_);
    if (renewed.ok()) {
      held_[shard] = Held{*renewed, sent};
    } else if (renewed.status().kind() == base::ErrorKind::kConflict) {
      spdlog::info("coordination: shard {} was taken over", shard);
      held_.erase(shard);
    } else {
      Fail(renewed.status());  // kept: a later renewal may still succeed (it is conditional)
    }
  }
}

void Coordinator::TakeFree(const TableSnapshot& snapshot, int fair_share, TimePoint now) {
  std::map<int, Held> held = HeldCopy();
  const int start = StartOffset(options_.replica_id, options_.shard_count);
  for (int i = 0; i < options_.shard_count && static_cast<int>(held.size()) < fair_share; ++i) {
    const int shard = (start + i) % options_.shard_count;
    if (held.contains(shard)) continue;
    std::optional<LeaseRecord> observed;
    if (auto lease = snapshot.leases.find(shard); lease != snapshot.leases.end()) {
      observed = lease->second;
      const std::chrono::milliseconds duration =
          observed->duration.count() > 0 ? observed->duration : options_.lease_duration;
      if (!observed->owner.empty() && !leases_.Expired(ShardKey(shard), now, duration)) continue;
    }
    const TimePoint sent = clock_->SteadyNow();
    auto taken = store_.Acquire(shard, observed, options_.replica_id, options_.lease_duration);
    if (!taken.ok()) {
      if (taken.status().kind() != base::ErrorKind::kConflict) Fail(taken.status());
      continue;  // another replica was faster
    }
    spdlog::info("coordination: took shard {} at epoch {}", shard, taken->epoch);
    held[shard] = Held{*taken, sent};
    std::lock_guard<std::mutex> lock(mu_);
    held_[shard] = Held{*taken, sent};
  }
}

void Coordinator::Shutdown() {
  for (const auto& [shard, held] : HeldCopy()) {
    base::Status released = store_.Release(held.record);
    if (!released.ok()) {
      spdlog::warn("coordination: shard {} not handed back: {}", shard, released.message());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_.clear();
  }
  base::Status left = store_.Deregister(options_.replica_id);
  if (!left.ok()) spdlog::warn("coordination: heartbeat not removed: {}", left.message());
}

std::optional<Fence> Coordinator::Owns(int shard) const {
  const TimePoint now = clock_->SteadyNow();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(shard);
  if (it == held_.end()) return std::nullopt;
  return FenceOf(it->second, now);
}

std::vector<int> Coordinator::OwnedShards() const {
  const TimePoint now = clock_->SteadyNow();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> owned;
  for (const auto& [shard, held] : held_) {
    if (FenceOf(held, now)) owned.push_back(shard);
  }
  return owned;
}

bool Coordinator::Healthy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_.healthy;
}

std::string Coordinator::Reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_.reason;
}

CoordinatorStatus Coordinator::Status() const {
  CoordinatorStatus status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status = status_;
  }
  status.owned = OwnedShards();
  return status;
}

void Coordinator::SetObserver(std::function<void(const CoordinatorStatus&)> observer) {
  observer_ = std::move(observer);
}

}  // namespace ecsync::coordination
