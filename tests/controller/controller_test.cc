// The controller loop with real git repositories (libgit2 over file://) and the stack-files
// target (a real CloudFormation implementation on disk), so every decision is observable in
// the stacks without an AWS endpoint.

#include "controller/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/stack_files.h"
#include "base/hash.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "reconcile/stack_tags.h"
#include "tests/notify/recording_publisher.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/log_capture.h"
#include "tests/support/passthrough_git.h"
#include "tests/support/signing_keys.h"
#include "tests/support/silent_server.h"
#include "tests/support/support.h"
#include "web/webhook_handler.h"

namespace ecsync::controller {
namespace {

using std::chrono::seconds;
using testing::GitRepo;
using testing::TempDir;
using testing::WaitUntil;

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest()
      : git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        metrics_("test", "") {}

  config::RepositoryConfig Repo(std::vector<config::ProjectConfig> projects) {
    config::RepositoryConfig repo;
    repo.name = "mono";
    repo.url = repo_.url();
    repo.ref = "main";
    repo.poll_interval = std::chrono::milliseconds(200);
    repo.timeout = std::chrono::seconds(60);
    repo.projects = std::move(projects);
    return repo;
  }

  config::Config MakeConfig(config::RepositoryConfig repo) {
    config::Config config;
    config.concurrency = 2;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories.push_back(std::move(repo));
    config.webhooks.secret = "hook";
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

  // Commits apps/api and apps/web, one replica each; the commit.
  std::string CommitTwoApps() {
    repo_.Write("apps/api/compose.yaml", App(1));
    repo_.Write("apps/web/compose.yaml", App(1));
    return repo_.Commit("two apps");
  }

  static config::ProjectConfig Glob(const std::string& pattern) {
    config::ProjectConfig entry;
    entry.glob = pattern;
    return entry;
  }

  // Project "app" from the repository's compose.yaml: stack "<repository>-app".
  static config::ProjectConfig AppProject() {
    config::ProjectConfig entry;
    entry.name = "app";
    entry.files = {"compose.yaml"};
    return entry;
  }

  std::string Revision(const std::string& stack) {
    auto found = stacks_.DescribeStack(stack);
    if (!found.ok()) return "";
    return found->tags[reconcile::kTagRevision];
  }

  bool Exists(const std::string& stack) { return stacks_.DescribeStack(stack).ok(); }

  size_t Runs(const Controller& controller, const std::string& key) {
    ProjectStatus status;
    if (!controller.status().FindProject(key, &status)) return 0;
    return status.runs.size();
  }

  TempDir work_;
  GitRepo repo_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  metrics::Metrics metrics_;
};

TEST_F(ControllerTest, MonorepoReconcilesOnlyTheProjectWhoseFilesChanged) {
  std::string first = CommitTwoApps();
  Controller controller(MakeConfig(Repo({Glob("apps/*/compose.yaml")})), Deps());
  controller.Start();
  ASSERT_TRUE(
      WaitUntil([&] { return Revision("mono-api") == first && Revision("mono-web") == first; }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));
  size_t api_runs = Runs(controller, "mono/api");

  repo_.Write("apps/web/compose.yaml", App(2));
  std::string second = repo_.Commit("scale web");
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-web") == second; }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));
  // The api project's files did not change: it was not reconciled again, and its stack
  // still carries the first revision.
  EXPECT_EQ(Runs(controller, "mono/api"), api_runs);
  EXPECT_EQ(Revision("mono-api"), first);
  controller.Stop();
}

TEST_F(ControllerTest, RevertingToAnEarlierTemplateIsDeployed) {
  // The stack listing shared by a cycle must not make a revert look like a no-op.
  repo_.Write("compose.yaml", App(1));
  std::string a = repo_.Commit("a");
  config::ProjectConfig entry = AppProject();
  Controller controller(MakeConfig(Repo({entry})), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == a; }));
  const std::string sha_a = stacks_.DescribeStack("mono-app")->tags[reconcile::kTagTemplateSha];
  repo_.Write("compose.yaml", App(2));
  std::string b = repo_.Commit("b");
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == b; }));
  repo_.Write("compose.yaml", App(1));
  std::string reverted = repo_.Commit("revert to a");
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == reverted; }));
  EXPECT_EQ(stacks_.DescribeStack("mono-app")->tags[reconcile::kTagTemplateSha], sha_a);
  controller.Stop();
}

TEST_F(ControllerTest, ABrokenCommitStallsWithoutRetryingAndLeavesTheStack) {
  repo_.Write("compose.yaml", App(1));
  std::string first = repo_.Commit("ok");
  config::ProjectConfig entry = AppProject();
  Controller controller(MakeConfig(Repo({entry})), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));

  repo_.Write("compose.yaml", "services: [not a map");
  repo_.Commit("broken");
  ProjectStatus status;
  // Stalled, and the failed run recorded (the run is added just after the condition).
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/app", &status) &&
           status.condition == Condition::kStalled && !status.runs.empty() &&
           status.runs.front().result == "error";
  }));
  EXPECT_NE(status.reason.find("compose.yaml"), std::string::npos) << status.reason;
  const size_t runs = status.runs.size();
  // Several polls later (200 ms apart) the broken revision has not been tried again.
  const auto stalled_at = std::chrono::system_clock::now();
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_fetch > stalled_at + std::chrono::milliseconds(800);
  }));
  ASSERT_TRUE(controller.status().FindProject("mono/app", &status));
  EXPECT_EQ(status.runs.size(), runs);
  EXPECT_EQ(Revision("mono-app"), first);  // the running stack is untouched

  // A fixing commit is picked up at once.
  repo_.Write("compose.yaml", App(2));
  std::string fixed = repo_.Commit("fixed");
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == fixed; }));
  controller.Stop();
}

TEST_F(ControllerTest, PrunesAStackWhoseProjectIsGoneButNeverEverything) {
  CommitTwoApps();
  Controller controller(MakeConfig(Repo({Glob("apps/*/compose.yaml")})), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("mono-api") && Exists("mono-web"); }));

  repo_.Remove("apps/api/compose.yaml");
  repo_.Commit("drop api");
  ASSERT_TRUE(WaitUntil([&] { return !Exists("mono-api"); })) << "api was not pruned";
  EXPECT_TRUE(Exists("mono-web"));

  // A commit that leaves no project at all deletes nothing.
  repo_.Remove("apps/web/compose.yaml");
  repo_.Write("README", "moved elsewhere\n");
  std::string empty = repo_.Commit("empty");
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_commit == empty &&
           repos[0].last_error.find("allow_prune_all") != std::string::npos;
  })) << controller.status().ToJson().dump(2);
  EXPECT_TRUE(Exists("mono-web"));
  controller.Stop();
}

TEST_F(ControllerTest, PruneOptOutKeepsTheStack) {
  CommitTwoApps();
  config::ProjectConfig api;
  api.name = "api";
  api.files = {"apps/api/compose.yaml"};
  api.prune = false;
  config::ProjectConfig web;
  web.name = "web";
  web.files = {"apps/web/compose.yaml"};
  Controller controller(MakeConfig(Repo({api, web})), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("mono-api") && Exists("mono-web"); }));
  repo_.Remove("apps/api/compose.yaml");
  std::string second = repo_.Commit("drop api");
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_commit == second && controller.Idle();
  }));
  EXPECT_TRUE(Exists("mono-api"));
  controller.Stop();
}

// Only git decides what is gone: an entry removed from the configuration (with it any
// approval: manual or prune: false it had) keeps its stack while its compose file is still in
// git, and says so; once git drops the file too, it is pruned.
TEST_F(ControllerTest, AnEntryRemovedFromTheConfigurationKeepsItsStack) {
  CommitTwoApps();
  config::ProjectConfig api;
  api.name = "api";
  api.files = {"apps/api/compose.yaml"};
  config::ProjectConfig web;
  web.name = "web";
  web.files = {"apps/web/compose.yaml"};
  config::Config config = MakeConfig(Repo({api, web}));
  testing::LogCapture log;
  Controller controller(config, Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("mono-api") && Exists("mono-web"); }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));

  controller.Reload(MakeConfig(Repo({web})));
  repo_.Write("apps/web/README", "a change, so the repository is checked and pruned\n");
  repo_.Commit("touch web");
  ASSERT_TRUE(WaitUntil([&] {
    return log.text().find("apps/api/compose.yaml is still in git") != std::string::npos;
  })) << log.text();
  EXPECT_NE(log.text().find("no entry of the configuration deploys it"), std::string::npos);
  EXPECT_TRUE(Exists("mono-api"));
  EXPECT_TRUE(Exists("mono-web"));

  repo_.Remove("apps/api/compose.yaml");
  repo_.Commit("drop api");
  EXPECT_TRUE(WaitUntil([&] { return !Exists("mono-api"); }));
  EXPECT_TRUE(Exists("mono-web"));
  controller.Stop();
}

// approval: manual covers deletes: a project that left git keeps its stack, with a log line
// saying so, and its delete waits for an operator under the key the project had. An approved
// delete still goes through the prune's checks: termination protection keeps the stack (the
// run says why and the delete waits again) until it is turned off and the delete approved.
TEST_F(ControllerTest, APruneNeverDeletesTheStackOfAManualApprovalProject) {
  CommitTwoApps();
  {
    Controller controller(MakeConfig(Repo({Glob("apps/*/compose.yaml")})), Deps());
    controller.Start();
    ASSERT_TRUE(WaitUntil([&] { return Exists("mono-api") && Exists("mono-web"); }));
    controller.Stop();
  }
  repo_.Remove("apps/api/compose.yaml");
  repo_.Commit("drop api");
  testing::LogCapture log;
  config::ProjectConfig apps = Glob("apps/*/compose.yaml");
  apps.manual_approval = true;
  Controller controller(MakeConfig(Repo({apps})), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] {
    return log.text().find("prune waits for an operator") != std::string::npos;
  })) << log.text();
  EXPECT_NE(log.text().find("apps/api/compose.yaml"), std::string::npos);
  EXPECT_TRUE(controller.Idle() || WaitUntil([&] { return controller.Idle(); }));
  EXPECT_TRUE(Exists("mono-api"));
  EXPECT_TRUE(Exists("mono-web"));
  ProjectStatus api;
  ASSERT_TRUE(controller.status().FindProject("mono/api", &api));  // the glob's name for it
  EXPECT_EQ(api.condition, Condition::kAwaitingApproval);
  EXPECT_EQ(api.pending_action, "delete");
  EXPECT_EQ(api.stack, "mono-api");

  ASSERT_TRUE(stacks_.UpdateTerminationProtection("mono-api", true).ok());
  ASSERT_TRUE(controller.DecideChange("mono/api", "dave", /*reject=*/false).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/api", &api) && !api.runs.empty() &&
           api.runs.front().result == "failed" && controller.Idle();
  }));
  // Seen in the listing, or refused by CloudFormation: either way the protection is named.
  const std::string& why = api.runs.front().message;
  EXPECT_TRUE(why.find("termination protection") != std::string::npos ||
              why.find("TerminationProtection") != std::string::npos)
      << why;
  EXPECT_EQ(api.runs.front().approved_by, "dave");
  EXPECT_EQ(api.condition, Condition::kAwaitingApproval);
  EXPECT_TRUE(Exists("mono-api"));

  ASSERT_TRUE(stacks_.UpdateTerminationProtection("mono-api", false).ok());
  ASSERT_TRUE(controller.DecideChange("mono/api", "dave", /*reject=*/false).ok());
  EXPECT_TRUE(WaitUntil([&] { return !Exists("mono-api"); }));
  EXPECT_TRUE(Exists("mono-web"));
  controller.Stop();
}

// The network is configuration like any other: a reload naming another VPC and subnets
// moves every stack there without a restart, and without a new commit.
TEST_F(ControllerTest, AReloadNamingAnotherVpcRedeploysTheStacksThere) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = repo_.Commit("ok");
  config::Config config = MakeConfig(Repo({AppProject()}));
  Controller controller(config, Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));
  auto deployed = stacks_.GetTemplate("mono-app");
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  ASSERT_NE(deployed->find("subnet-1111aaaa"), std::string::npos) << *deployed;

  config.aws.vpc_id = "vpc-87654321";
  config.aws.subnet_ids = {"subnet-3333cccc", "subnet-4444dddd"};
  controller.Reload(config);
  std::string moved;
  EXPECT_TRUE(WaitUntil([&] {
    auto current = stacks_.GetTemplate("mono-app");
    moved = current.ok() ? *current : "";
    return moved.find("subnet-3333cccc") != std::string::npos;
  })) << moved;
  EXPECT_EQ(moved.find("subnet-1111aaaa"), std::string::npos) << moved;
  EXPECT_EQ(Revision("mono-app"), first);
  controller.Stop();
}

TEST_F(ControllerTest, RunOnceReconcilesEverythingAndReportsFailures) {
  repo_.Write("apps/good/compose.yaml", App(1));
  repo_.Write("apps/bad/compose.yaml",
              "services:\n  web:\n    image: nginx\n    network_mode: host\n");
  repo_.Commit("one good, one bad");
  Controller controller(MakeConfig(Repo({Glob("apps/*/compose.yaml")})), Deps());
  OnceSummary summary = controller.RunOnce(/*force=*/false, nullptr);
  EXPECT_EQ(summary.projects, 2);
  EXPECT_EQ(summary.succeeded, 1);
  EXPECT_EQ(summary.invalid, 1);
  EXPECT_TRUE(Exists("mono-good"));
  EXPECT_FALSE(Exists("mono-bad"));
}

TEST_F(ControllerTest, WebhooksOverTheRateLimitGet429AndChangeNothing) {
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("ok");
  config::ProjectConfig entry = AppProject();
  config::RepositoryConfig repo = Repo({entry});
  repo.poll_interval = std::chrono::milliseconds(0);
  Controller controller(MakeConfig(repo), Deps());
  web::WebhookHandler::Options options;
  options.requests_per_second = 0.001;
  options.burst = 1;
  web::WebhookHandler handler(controller, &metrics_, *base::SystemClock::Get(), options);
  std::string body = nlohmann::json{{"repository", repo_.url()}, {"ref", "main"}}.dump();
  webhook::Headers headers = {
      {"X-Signature", "sha256=" + base::HexEncode(base::HmacSha256("hook", body))}};
  EXPECT_EQ(handler.Handle(webhook::Provider::kGeneric, headers, body, "127.0.0.1").status, 202);
  web::WebhookResponse limited =
      handler.Handle(webhook::Provider::kGeneric, headers, body, "127.0.0.1");
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(metrics_.Serialize().find("result=\"rate_limited\""), std::string::npos);
}

TEST_F(ControllerTest, WebhookForAnotherBranchIsIgnored) {
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("ok");
  config::ProjectConfig entry = AppProject();
  Controller controller(MakeConfig(Repo({entry})), Deps());
  web::WebhookHandler handler(controller, nullptr, *base::SystemClock::Get(), {});
  std::string body = nlohmann::json{{"repository", repo_.url()}, {"ref", "feature"}}.dump();
  webhook::Headers headers = {
      {"X-Signature", "sha256=" + base::HexEncode(base::HmacSha256("hook", body))}};
  web::WebhookResponse answer =
      handler.Handle(webhook::Provider::kGeneric, headers, body, "127.0.0.1");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.body.find("ignored"), std::string::npos);
}

// moto cannot detect drift, so this wrapper over the stack files reports one modified
// resource for every detection (a fake only for what the real target cannot do).
class DriftedCloudFormation : public reconcile::fakes::ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;
  std::atomic<int> detections{0};

  base::Result<std::string> DetectStackDrift(const std::string& name) override {
    ++detections;
    return ForwardingCloudFormation::DetectStackDrift(name);
  }
  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override {
    auto real = ForwardingCloudFormation::DescribeStackResourceDrifts(name);
    if (!real.ok()) return real;
    aws::ResourceDrift drift;
    drift.logical_id = "WebService";
    drift.resource_type = "AWS::ECS::Service";
    drift.drift_status = "MODIFIED";
    drift.differences.push_back({"/DesiredCount", "1", "3", "NOT_EQUAL"});
    return std::vector<aws::ResourceDrift>{drift};
  }
};

TEST_F(ControllerTest, DriftIsReportedAndSelfHealReappliesTheRevision) {
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("ok");
  DriftedCloudFormation drifting(stacks_);
  ControllerDeps deps = Deps();
  deps.targets.cloudformation = &drifting;
  config::ProjectConfig entry = AppProject();
  entry.self_heal = true;
  config::Config config = MakeConfig(Repo({entry}));
  config.drift_interval = std::chrono::milliseconds(100);
  Controller controller(config, deps);
  controller.Start();
  ProjectStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/app", &status) && status.drifted_resources == 1;
  })) << controller.status().ToJson().dump(2);
  EXPECT_EQ(status.drift_status, "DRIFTED");
  EXPECT_NE(status.drift_detail.find("/DesiredCount 1 -> 3"), std::string::npos);
  EXPECT_NE(metrics_.Serialize().find(
                "ecsync_stack_drifted_resources{project=\"mono/app\",stack=\"mono-app\"} 1"),
            std::string::npos)
      << metrics_.Serialize();
  // Self-heal: the revision is applied again through a change set even though the tags say
  // the stack is up to date.
  EXPECT_TRUE(WaitUntil([&] { return drifting.change_sets() >= 1; }));
  controller.Stop();
}

TEST_F(ControllerTest, AStackDeletedByHandIsCreatedAgainOnceTheListingIsStale) {
  repo_.Write("compose.yaml", App(1));
  std::string first = repo_.Commit("ok");
  config::ProjectConfig entry = AppProject();
  config::Config config = MakeConfig(Repo({entry}));
  {
    Controller deploy(config, Deps());
    deploy.Start();
    ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));
  }
  // A restarted controller lists the stack as up to date; drift checks then queue the
  // project every 100 ms.
  config.drift_interval = std::chrono::milliseconds(100);
  ControllerDeps deps = Deps();
  deps.snapshot_trust = std::chrono::milliseconds(0);
  Controller controller(config, deps);
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] {
    ProjectStatus status;
    return controller.status().FindProject("mono/app", &status) && !status.runs.empty() &&
           status.runs.front().result == "noop";
  }));
  ASSERT_TRUE(stacks_.DeleteStack("mono-app", "by-hand").ok());
  // The listing still shows the stack up to date; once stale it must not be believed.
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));
  controller.Stop();
}

TEST_F(ControllerTest, DriftWithoutSelfHealOnlyReports) {
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("ok");
  DriftedCloudFormation drifting(stacks_);
  ControllerDeps deps = Deps();
  deps.targets.cloudformation = &drifting;
  config::ProjectConfig entry = AppProject();
  config::Config config = MakeConfig(Repo({entry}));
  config.drift_interval = std::chrono::milliseconds(100);
  Controller controller(config, deps);
  controller.Start();
  ProjectStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/app", &status) && status.drifted_resources == 1;
  }));
  // Checked again on schedule, with no new commit.
  EXPECT_TRUE(WaitUntil([&] { return drifting.detections >= 3; }));
  EXPECT_EQ(drifting.change_sets(), 0);
  controller.Stop();
}

TEST_F(ControllerTest, AHungGitHostDoesNotHoldUpTheOtherRepositories) {
  repo_.Write("compose.yaml", App(1));
  const std::string commit = repo_.Commit("app");
  testing::SilentServer hung;
  config::ProjectConfig entry = AppProject();
  config::Config config = MakeConfig(Repo({entry}));
  config::RepositoryConfig stuck = config.repositories[0];
  stuck.name = "a-hung";  // polled first, in name order
  stuck.url = hung.url();
  config.repositories.insert(config.repositories.begin(), stuck);
  config.poll_concurrency = 2;
  Controller controller(config, Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return hung.connections() >= 1; }));
  // One poller waits on the silent host; the other keeps deploying.
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == commit; }));
  repo_.Write("compose.yaml", App(2));
  const std::string second = repo_.Commit("scale");
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == second; }));
  EXPECT_EQ(hung.connections(), 1);  // still the first request: never answered
  hung.Close();                      // lets the stuck poll fail, so Stop can join it
  controller.Stop();
}

// The real git source, plus a webhook for `url` arriving during each of its checks (a push
// storm, timed so that it is due again whenever a poller is free).
class RetriggeringGit : public testing::PassthroughGit {
 public:
  RetriggeringGit(git::GitSource& real, std::string url)
      : PassthroughGit(real), url_(std::move(url)) {}
  std::function<void()> trigger;

  base::Result<std::string> RemoteHead(const std::string& url, const std::string& ref) override {
    if (url == url_ && trigger) trigger();
    return PassthroughGit::RemoteHead(url, ref);
  }

 private:
  std::string url_;
};

// One poller, and a repository whose webhooks never stop: the other repository still gets
// its turn.
TEST_F(ControllerTest, ARepositoryTriggeredWithoutPauseDoesNotStarveTheOthers) {
  GitRepo busy;
  busy.Write("compose.yaml", App(1));
  busy.Commit("busy");
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("quiet");
  config::ProjectConfig entry = AppProject();
  config::Config config = MakeConfig(Repo({entry}));
  config.repositories[0].name = "b-quiet";
  config::RepositoryConfig noisy = config.repositories[0];
  noisy.name = "a-busy";  // first in name order
  noisy.url = busy.url();
  config.repositories.insert(config.repositories.begin(), noisy);
  config.poll_concurrency = 1;
  RetriggeringGit git(git_, busy.url());
  ControllerDeps deps = Deps();
  deps.git = &git;
  Controller controller(config, deps);
  git.trigger = [&controller] { controller.Trigger("a-busy"); };
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("a-busy-app") && Exists("b-quiet-app"); }));
  repo_.Write("compose.yaml", App(2));
  const std::string second = repo_.Commit("scale the quiet one");
  EXPECT_TRUE(WaitUntil([&] { return Revision("b-quiet-app") == second; }));
  controller.Stop();
}

// A registry whose images appear when the test says CI has pushed them (every tag then
// answers one digest).
class PushableRegistry : public artifacts::ImageRegistry {
 public:
  base::Result<std::string> FindDigest(const artifacts::ImageRef& image) override {
    if (!pushed.load()) return base::NotFoundError(image.ToString() + " not pushed");
    return std::string(kPushedDigest);
  }
  static constexpr const char* kPushedDigest =
      "sha256:2222222222222222222222222222222222222222222222222222222222222222";
  std::atomic<bool> pushed{false};
};

class ImagesControllerTest : public ControllerTest {
 protected:
  ImagesControllerTest() {
    // Named, so the image repository is `mono-app/api` whatever the test folder is called.
    repo_.Write("compose.yaml", "name: mono-app\nservices:\n  api:\n    build: ./api\n");
    repo_.Write("api/Dockerfile", "FROM busybox\n");
  }

  config::ProjectConfig Project(std::chrono::milliseconds wait) {
    config::ProjectConfig entry = AppProject();
    entry.images.builder = "external";
    entry.images.registry = "registry.example.com";
    entry.images.poll_interval = std::chrono::milliseconds(50);
    entry.images.wait = wait;
    return entry;
  }

  ControllerDeps ImageDeps() {
    ControllerDeps deps = Deps();
    deps.targets.open_registry = [this](const std::string&, const artifacts::RegistryV2Options&)
        -> base::Result<std::shared_ptr<artifacts::ImageRegistry>> {
      return std::shared_ptr<artifacts::ImageRegistry>(registry_);
    };
    return deps;
  }

  // The project's status once `condition` holds with a run recorded; fails the wait if not.
  ProjectStatus WaitFor(const Controller& controller, Condition condition,
                        const std::string& reason_part) {
    ProjectStatus status;
    EXPECT_TRUE(WaitUntil([&] {
      return controller.status().FindProject("mono/app", &status) &&
             status.condition == condition && !status.runs.empty() &&
             status.reason.find(reason_part) != std::string::npos;
    })) << ConditionName(status.condition)
        << ": " << status.reason;
    return status;
  }

  std::shared_ptr<PushableRegistry> registry_ = std::make_shared<PushableRegistry>();
};

TEST_F(ImagesControllerTest, AProjectWaitsForItsImagesAndANewCommitSupersedesTheWait) {
  repo_.Commit("api");
  Controller controller(MakeConfig(Repo({Project(std::chrono::minutes(10))})), ImageDeps());
  controller.Start();
  ProjectStatus waiting = WaitFor(controller, Condition::kWaitingForImages, "waiting for 1 image");
  EXPECT_EQ(waiting.runs.front().result, "waiting");
  EXPECT_FALSE(waiting.needs_input);
  const size_t at = waiting.reason.find("registry.example.com/mono-app/api:");
  ASSERT_NE(at, std::string::npos) << waiting.reason;
  const std::string first_reference = waiting.reason.substr(at, waiting.reason.find(' ', at) - at);
  EXPECT_FALSE(Exists("mono-app"));
  // Re-checked without a new commit (every 50 ms), still without touching AWS.
  ASSERT_TRUE(WaitUntil([&] { return Runs(controller, "mono/app") >= 3; }));
  EXPECT_FALSE(Exists("mono-app"));

  // A commit that changes the build context names a new image: the wait is for that one.
  repo_.Write("api/Dockerfile", "FROM busybox:1.36\n");
  std::string second = repo_.Commit("pin busybox");
  ProjectStatus superseded =
      WaitFor(controller, Condition::kWaitingForImages, "registry.example.com/mono-app/api:");
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/app", &superseded) &&
           superseded.last_attempted_revision == second &&
           superseded.condition == Condition::kWaitingForImages;
  }));
  EXPECT_EQ(superseded.reason.find(first_reference), std::string::npos) << superseded.reason;

  // CI pushes: the next check deploys the commit with the image pinned by digest.
  registry_->pushed = true;
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == second; }));
  WaitFor(controller, Condition::kReady, "");
  auto body = stacks_.GetTemplate("mono-app");
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find(std::string("registry.example.com/mono-app/api@") +
                       PushableRegistry::kPushedDigest),
            std::string::npos);
  controller.Stop();
}

TEST_F(ImagesControllerTest, ImagesNeverPushedStallTheRevisionOnceItsWaitIsOver) {
  repo_.Commit("api");
  Controller controller(MakeConfig(Repo({Project(std::chrono::milliseconds(300))})), ImageDeps());
  controller.Start();
  ProjectStatus stalled = WaitFor(controller, Condition::kStalled, "gave up");
  EXPECT_TRUE(stalled.needs_input);
  EXPECT_NE(stalled.reason.find("waiting for a new commit or configuration"), std::string::npos);
  const size_t runs = stalled.runs.size();
  // Given up: not checked again until something changes.
  const auto stalled_at = std::chrono::system_clock::now();
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_fetch > stalled_at + std::chrono::milliseconds(600);
  }));
  ASSERT_TRUE(controller.status().FindProject("mono/app", &stalled));
  EXPECT_EQ(stalled.runs.size(), runs);
  EXPECT_FALSE(Exists("mono-app"));
  controller.Stop();
}

// A repository with verify: (controller/signature_gate.h), real signatures: a refused revision
// changes no stack, shows as Stalled with the commit, the reason and the key, and is counted;
// a later signed commit deploys.
class SignedCommitsControllerTest : public ControllerTest {
 protected:
  static void TearDownTestSuite() { testing::SigningKeys::StopAgent(); }

  config::Config MakeConfig(git::VerifyMode mode) {
    config::RepositoryConfig repo = Repo({AppProject()});
    repo.poll_interval = std::chrono::milliseconds(100);
    git::SignaturePolicy policy;
    policy.mode = mode;
    policy.keyring = keys_.keyring;
    policy.allowed_signers = keys_.allowed_signers;
    repo.verify = policy;
    return ControllerTest::MakeConfig(std::move(repo));
  }

  std::string Revision() { return ControllerTest::Revision("mono-app"); }

  const testing::SigningKeys& keys_ = testing::SigningKeys::Get();
};

TEST_F(SignedCommitsControllerTest, UnsignedCommitStallsWithTheReasonAndASignedOneDeploys) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = keys_.CommitPgp(repo_, keys_.alice);
  notify::RecordingPublisher events;
  ControllerDeps deps = Deps();
  deps.events = &events;
  Controller controller(MakeConfig(git::VerifyMode::kHead), deps);
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision() == first; }));

  repo_.Write("compose.yaml", App(2));
  const std::string bad = keys_.CommitPgp(repo_, keys_.stranger);
  ProjectStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/app", &status) &&
           status.condition == Condition::kStalled;
  }));
  EXPECT_NE(status.reason.find("refused " + bad.substr(0, 12) + " (unknown_key)"),
            std::string::npos)
      << status.reason;
  EXPECT_NE(status.reason.find("key found: " + keys_.stranger), std::string::npos) << status.reason;
  EXPECT_TRUE(status.needs_input);
  ASSERT_FALSE(status.runs.empty());
  EXPECT_EQ(status.runs.front().result, "refused");
  EXPECT_EQ(Revision(), first);  // the stack is untouched
  // The gate decision is an event too, with the reason people need.
  const std::optional<notify::Event> refused =
      events.Find(notify::EventKind::kSignatureRefused, bad);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->project_key, "mono/app");
  EXPECT_EQ(refused->stack, "mono-app");
  EXPECT_EQ(refused->description, status.reason);
  EXPECT_NE(metrics_.Serialize().find(
                "ecsync_signature_refusals_total{reason=\"unknown_key\",repository=\"mono\"} 1"),
            std::string::npos)
      << metrics_.Serialize();
  // Later polls see the same refused head: not verified (nor counted) again.
  const auto refused_at = std::chrono::system_clock::now();
  ASSERT_TRUE(WaitUntil([&] {
    auto repos = controller.status().Repositories();
    return !repos.empty() && repos[0].last_fetch > refused_at + std::chrono::milliseconds(400);
  }));
  EXPECT_NE(metrics_.Serialize().find(
                "ecsync_signature_refusals_total{reason=\"unknown_key\",repository=\"mono\"} 1"),
            std::string::npos);
  EXPECT_EQ(events.Kinds(bad), std::vector<std::string>{"signature_refused"});  // once

  repo_.Write("compose.yaml", App(3));
  const std::string good = keys_.CommitSsh(repo_, keys_.alice_ssh);
  ASSERT_TRUE(WaitUntil([&] { return Revision() == good; }));
  ASSERT_TRUE(WaitUntil([&] {
    return controller.status().FindProject("mono/app", &status) &&
           status.condition == Condition::kReady;
  }));
  controller.Stop();
}

TEST_F(SignedCommitsControllerTest, StrictRefusesASignedHeadOverAnUnsignedCommit) {
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
           controller.status().FindProject("mono/app", &status) &&
           status.last_attempted_revision == head;
  }));
  EXPECT_EQ(status.condition, Condition::kStalled);
  EXPECT_NE(status.reason.find("refused " + head.substr(0, 12) + " (unsigned): commit " +
                               unsigned_commit.substr(0, 12) + " is not signed"),
            std::string::npos)
      << status.reason;
  EXPECT_EQ(Revision(), first);
  controller.Stop();
}

// A controller that starts knows no accepted revision: strict checks the chain from what
// the stacks run, so a restart does not let an unsigned commit under a signed head through.
TEST_F(SignedCommitsControllerTest, StrictAfterARestartChecksFromTheDeployedRevision) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = keys_.CommitPgp(repo_, keys_.alice);
  {
    Controller controller(MakeConfig(git::VerifyMode::kStrict), Deps());
    controller.Start();
    ASSERT_TRUE(WaitUntil([&] { return Revision() == first; }));
    controller.Stop();
  }
  repo_.Write("compose.yaml", App(2));
  const std::string unsigned_commit = repo_.Commit("unsigned change");
  repo_.Write("compose.yaml", App(3));
  const std::string head = keys_.CommitPgp(repo_, keys_.alice);

  Controller restarted(MakeConfig(git::VerifyMode::kStrict), Deps());
  restarted.Start();
  ProjectStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    return restarted.status().FindProject("mono/app", &status) &&
           status.condition == Condition::kStalled;
  })) << status.reason;
  EXPECT_NE(status.reason.find("refused " + head.substr(0, 12) + " (unsigned): commit " +
                               unsigned_commit.substr(0, 12) + " is not signed"),
            std::string::npos)
      << status.reason;
  EXPECT_EQ(Revision(), first);
  restarted.Stop();
}

}  // namespace
}  // namespace ecsync::controller
