#pragma once

// The fixture of the replica tests (docs/high-availability.md): real `ecsync serve`
// processes coordinating through a DynamoDB table in one moto_server and deploying to
// another's CloudFormation, from git repositories a `git daemon` serves. With `through_proxy` every
// replica reaches AWS through its own listener of the fault-injecting proxy
// (tests/support/aws_fault_proxy.h), which logs who sent what, when.

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/make_clients.h"
#include "tests/support/aws_fault_proxy.h"
#include "tests/support/support.h"

namespace ecsync::testing {

inline constexpr char kCoordinationTable[] = "ecsync-coordination";

// A compose file of one nginx service with `replicas` tasks.
std::string App(int replicas);
// The stack of repository `repository`'s one project.
std::string StackOf(int repository);
// The repository behind a stack StackOf named; -1 for another name.
int RepositoryOfStack(const std::string& stack);

// `count` bare repositories r0.git ... served by one git daemon, all borrowing the objects of
// one work repository (objects/info/alternates): making hundreds costs a few small files
// each, and a commit reaches any of them by moving its branch. Not thread-safe.
class ServedRepositories {
 public:
  explicit ServedRepositories(int count);
  int size() const { return count_; }
  // git://127.0.0.1:PORT/r<i>.git
  std::string Url(int i) const;
  // Commits `compose` as compose.yaml in the work repository; its SHA (on no served branch yet).
  std::string Commit(const std::string& compose);
  // Moves repository i's main branch to `revision` (atomically: a fetch sees old or new).
  void Point(int i, const std::string& revision);

 private:
  const int count_;
  GitRepo work_;
  TempDir served_;
  std::unique_ptr<GitDaemon> daemon_;
};

// One `ecsync serve` replica with its own cache, ports and log.
struct Replica {
  std::string id;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Process> process;
  int port = 0;  // the public (webhook) port
  int admin_port = 0;

  // GET `path` on the admin port; null when it does not answer.
  httplib::Result Get(const std::string& path) const;
  // The "replica" part of /api/v1/status; null when it does not answer.
  nlohmann::json Coordination() const;
  std::set<int> Owned() const;
  // A gauge's value from /metrics, e.g. "ecsync_shards_owned"; nullopt when absent.
  std::optional<double> Gauge(const std::string& name) const;
};

struct ReplicasOptions {
  int repositories = 12;
  int shards = 16;
  std::string poll_interval = "500ms";
  std::map<std::string, std::string> moto_env = {};  // e.g. ECSYNC_MOTO_SLOW_CREATE_SECONDS
  bool through_proxy = false;
  std::string webhook_secret = "";  // configured as webhooks.secret when set
  // coordination.lease_duration and renew_interval, in seconds. Short leases make expiry
  // quick to wait for; longer ones leave a starved replica (ASan beside a busy suite) room
  // to renew before its fences lapse, where a test means to see handovers, not expiry.
  int lease_seconds = 3;
  int renew_seconds = 1;
};

class Replicas : public ::testing::Test {
 protected:
  explicit Replicas(ReplicasOptions options = {});

  // The table and the repositories, each at App(1).
  void SetUp() override;

  // Starts replica `id` and waits until it listens; appended to replicas_.
  void Start(const std::string& id);

  // Commits `compose` and moves the branch of each of `repositories` to it; the revision.
  std::string CommitTo(const std::vector<int>& repositories, const std::string& compose);
  std::vector<int> AllRepositories() const;
  // The repositories whose shard is in `shards`.
  std::vector<int> RepositoriesOf(const std::set<int>& shards) const;
  int ShardOfRepository(int repository) const;

  // Every stack moto has now (DescribeStacks, the deleted ones left out): name -> stack.
  std::map<std::string, aws::Stack> Stacks() const;
  // Every stack moto knows, deleted ones included (ListStacks): name -> statuses.
  std::multimap<std::string, std::string> AllStacks() const;
  // True when every repository's stack is *_COMPLETE at the revision its branch points at.
  bool AllDeployed() const;
  // How many times the replicas' logs say they created `stack` (a replica that adopts a
  // create in progress waits on it and finds the stack up to date).
  int Creates(const std::string& stack) const;
  // True when the running replicas own every shard between them, each exactly once, and
  // each its fair share (within one shard of the others).
  bool Balanced(const std::vector<const Replica*>& running) const;
  // WaitUntil for conditions that cost moto or the replicas real work (a DescribeStacks of
  // every stack, every replica's status): looked at every `period`, not every 20 ms.
  static bool Await(const std::function<bool()>& condition, std::chrono::seconds timeout,
                    std::chrono::milliseconds period = std::chrono::milliseconds(500));
  // The end of every replica's log, for a failure's message.
  std::string Logs() const;

  // The environment of the replicas and of the test's own clients: AWS in moto_, DynamoDB
  // in dynamodb_.
  std::map<std::string, std::string> ClientEnv() const;

  const ReplicasOptions options_;
  MotoServer moto_;  // CloudFormation and the rest
  // DynamoDB in a server of its own, as in AWS: lease writes do not wait behind moto's
  // stack creates (one Python process), which would hold renewals back past the fences.
  MotoServer dynamodb_;
  std::unique_ptr<AwsFaultProxy> proxy_;  // set when options_.through_proxy
  aws::AwsClients aws_;                   // straight to moto, for the test's own looks
  std::unique_ptr<ServedRepositories> repos_;
  std::vector<std::string> revisions_;  // what each repository's branch points at
  std::deque<Replica> replicas_;        // a deque: Start keeps references to the others valid

 private:
  std::string Config(const std::string& replica_id, const std::string& cache) const;
};

}  // namespace ecsync::testing
