// LeaseStore's conditional writes against moto's DynamoDB: of two replicas racing for one
// lease exactly one wins, a renewal or release by a former owner is refused, and epochs
// only grow.

#include <gtest/gtest.h>

#include "coordination/lease_store.h"
#include "tests/coordination/replicas.h"

namespace ecsync::coordination {
namespace {

using std::chrono::seconds;

class LeaseStoreTest : public MotoCoordination {
 protected:
  LeaseStore Store() { return LeaseStore(MakeDynamoDb(real_), kTable); }
};

TEST_F(LeaseStoreTest, OfTwoReplicasTakingANewShardOneWins) {
  LeaseStore a = Store();
  LeaseStore b = Store();
  auto first = a.Acquire(3, std::nullopt, "a", seconds(15));
  auto second = b.Acquire(3, std::nullopt, "b", seconds(15));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->epoch, 1);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().kind(), base::ErrorKind::kConflict) << second.status().ToString();
}

TEST_F(LeaseStoreTest, OfTwoReplicasTakingOneExpiredLeaseOneWinsAtTheNextEpoch) {
  LeaseStore store = Store();
  ASSERT_TRUE(store.Acquire(5, std::nullopt, "old", seconds(15)).ok());
  auto snapshot = store.Read();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  const LeaseRecord observed = snapshot->leases.at(5);
  // Both saw the same version; the second's condition no longer holds.
  auto b = Store().Acquire(5, observed, "b", seconds(15));
  auto c = Store().Acquire(5, observed, "c", seconds(15));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->epoch, 2);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), base::ErrorKind::kConflict);

  // The former owner can neither renew nor release what it lost.
  auto renewed = store.Renew(observed);
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.status().kind(), base::ErrorKind::kConflict);
  EXPECT_EQ(store.Release(observed).kind(), base::ErrorKind::kConflict);

  // The winner renews (the version grows, the epoch does not) and releases; the next owner
  // gets a greater epoch still.
  auto kept = store.Renew(*b);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->epoch, 2);
  EXPECT_EQ(kept->version, b->version + 1);
  ASSERT_TRUE(store.Release(*kept).ok());
  snapshot = store.Read();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->leases.at(5).owner, "");
  auto next = store.Acquire(5, snapshot->leases.at(5), "c", seconds(15));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->epoch, 3);
}

TEST_F(LeaseStoreTest, HeartbeatsCountUpAndDeregisterRemovesThem) {
  LeaseStore store = Store();
  EXPECT_EQ(*store.Heartbeat("r1", "http://10.0.0.1:8081"), 1);
  EXPECT_EQ(*store.Heartbeat("r1", "http://10.0.0.9:8081"), 2);
  ASSERT_TRUE(store.Heartbeat("r2", "").ok());
  auto snapshot = store.Read();
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->heartbeats.size(), 2U);
  // The url is the latest one advertised.
  for (const HeartbeatRecord& beat : snapshot->heartbeats) {
    EXPECT_EQ(beat.url, beat.replica == "r1" ? "http://10.0.0.9:8081" : "") << beat.replica;
  }
  ASSERT_TRUE(store.Deregister("r1").ok());
  snapshot = store.Read();
  ASSERT_EQ(snapshot->heartbeats.size(), 1U);
  EXPECT_EQ(snapshot->heartbeats[0].replica, "r2");
}

TEST_F(LeaseStoreTest, ThePeerSecretIsCreatedOnceAndNeverReplaced) {
  LeaseStore store = Store();
  auto snapshot = store.Read();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->peer_secret, "");
  ASSERT_TRUE(store.EnsurePeerSecret("first-secret").ok());
  ASSERT_TRUE(store.EnsurePeerSecret("second-secret").ok());  // another replica, later
  snapshot = store.Read();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->peer_secret, "first-secret");
  EXPECT_TRUE(snapshot->heartbeats.empty());  // not taken for a replica or a lease
  EXPECT_TRUE(snapshot->leases.empty());
}

}  // namespace
}  // namespace ecsync::coordination
