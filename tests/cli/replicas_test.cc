// Replicas sharing the projects (docs/high-availability.md), end to end: several real
// `ecsync serve` processes coordinating through a DynamoDB table in moto_server, deploying
// to moto's CloudFormation from real git repositories. Every project is deployed by exactly
// one replica, the shards are split between them, and a stopped replica's shards move to
// the others at once without a second deploy of anything; a replica killed during a create
// has its shards taken once its leases expire, and the create is adopted (waited on), not
// repeated.

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr int kShards = 16;
constexpr char kTable[] = "ecsync-coordination";

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

std::string StackOf(int repository) { return "r" + std::to_string(repository) + "-web"; }

// One `ecsync serve` replica with its own cache, ports and log.
struct Replica {
  std::string id;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Process> process;
  int admin_port = 0;

  // GET `path` on the admin port; null when it does not answer.
  httplib::Result Get(const std::string& path) const {
    httplib::Client client("127.0.0.1", admin_port);
    client.set_read_timeout(10, 0);
    return client.Get(path);
  }
  // The "replica" part of /api/v1/status; null when it does not answer.
  json Coordination() const {
    auto res = Get("/api/v1/status");
    if (!res || res->status != 200) return json();
    return json::parse(res->body)["replica"];
  }
  std::set<int> Owned() const {
    json doc = Coordination();
    std::set<int> owned;
    if (doc.is_null()) return owned;
    for (const json& shard : doc["owned_shards"]) owned.insert(shard.get<int>());
    return owned;
  }
};

class Replicas : public ::testing::Test {
 protected:
  explicit Replicas(int repositories = 12, const std::map<std::string, std::string>& moto_env = {})
      : repositories_(repositories), moto_(moto_env) {}

  void SetUp() override {
    ASSERT_FALSE(
        moto_
            .Aws({"dynamodb", "create-table", "--table-name", kTable, "--attribute-definitions",
                  "AttributeName=pk,AttributeType=S", "--key-schema",
                  "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST"})
            .empty());
    for (int i = 0; i < repositories_; ++i) {
      auto repo = std::make_unique<GitRepo>();
      repo->Write("compose.yaml", App(1));
      first_.push_back(repo->Commit("first"));
      repos_.push_back(std::move(repo));
    }
  }

  std::string Config(const std::string& replica_id, const std::string& cache) const {
    std::string config =
        "cache_dir: " + cache + "\ncoordination:\n  dynamodb: {table: " + kTable +
        "}\n  shards: " + std::to_string(kShards) +
        "\n  lease_duration: 3s\n  renew_interval: 1s\n  replica_id: " + replica_id +
        "\nrepositories:\n";
    for (int i = 0; i < repositories_; ++i) {
      config += "  - name: repo" + std::to_string(i) + "\n    url: " + repos_[i]->url() +
                "\n    branch: main\n    poll_interval: 500ms\n    projects:\n"
                "      - name: web\n        files: [compose.yaml]\n        stack_name: " +
                StackOf(i) + "\n";
    }
    return config;
  }

  void Start(const std::string& id) {
    Replica replica;
    replica.id = id;
    replica.dir = std::make_unique<TempDir>();
    const std::string& dir = replica.dir->path();
    std::string path = replica.dir->WriteFile("ecsync.yaml", Config(id, dir + "/cache"));
    replica.process = std::make_unique<Process>(
        std::vector<std::string>{EcsyncBinary(), "--log-format", "json", "serve", "--config", path,
                                 "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                                 "--port-file", dir + "/ports"},
        moto_.ClientEnv(), dir + "/serve.log");
    ASSERT_TRUE(WaitUntil(
        [&] {
          return std::ifstream(dir + "/ports").good() ||
                 replica.process->Wait(std::chrono::milliseconds(0)).has_value();
        },
        seconds(60)));
    ASSERT_TRUE(std::ifstream(dir + "/ports").good()) << replica.process->Log();
    std::ifstream ports(dir + "/ports");
    int port = 0;
    int metrics_port = 0;
    ports >> port >> metrics_port >> replica.admin_port;
    replicas_.push_back(std::move(replica));
  }

  // Every stack moto knows, deleted ones included (ListStacks): name -> statuses.
  std::multimap<std::string, std::string> AllStacks() const {
    std::multimap<std::string, std::string> stacks;
    std::string out = moto_.Aws({"cloudformation", "list-stacks"});
    if (out.empty()) return stacks;
    const json doc = json::parse(out);
    for (const json& stack : doc["StackSummaries"]) {
      stacks.emplace(stack["StackName"].get<std::string>(),
                     stack["StackStatus"].get<std::string>());
    }
    return stacks;
  }

  bool AllDeployed(const std::vector<std::string>& revisions) const {
    for (int i = 0; i < repositories_; ++i) {
      if (moto_.StackStatus(StackOf(i)).ends_with("_COMPLETE") &&
          moto_.StackTag(StackOf(i), "ecsync:revision") == revisions[i]) {
        continue;
      }
      return false;
    }
    return true;
  }

  // How many times the replicas' logs say they created `stack` (a replica that adopts a
  // create in progress waits on it and finds the stack up to date).
  int Creates(const std::string& stack) const {
    const std::string needle = "\"created stack " + stack + " at revision";
    int count = 0;
    for (const Replica& replica : replicas_) {
      const std::string log = replica.process->Log();
      for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
        ++count;
      }
    }
    return count;
  }

  // True when the running replicas own every shard between them, each exactly once, and
  // each its fair share (within one shard of the others).
  bool Balanced(const std::vector<const Replica*>& running) const {
    std::set<int> all;
    size_t most = 0;
    size_t least = kShards;
    for (const Replica* replica : running) {
      std::set<int> owned = replica->Owned();
      for (int shard : owned) {
        if (!all.insert(shard).second) return false;  // owned twice
      }
      most = std::max(most, owned.size());
      least = std::min(least, owned.size());
    }
    return all.size() == static_cast<size_t>(kShards) && most - least <= 1;
  }

  // ecsync_shards_owned from the replica's /metrics; -1 when absent.
  static double ShardsOwnedGauge(const Replica& replica) {
    auto res = replica.Get("/metrics");
    if (!res || res->status != 200) return -1;
    const std::string name = "\necsync_shards_owned ";
    const size_t at = res->body.find(name);
    if (at == std::string::npos) return -1;
    return std::stod(res->body.substr(at + name.size()));
  }

  std::string Logs() const {
    std::string logs;
    for (const Replica& replica : replicas_) {
      logs += "--- " + replica.id + "\n" + replica.process->Log();
    }
    return logs;
  }

  const int repositories_;
  MotoServer moto_;
  std::vector<std::unique_ptr<GitRepo>> repos_;
  std::vector<std::string> first_;
  std::vector<Replica> replicas_;
};

TEST_F(Replicas, ShareTheProjectsAndHandOverOnSigterm) {
  for (const char* id : {"replica-a", "replica-b", "replica-c"}) {
    Start(id);
    if (HasFatalFailure()) return;
  }
  ASSERT_TRUE(WaitUntil([&] { return AllDeployed(first_); }, seconds(90))) << Logs();
  const std::vector<const Replica*> all = {&replicas_[0], &replicas_[1], &replicas_[2]};
  ASSERT_TRUE(WaitUntil([&] { return Balanced(all); }, seconds(30))) << Logs();
  for (const Replica& replica : replicas_) {
    json doc = replica.Coordination();
    EXPECT_TRUE(doc["healthy"].get<bool>()) << doc.dump();
    EXPECT_EQ(doc["live_replicas"], 3) << doc.dump();
    EXPECT_EQ(doc["shards"], kShards);
    auto ready = replica.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    EXPECT_NE(ready->body.find("replica " + replica.id), std::string::npos) << ready->body;
    EXPECT_EQ(ShardsOwnedGauge(replica), static_cast<double>(replica.Owned().size()));
  }
  // Every project deployed exactly once: one create each, no stack made twice.
  for (int i = 0; i < repositories_; ++i) EXPECT_EQ(Creates(StackOf(i)), 1) << StackOf(i);
  EXPECT_EQ(AllStacks().size(), static_cast<size_t>(repositories_));

  // SIGTERM hands the shards over at once: the others take them at their next Tick,
  // long before the 3 s leases could expire.
  Replica& leaving = replicas_[2];
  const std::set<int> left = leaving.Owned();
  ASSERT_FALSE(left.empty());
  const auto stopped_at = std::chrono::steady_clock::now();
  leaving.process->Signal(SIGTERM);
  ASSERT_EQ(leaving.process->Wait(seconds(30)).value_or(-99), 0) << leaving.process->Log();
  const std::vector<const Replica*> remaining = {&replicas_[0], &replicas_[1]};
  ASSERT_TRUE(WaitUntil([&] { return Balanced(remaining); }, seconds(30))) << Logs();
  const double handover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped_at).count();
  RecordProperty("handover_seconds", std::to_string(handover));
  EXPECT_EQ(replicas_[0].Coordination()["live_replicas"], 2);

  // The stopped replica's repositories are deployed by their new owners: a new commit to
  // each repository reaches every stack, each still single.
  std::vector<std::string> second;
  for (const auto& repo : repos_) {
    repo->Write("compose.yaml", App(2));
    second.push_back(repo->Commit("two"));
  }
  ASSERT_TRUE(WaitUntil([&] { return AllDeployed(second); }, seconds(90))) << Logs();
  for (int i = 0; i < repositories_; ++i) EXPECT_EQ(Creates(StackOf(i)), 1) << StackOf(i);
  const auto stacks = AllStacks();
  EXPECT_EQ(stacks.size(), static_cast<size_t>(repositories_));
  for (const auto& [name, status] : stacks) EXPECT_EQ(status, "UPDATE_COMPLETE") << name;
}

// Creates that moto reports CREATE_IN_PROGRESS for a while, so a replica can die during one.
class ReplicasWithSlowCreates : public Replicas {
 protected:
  ReplicasWithSlowCreates() : Replicas(4, {{"ECSYNC_MOTO_SLOW_CREATE_SECONDS", "15"}}) {}
};

TEST_F(ReplicasWithSlowCreates, AReplicaKilledDuringACreateIsAdoptedNotRepeated) {
  Start("replica-a");
  if (HasFatalFailure()) return;
  Start("replica-b");
  if (HasFatalFailure()) return;
  // Wait for a create in progress, and kill -9 the replica that started it.
  int victim = -1;
  int stack = -1;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (int r = 0; r < 2 && victim < 0; ++r) {
          const std::string log = replicas_[r].process->Log();
          for (int i = 0; i < repositories_; ++i) {
            if (log.find("creating stack " + StackOf(i) + " at revision") != std::string::npos &&
                moto_.StackStatus(StackOf(i)) == "CREATE_IN_PROGRESS") {
              victim = r;
              stack = i;
              break;
            }
          }
        }
        return victim >= 0;
      },
      seconds(60)))
      << Logs();
  Replica& killed = replicas_[victim];
  Replica& survivor = replicas_[1 - victim];
  killed.process->Signal(SIGKILL);
  ASSERT_TRUE(killed.process->Wait(seconds(10)).has_value());
  const auto killed_at = std::chrono::steady_clock::now();
  // Its leases expire (3 s after their last renewal) and the survivor takes every shard.
  ASSERT_TRUE(WaitUntil([&] { return Balanced({&survivor}); }, seconds(30))) << Logs();
  const double failover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  RecordProperty("failover_seconds", std::to_string(failover));
  ASSERT_TRUE(WaitUntil([&] { return AllDeployed(first_); }, seconds(60))) << Logs();
  // The create in progress was waited on by its new owner, never started a second time.
  const std::string log = survivor.process->Log();
  EXPECT_NE(log.find("stack " + StackOf(stack) + " is CREATE_IN_PROGRESS; waiting"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("creating stack " + StackOf(stack) + " at revision"), std::string::npos)
      << log;
  const auto stacks = AllStacks();
  EXPECT_EQ(stacks.size(), static_cast<size_t>(repositories_));
  for (const auto& [name, status] : stacks) EXPECT_EQ(status, "CREATE_COMPLETE") << name;
}

}  // namespace
}  // namespace ecsync::testing
