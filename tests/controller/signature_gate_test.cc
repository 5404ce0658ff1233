// The controller's signature gate (controller/signature_gate.h) with a real git repository,
// real signatures and the stack-files target: a refused revision changes no stack, shows as
// Stalled with the commit, the reason and the key, and is counted; a later signed commit
// deploys.

#include <gtest/gtest.h>

#include "aws/stack_files.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "reconcile/stack_tags.h"
#include "tests/support/signing_keys.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using testing::GitRepo;
using testing::SigningKeys;
using testing::TempDir;
using testing::WaitUntil;

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

class SignatureGateTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { SigningKeys::StopAgent(); }

  SignatureGateTest()
      : keys_(SigningKeys::Get()),
        git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        metrics_("test", "") {}

  config::Config MakeConfig(git::VerifyMode mode) {
    config::RepositoryConfig repo;
    repo.name = "shop";
    repo.url = repo_.url();
    repo.ref = "main";
    repo.poll_interval = std::chrono::milliseconds(100);
    repo.timeout = std::chrono::seconds(60);
    git::SignaturePolicy policy;
    policy.mode = mode;
    policy.keyring = keys_.keyring;
    policy.allowed_signers = keys_.allowed_signers;
    repo.verify = policy;
    config::ProjectConfig project;
    project.name = "app";
    project.files = {"compose.yaml"};
    repo.projects.push_back(project);
    config::Config config;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories.push_back(std::move(repo));
    return config;
  }

  ControllerDeps Deps() {
    ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &stacks_;
    deps.clock = base::SystemClock::Get();
    deps.metrics = &metrics_;
    deps.stack_poll_interval = std::chrono::milliseconds(20);
    return deps;
  }

  std::string Revision() {
    auto found = stacks_.DescribeStack("shop-app");
    return found.ok() ? found->tags[reconcile::kTagRevision] : "";
  }

  const SigningKeys& keys_;
  TempDir work_;
  GitRepo repo_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  metrics::Metrics metrics_;
};

TEST_F(SignatureGateTest, UnsignedCommitStallsWithTheReasonAndASignedOneDeploys) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = keys_.CommitPgp(repo_, keys_.alice);
  Controller controller(MakeConfig(git::VerifyMode::kHead), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision() == first; }));

  repo_.Write("compose.yaml", App(2));
  const std::string bad = keys_.CommitPgp(repo_, keys_.stranger);
  ProjectStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("shop/app", &status) &&
           status.condition == Condition::kStalled;
  }));
  EXPECT_NE(status.reason.find("refused " + bad.substr(0, 7) + " (unknown_key)"), std::string::npos)
      << status.reason;
  EXPECT_NE(status.reason.find("key found: " + keys_.stranger), std::string::npos) << status.reason;
  EXPECT_TRUE(status.needs_input);
  ASSERT_FALSE(status.runs.empty());
  EXPECT_EQ(status.runs.front().result, "refused");
  EXPECT_EQ(Revision(), first);  // the stack is untouched
  EXPECT_NE(metrics_.Serialize().find(
                "ecsync_signature_refusals_total{reason=\"unknown_key\",repository=\"shop\"} 1"),
            std::string::npos)
      << metrics_.Serialize();
  // Later polls see the same refused head: not verified (nor counted) again.
  const auto refused_at = std::chrono::system_clock::now();
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_fetch > refused_at + std::chrono::milliseconds(400);
  }));
  EXPECT_NE(metrics_.Serialize().find(
                "ecsync_signature_refusals_total{reason=\"unknown_key\",repository=\"shop\"} 1"),
            std::string::npos);

  repo_.Write("compose.yaml", App(3));
  const std::string good = keys_.CommitSsh(repo_, keys_.alice_ssh);
  ASSERT_TRUE(WaitUntil([&] { return Revision() == good; }));
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("shop/app", &status) &&
           status.condition == Condition::kReady;
  }));
  controller.Stop();
}

TEST_F(SignatureGateTest, StrictRefusesASignedHeadOverAnUnsignedCommit) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = keys_.CommitPgp(repo_, keys_.alice);
  Controller controller(MakeConfig(git::VerifyMode::kStrict), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision() == first; }));

  repo_.Write("compose.yaml", App(2));
  const std::string unsigned_commit = repo_.Commit("unsigned change");
  repo_.Write("compose.yaml", App(3));
  const std::string head = keys_.CommitPgp(repo_, keys_.alice);
  // Whether a check saw the unsigned commit as the head or not, the signed head is refused
  // for it: every commit since the deployed one must be signed.
  ProjectStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_commit == head &&
           controller.status().FindProject("shop/app", &status) &&
           status.last_attempted_revision == head;
  }));
  EXPECT_EQ(status.condition, Condition::kStalled);
  EXPECT_NE(status.reason.find("refused " + head.substr(0, 7) + " (unsigned): commit " +
                               unsigned_commit.substr(0, 7) + " is not signed"),
            std::string::npos)
      << status.reason;
  EXPECT_EQ(Revision(), first);
  controller.Stop();
}

}  // namespace
}  // namespace ecsync::controller
