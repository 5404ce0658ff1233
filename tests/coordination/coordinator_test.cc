// The coordinator against moto's DynamoDB: leases taken, renewed and taken over with growing
// epochs, balance across replicas, handover on shutdown and fencing when DynamoDB is gone.
// Steady time is a FakeClock: no test sleeps.

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
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

// Balancing never lets a write overlap the next owner's: a surplus shard with a write under
// way (a fence held, as reconcile::FencedCloudFormation holds one for each call) gives no new
// fence, stays renewed and is handed back only at the first Tick after the write ended.
TEST_F(MotoCoordination, ASurplusShardIsHandedBackOnlyOnceItsWriteUnderWayEnds) {
  shard_count_ = 4;
  Coordinator& a = *AddReplica("a").coordinator;
  a.Tick();
  ASSERT_EQ(a.OwnedShards().size(), 4U);
  std::optional<base::Fence> write = a.Owns(3);  // the highest shard goes first
  ASSERT_TRUE(write);
  const int64_t epoch = write->epoch;
  Coordinator& b = *AddReplica("b").coordinator;
  b.Tick();  // b says it is alive
  clock_.Advance(seconds(5));
  a.Tick();  // a's share is 2 now: shards 2 and 3 are surplus; 2 goes, 3 waits for the write
  EXPECT_FALSE(a.Owns(2));
  EXPECT_FALSE(a.Owns(3)) << "no new fence for a shard on its way back";
  EXPECT_EQ(a.OwnedShards(), (std::vector<int>{0, 1}));
  b.Tick();
  EXPECT_TRUE(b.Owns(2));
  EXPECT_FALSE(b.Owns(3)) << "taken while a's write was under way";
  // Renewed while the write runs: b cannot take it however long the write takes.
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(seconds(5));
    a.Tick();
    b.Tick();
    EXPECT_FALSE(b.Owns(3)) << "taken while a's write was under way, " << 5 * (i + 1) << " s on";
  }

  write.reset();  // the call returned
  a.Tick();
  b.Tick();
  ASSERT_TRUE(b.Owns(3));
  EXPECT_EQ(b.Owns(3)->epoch, epoch + 1);
  EXPECT_EQ(a.OwnedShards().size(), 2U);
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

TEST_F(MotoCoordination, ACutOffReplicaSaysSoAtItsFirstFailedCallNotWhenTheTickEnds) {
  shard_count_ = 4;
  TestReplica& replica = AddReplica("a");
  Coordinator& a = *replica.coordinator;
  TickAll();
  TickAll();
  ASSERT_EQ(a.OwnedShards().size(), 4U);
  std::vector<CoordinatorStatus> observed;
  a.SetObserver([&](const CoordinatorStatus& status) { observed.push_back(status); });
  std::vector<bool> healthy_while_sending;
  *replica.on_request = [&](const aws::HttpRequest&) {
    healthy_while_sending.push_back(a.Healthy());
  };
  *replica.cut = true;
  a.Tick();  // a round: the heartbeat fails first, then the read and the four renewals
  ASSERT_EQ(healthy_while_sending.size(), 6U);
  EXPECT_TRUE(healthy_while_sending[0]);
  for (size_t i = 1; i < healthy_while_sending.size(); ++i) {
    EXPECT_FALSE(healthy_while_sending[i]) << "call " << i;
  }
  // The observer (the metrics) heard it at every failure, not only at the Tick's end.
  ASSERT_EQ(observed.size(), 7U);
  for (const CoordinatorStatus& status : observed) {
    EXPECT_FALSE(status.healthy);
    EXPECT_NE(status.reason.find("DynamoDB unreachable"), std::string::npos) << status.reason;
  }
}

TEST_F(MotoCoordination, AReplicaWhoseCallHangsIsUnhealthyOnceAFencesSpanPasses) {
  shard_count_ = 4;
  TestReplica& replica = AddReplica("a");
  Coordinator& a = *replica.coordinator;
  TickAll();  // the first read at 0 s; the clock moves to 5 s
  ASSERT_EQ(a.OwnedShards().size(), 4U);
  // The next read takes 12 s to answer: the span of a fence (15 s lease, 3 s margin) after
  // the last read, at 12 s, a status read meanwhile says so.
  std::vector<CoordinatorStatus> during;
  *replica.on_request = [&](const aws::HttpRequest& request) {
    const bool scan = std::any_of(request.headers.begin(), request.headers.end(), [](auto& h) {
      return h.first == "X-Amz-Target" && h.second.ends_with(".Scan");
    });
    if (!scan || !during.empty()) return;
    clock_.Advance(seconds(6));  // 11 s after the last read
    during.push_back(a.Status());
    clock_.Advance(seconds(1));  // 12 s
    during.push_back(a.Status());
  };
  a.Tick();
  ASSERT_EQ(during.size(), 2U);
  EXPECT_TRUE(during[0].healthy) << during[0].reason;
  EXPECT_FALSE(during[1].healthy);
  EXPECT_EQ(during[1].reason, "DynamoDB unreachable: no answer for 12000 ms");
  EXPECT_TRUE(during[1].owned.empty());  // the fences lapsed with it
  // The read answered in the end, and the Tick renewed the leases.
  EXPECT_TRUE(a.Healthy()) << a.Reason();
  EXPECT_EQ(a.OwnedShards().size(), 4U);
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

TEST_F(MotoCoordination, TheDirectoryNamesEveryShardsOwnerAndEveryLiveReplicasUrl) {
  shard_count_ = 8;
  Coordinator& a = *AddReplica("a").coordinator;
  Coordinator& b = *AddReplica("b").coordinator;
  for (int i = 0; i < 3; ++i) TickAll();
  ASSERT_EQ(Counts(), (std::vector<size_t>{4, 4}));
  for (Coordinator* replica : {&a, &b}) {
    const PeerDirectory directory = replica->Directory();
    ASSERT_EQ(directory.owners.size(), 8U);
    for (int shard : a.OwnedShards()) EXPECT_EQ(directory.owners.at(shard), "a");
    for (int shard : b.OwnedShards()) EXPECT_EQ(directory.owners.at(shard), "b");
    EXPECT_EQ(directory.urls,
              (std::map<std::string, std::string>{{"a", "http://a.replicas.test:8081"},
                                                  {"b", "http://b.replicas.test:8081"}}));
    // One secret, made by whichever replica read the table first, shared by both.
    EXPECT_EQ(directory.secret.size(), 64U);
    EXPECT_EQ(directory.secret, a.Directory().secret);
  }
  // b leaves: its shards and its url leave a's directory at a's next read.
  b.Shutdown();
  a.Tick();
  const PeerDirectory after = a.Directory();
  EXPECT_EQ(after.urls.count("b"), 0U);
  for (const auto& [shard, owner] : after.owners) EXPECT_EQ(owner, "a") << shard;
}

}  // namespace
}  // namespace ecsync::coordination
