#include "coordination/coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "base/hash.h"

namespace ecsync::coordination {
namespace {

// Where this replica starts looking for free shards: spread over the ring by its id, so
// replicas starting together mostly race for different shards instead of the same ones.
int StartOffset(const std::string& replica, int shard_count) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : replica) hash = (hash ^ c) * 1099511628211ULL;
  return static_cast<int>(hash % static_cast<uint64_t>(shard_count));
}

// 32 bytes from the system's entropy source, as hex.
std::string NewSecret() {
  std::random_device entropy;
  std::string bytes;
  bytes.reserve(32);
  while (bytes.size() < 32) {
    const unsigned int word = entropy();
    for (int i = 0; i < 4 && bytes.size() < 32; ++i)
      bytes.push_back(static_cast<char>(word >> (8 * i)));
  }
  return base::HexEncode(bytes);
}

}  // namespace

Coordinator::Coordinator(std::shared_ptr<aws::DynamoDb> dynamodb, CoordinatorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : base::SystemClock::Get()),
      store_(std::move(dynamodb), options_.table),
      membership_(options_.replica_id, options_.lease_duration),
      last_read_(clock_->SteadyNow()) {
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
  // Said at once, not when the Tick ends: a Tick whose calls are retried or time out one
  // after another can outlast the fences by far.
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.healthy = false;
    status_.reason = tick_failure_;
  }
  if (observer_) observer_(Status());
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
    if (auto beat = store_.Heartbeat(options_.replica_id, options_.peer_url); !beat.ok()) {
      Fail(beat.status());
    }
  }
  const TimePoint read_sent = clock_->SteadyNow();
  auto snapshot = store_.Read();
  int fair_share = 0;
  int live_count = 0;
  if (snapshot.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_read_ = read_sent;
    }
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
    UpdateDirectory(*snapshot, live, now);
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
  std::vector<int> ready;  // releasing, with no write under way
  {
    std::lock_guard<std::mutex> lock(mu_);
    int surplus = static_cast<int>(held_.size()) - fair_share;
    // The highest-numbered shards go first: every replica over its share picks the same way,
    // so a rebalance moves few shards and the outcome is predictable in logs.
    for (auto it = held_.rbegin(); it != held_.rend() && surplus > 0; ++it, --surplus) {
      it->second.releasing = true;
    }
    for (const auto& [shard, held] : held_) {
      if (!held.releasing) continue;
      if (held.writes->load() == 0) {
        ready.push_back(shard);
      } else {
        spdlog::info("coordination: shard {} is handed back once its {} write(s) under way end",
                     shard, held.writes->load());
      }
    }
  }
  for (int shard : ready) {
    LeaseRecord record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      record = held_.at(shard).record;
    }
    base::Status released = store_.Release(record);
    if (!released.ok() && released.kind() != base::ErrorKind::kConflict) {
      Fail(released);  // still held: renewed, and handed back at a later tick
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(shard);
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
    if (!renewed.ok() && renewed.status().kind() != base::ErrorKind::kConflict) {
      Fail(renewed.status());  // kept: a later renewal may still succeed (it is conditional)
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (renewed.ok()) {
      if (auto it = held_.find(shard); it != held_.end()) {
        it->second.record = *renewed;
        it->second.renewed_at = sent;
      }
    } else {
      spdlog::info("coordination: shard {} was taken over", shard);
      held_.erase(shard);
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

void Coordinator::UpdateDirectory(const TableSnapshot& snapshot,
                                  const std::vector<std::string>& live, TimePoint now) {
  PeerDirectory directory;
  directory.secret = snapshot.peer_secret;
  if (directory.secret.empty()) {
    // The first replica to see the table creates it; every one uses the table's from then on.
    if (base::Status made = store_.EnsurePeerSecret(NewSecret()); !made.ok()) Fail(made);
  }
  for (const auto& [shard, lease] : snapshot.leases) {
    if (lease.owner.empty() || lease.owner == options_.replica_id) continue;
    const std::chrono::milliseconds duration =
        lease.duration.count() > 0 ? lease.duration : options_.lease_duration;
    if (!leases_.Expired(ShardKey(shard), now, duration)) directory.owners[shard] = lease.owner;
  }
  for (int shard : OwnedShards()) directory.owners[shard] = options_.replica_id;
  for (const HeartbeatRecord& heartbeat : snapshot.heartbeats) {
    if (std::binary_search(live.begin(), live.end(), heartbeat.replica)) {
      directory.urls[heartbeat.replica] = heartbeat.url;
    }
  }
  directory.urls[options_.replica_id] = options_.peer_url;
  std::lock_guard<std::mutex> lock(mu_);
  directory_ = std::move(directory);
}

PeerDirectory Coordinator::Directory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return directory_;
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
  if (it == held_.end() || it->second.releasing) return std::nullopt;
  std::optional<Fence> fence = FenceOf(it->second, now);
  if (fence) {
    // Counted until the last copy of the fence goes (the write's call has returned).
    it->second.writes->fetch_add(1);
    fence->hold = std::shared_ptr<const void>(
        nullptr, [writes = it->second.writes](const void*) { writes->fetch_sub(1); });
  }
  return fence;
}

std::vector<int> Coordinator::OwnedShards() const {
  const TimePoint now = clock_->SteadyNow();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> owned;
  for (const auto& [shard, held] : held_) {
    if (!held.releasing && FenceOf(held, now)) owned.push_back(shard);
  }
  return owned;
}

bool Coordinator::Healthy() const { return Status().healthy; }

std::string Coordinator::Reason() const { return Status().reason; }

CoordinatorStatus Coordinator::Status() const {
  const TimePoint now = clock_->SteadyNow();
  CoordinatorStatus status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status = status_;
    // A Tick stuck in a call that neither answers nor fails (a network that drops packets)
    // has reported nothing yet; by now every fence this replica holds has lapsed.
    const auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_read_);
    if (status.healthy && quiet >= options_.lease_duration - options_.safety_margin) {
      status.healthy = false;
      status.reason =
          "DynamoDB unreachable: no answer for " + std::to_string(quiet.count()) + " ms";
    }
  }
  status.owned = OwnedShards();
  return status;
}

void Coordinator::SetObserver(std::function<void(const CoordinatorStatus&)> observer) {
  observer_ = std::move(observer);
}

}  // namespace ecsync::coordination
