// The coordinator against moto's DynamoDB: leases taken, renewed and taken over with growing
// epochs, balance across replicas, handover on shutdown and fencing when DynamoDB is gone.
// Steady time is a FakeClock: no test sleeps.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "coordination/lease_store.h"
#include "tests/coordination/replicas.h"

namespace ecsync::coordination {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_F(MotoCoordination, AloneTakesEveryShardAndRenewsWithoutChangingTheEpoch) {
  shard_count_ = 8;
  Coordinator& a = *AddReplica("a").coordinator;
  a.Tick();
  ASSERT_EQ(a.OwnedShards().size(), 8U);
  EXPECT_TRUE(a.Healthy()) << a.Reason();
  ASSERT_TRUE(a.Owns(7));
  EXPECT_EQ(a.Owns(7)->epoch, 1);
  EXPECT_EQ(a.Owns(7)->valid_until, clock_.SteadyNow() + seconds(12));  // 15 s - 3 s margin

  clock_.Advance(seconds(5));
  a.Tick();
  ASSERT_TRUE(a.Owns(7));
  EXPECT_EQ(a.Owns(7)->epoch, 1);
  EXPECT_EQ(a.Owns(7)->valid_until, clock_.SteadyNow() + seconds(12));
  auto snapshot = LeaseStore(replicas_[0]->dynamodb, kTable).Read();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->leases.at(7).owner, "a");
  EXPECT_EQ(snapshot->leases.at(7).version, 2);  // taken, then renewed once
}

TEST_F(MotoCoordination, ACrashedOwnersLeasesAreTakenAfterALeaseDurationAtTheNextEpoch) {
  shard_count_ = 8;
  Coordinator& a = *AddReplica("a").coordinator;
  a.Tick();
  ASSERT_EQ(a.OwnedShards().size(), 8U);
  const auto last_renewal = clock_.SteadyNow();
  // a stops (no more Ticks); b starts and sees a's leases as fresh.
  Coordinator& b = *AddReplica("b").coordinator;
  auto first_seen = clock_.SteadyNow();
  b.Tick();
  EXPECT_TRUE(b.OwnedShards().empty());
  for (int i = 0; i < 2; ++i) {
    clock_.Advance(seconds(5));
    b.Tick();
    EXPECT_TRUE(b.OwnedShards().empty()) << "taken before the lease expired";
  }
  clock_.Advance(seconds(5));  // 15 s since b first saw a's leases unchanged
  EXPECT_TRUE(a.OwnedShards().empty()) << "a's fences outlived its lease less the margin";
  b.Tick();
  EXPECT_GE(clock_.SteadyNow() - first_seen, seconds(15));
  EXPECT_GE(clock_.SteadyNow(), last_renewal + seconds(15));
  ASSERT_EQ(b.OwnedShards().size(), 8U);
  EXPECT_EQ(b.Owns(0)->epoch, 2);
  EXPECT_EQ(b.Owns(7)->epoch, 2);
}

TEST_F(MotoCoordination, ThreeReplicasBalanceTo22And21And21) {
  AddReplica("a");
  AddReplica("b");
  AddReplica("c");
  // The first Tick, a is alone and takes everything; at the second it hands back 42, which
  // b and c take.
  for (int i = 0; i < 2; ++i) TickAll();
  EXPECT_EQ(Counts(), (std::vector<size_t>{22, 21, 21}));
  ExpectDisjoint();
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(replica->coordinator->Healthy()) << replica->coordinator->Reason();
    EXPECT_EQ(replica->coordinator->Status().live_replicas, 3);
  }
}

TEST_F(MotoCoordination, AFourthReplicaGetsItsShareWithinOneLeasePeriod) {
  shard_count_ = 16;
  AddReplica("a");
  AddReplica("b");
  AddReplica("c");
  for (int i = 0; i < 3; ++i) TickAll();
  ASSERT_EQ(Counts(), (std::vector<size_t>{6, 5, 5}));
  const auto joined = clock_.SteadyNow();
  AddReplica("d");
  while (Counts().back() < 4 && clock_.SteadyNow() - joined <= seconds(15)) TickAll();
  EXPECT_LE(clock_.SteadyNow() - joined, seconds(15));
  EXPECT_EQ(Counts(), (std::vector<size_t>{4, 4, 4, 4}));
  ExpectDisjoint();
}

TEST_F(MotoCoordination, AGracefulShutdownHandsTheShardsOverAtOnce) {
  shard_count_ = 8;
  Coordinator& a = *AddReplica("a").coordinator;
  Coordinator& b = *AddReplica("b").coordinator;
  for (int i = 0; i < 3; ++i) TickAll();
  ASSERT_EQ(Counts(), (std::vector<size_t>{4, 4}));
  const std::vector<int> handed = a.OwnedShards();
  a.Shutdown();
  EXPECT_TRUE(a.OwnedShards().empty());
  b.Tick();  // no time passes
  EXPECT_EQ(b.OwnedShards().size(), 8U);
  EXPECT_EQ(b.Status().live_replicas, 1);
  for (int shard : handed) EXPECT_EQ(b.Owns(shard)->epoch, 2) << "shard " << shard;
}

TEST_F(MotoCoordination, AReplicaCutOffStopsOwningBeforeAnotherCanTakeItsShards) {
  shard_count_ = 8;
  TestReplica& cut = AddReplica("a");
  Coordinator& a = *cut.coordinator;
  Coordinator& b = *AddReplica("b").coordinator;
  for (int i = 0; i < 3; ++i) TickAll();
  ASSERT_EQ(Counts(), (std::vector<size_t>{4, 4}));
  const std::vector<int> a_shards = a.OwnedShards();
  const auto fence_end = a.Owns(a_shards.front())->valid_until;

  *cut.cut = true;
  std::optional<std::chrono::steady_clock::time_point> a_stopped;
  std::optional<std::chrono::steady_clock::time_point> b_took;
  for (int i = 0; i < 40 && !b_took; ++i) {  // one-second steps
    a.Tick();
    b.Tick();
    const auto now = clock_.SteadyNow();
    if (!a_stopped && a.OwnedShards().empty()) a_stopped = now;
    if (!b_took && b.Owns(a_shards.front())) b_took = now;
    if (!a.OwnedShards().empty()) {
      EXPECT_LT(now, fence_end);
    }
    clock_.Advance(seconds(1));
  }
  ASSERT_TRUE(a_stopped);
  ASSERT_TRUE(b_took);
  EXPECT_LT(*a_stopped, *b_took);
  EXPECT_GE(*b_took - *a_stopped, seconds(3));  // the safety margin, at least
  EXPECT_LE(*a_stopped, fence_end);
  EXPECT_FALSE(a.Healthy());
  EXPECT_NE(a.Reason().find("DynamoDB unreachable"), std::string::npos) << a.Reason();
  EXPECT_TRUE(b.Healthy()) << b.Reason();
  EXPECT_EQ(b.OwnedShards().size(), 8U);
  EXPECT_GT(b.Owns(a_shards.front())->epoch, 1);

  // Back online, a learns it lost its shards, and the two balance again.
  *cut.cut = false;
  for (int i = 0; i < 3; ++i) TickAll();
  EXPECT_TRUE(a.Healthy()) << a.Reason();
  EXPECT_EQ(Counts(), (std::vector<size_t>{4, 4}));
  ExpectDisjoint();
}

TEST_F(MotoCoordination, AtMostOneWritePerShardPerRenewalPeriod) {
  shard_count_ = 12;
  AddReplica("a");
  AddReplica("b");
  AddReplica("c");
  for (int i = 0; i < 3; ++i) TickAll();
  ASSERT_EQ(Counts(), (std::vector<size_t>{4, 4, 4}));
  std::vector<std::map<int, int>> before;
  for (const auto& replica : replicas_) before.push_back(replica->ShardWrites());
  // Three periods of Ticks every 2.5 s: two Ticks per period.
  for (int i = 0; i < 6; ++i) TickAll(milliseconds(2'500));
  std::map<int, int> writes;
  for (size_t r = 0; r < replicas_.size(); ++r) {
    for (const auto& [shard, count] : replicas_[r]->ShardWrites()) {
      writes[shard] += count - before[r][shard];
    }
  }
  ASSERT_EQ(writes.size(), 12U);
  for (const auto& [shard, count] : writes) EXPECT_EQ(count, 3) << "shard " << shard;
  EXPECT_EQ(Counts(), (std::vector<size_t>{4, 4, 4}));
}

}  // namespace
}  // namespace ecsync::coordination
