// Replicas sharing the projects (docs/high-availability.md), end to end: several real
// `ecsync serve` processes coordinating through a DynamoDB table in moto_server, deploying
// to moto's CloudFormation from git repositories behind `git daemon` (the fixture is
// tests/cli/replicas.h; replicas_fencing_test.cc watches the same through the fault-injecting
// proxy). Every project is deployed by exactly one replica, the shards are split between
// them, and a stopped replica's shards move to the others at once without a second deploy
// of anything; a replica killed during a create has its shards taken once its leases
// expire, and the create is adopted (waited on), not repeated.

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/cli/replicas.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

TEST_F(Replicas, ShareTheProjectsAndHandOverOnSigterm) {
  for (const char* id : {"replica-a", "replica-b", "replica-c"}) {
    Start(id);
    if (HasFatalFailure()) return;
  }
  ASSERT_TRUE(Await([&] { return AllDeployed(); }, seconds(90))) << Logs();
  const std::vector<const Replica*> all = {&replicas_[0], &replicas_[1], &replicas_[2]};
  ASSERT_TRUE(Await([&] { return Balanced(all); }, seconds(30))) << Logs();
  for (const Replica& replica : replicas_) {
    json doc = replica.Coordination();
    EXPECT_TRUE(doc["healthy"].get<bool>()) << doc.dump();
    EXPECT_EQ(doc["live_replicas"], 3) << doc.dump();
    EXPECT_EQ(doc["shards"], options_.shards);
    // Ready once every repository of the shards it ended up with has been checked (a shard
    // that moved in the balancing is checked a moment after it arrives).
    std::string ready;
    EXPECT_TRUE(Await(
        [&] {
          auto res = replica.Get("/readyz");
          ready = res ? res->body : "";
          return res && res->status == 200;
        },
        seconds(30), std::chrono::milliseconds(100)))
        << ready;
    EXPECT_NE(ready.find("replica " + replica.id), std::string::npos) << ready;
    EXPECT_EQ(replica.Gauge("ecsync_shards_owned"), static_cast<double>(replica.Owned().size()));
  }
  // Every project deployed exactly once: one create each, no stack made twice.
  for (int i = 0; i < options_.repositories; ++i) EXPECT_EQ(Creates(StackOf(i)), 1) << StackOf(i);
  EXPECT_EQ(AllStacks().size(), static_cast<size_t>(options_.repositories));

  // SIGTERM hands the shards over at once: the others take them at their next Tick,
  // long before the 3 s leases could expire.
  Replica& leaving = replicas_[2];
  const std::set<int> left = leaving.Owned();
  ASSERT_FALSE(left.empty());
  const auto stopped_at = std::chrono::steady_clock::now();
  leaving.process->Signal(SIGTERM);
  ASSERT_EQ(leaving.process->Wait(seconds(30)).value_or(-99), 0) << leaving.process->Log();
  const std::vector<const Replica*> remaining = {&replicas_[0], &replicas_[1]};
  ASSERT_TRUE(Await([&] { return Balanced(remaining); }, seconds(30))) << Logs();
  const double handover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped_at).count();
  RecordProperty("handover_seconds", std::to_string(handover));
  EXPECT_EQ(replicas_[0].Coordination()["live_replicas"], 2);

  // The stopped replica's repositories are deployed by their new owners: a new commit to
  // each repository reaches every stack, each still single.
  CommitTo(AllRepositories(), App(2));
  ASSERT_TRUE(Await([&] { return AllDeployed(); }, seconds(90))) << Logs();
  for (int i = 0; i < options_.repositories; ++i) EXPECT_EQ(Creates(StackOf(i)), 1) << StackOf(i);
  const auto stacks = AllStacks();
  EXPECT_EQ(stacks.size(), static_cast<size_t>(options_.repositories));
  for (const auto& [name, status] : stacks) EXPECT_EQ(status, "UPDATE_COMPLETE") << name;
}

// Creates that moto reports CREATE_IN_PROGRESS for a while, so a replica can die during one.
class ReplicasWithSlowCreates : public Replicas {
 protected:
  ReplicasWithSlowCreates()
      : Replicas({.repositories = 4,
                  // Held until the test has seen the adoption (finish-creates), however
                  // slow the machine; the window only bounds a test that fails before.
                  .moto_env = {{"ECSYNC_MOTO_SLOW_CREATE_SECONDS", "600"}},
                  .through_proxy = true}) {}
};

TEST_F(ReplicasWithSlowCreates, AReplicaKilledDuringACreateIsAdoptedNotRepeated) {
  Start("replica-a");
  if (HasFatalFailure()) return;
  Start("replica-b");
  if (HasFatalFailure()) return;
  // Wait for a create in progress, and kill -9 the replica that started it: the one whose
  // CreateStack the proxy saw accepted.
  int victim = -1;
  int stack = -1;
  auto creator = [&](int i) {
    for (const ProxyEntry& entry : proxy_->Entries()) {
      if (entry.action != "CreateStack" || entry.stack != StackOf(i) || !entry.Ok()) continue;
      for (int r = 0; r < 2; ++r) {
        if (replicas_[r].id == entry.listener) return r;
      }
    }
    return -1;
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (int i = 0; i < options_.repositories && victim < 0; ++i) {
          const int r = creator(i);
          if (r >= 0 && moto_.StackStatus(StackOf(i)) == "CREATE_IN_PROGRESS") {
            victim = r;
            stack = i;
          }
        }
        return victim >= 0;
      },
      seconds(60)))
      << Logs();
  Replica& killed = replicas_[victim];
  Replica& survivor = replicas_[1 - victim];
  // What the survivor says from now on (before, it may have tried the create itself while
  // it held the shard, refused by its fence).
  const size_t said_before = survivor.process->Log().size();
  killed.process->Signal(SIGKILL);
  ASSERT_TRUE(killed.process->Wait(seconds(10)).has_value());
  const auto killed_at = std::chrono::steady_clock::now();
  // Its leases expire (3 s after their last renewal) and the survivor takes every shard.
  ASSERT_TRUE(Await([&] { return Balanced({&survivor}); }, seconds(30))) << Logs();
  const double failover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  RecordProperty("failover_seconds", std::to_string(failover));
  // The create in progress is waited on by its new owner (moto holds every create in
  // progress until the test finishes them), never started a second time.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return survivor.process->Log().find(
                   "stack " + StackOf(stack) + " is CREATE_IN_PROGRESS; waiting", said_before) !=
               std::string::npos;
      },
      seconds(60)))
      // Its whole log and its view of the shards: what it did before the kill may be why.
      << survivor.process->Log() << "\n"
      << survivor.Coordination().dump();
  moto_.Control("/moto-api/ecsync/cloudformation/finish-creates", "{}");
  ASSERT_TRUE(Await([&] { return AllDeployed(); }, seconds(60))) << Logs();
  // One create of the stack reached CloudFormation, the victim's: the survivor sent none.
  int creates = 0;
  for (const ProxyEntry& entry : proxy_->Entries()) {
    if (entry.action != "CreateStack" || entry.stack != StackOf(stack)) continue;
    ++creates;
    EXPECT_EQ(entry.listener, killed.id);
  }
  EXPECT_EQ(creates, 1);
  const auto stacks = AllStacks();
  EXPECT_EQ(stacks.size(), static_cast<size_t>(options_.repositories));
  for (const auto& [name, status] : stacks) EXPECT_EQ(status, "CREATE_COMPLETE") << name;
}

}  // namespace
}  // namespace ecsync::testing
