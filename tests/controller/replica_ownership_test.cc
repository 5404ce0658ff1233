// The controller as one replica among several (ControllerDeps::fence_for): it checks and
// deploys only the repositories whose shard it holds, writes with the lease's epoch in its
// tokens, takes a repository over when its shard arrives, and writes nothing once the fence
// has expired. Real git repositories and the stack-files target.

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "aws/stack_files.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "reconcile/stack_tags.h"
#include "tests/reconcile/token_recording_cloudformation.h"
#include "tests/support/passthrough_git.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using std::chrono::seconds;
using testing::GitRepo;
using testing::TempDir;
using testing::WaitUntil;

constexpr char kApp[] = "services:\n  web:\n    image: nginx:1.27-alpine\n";

// The fences a test hands out, by repository URL; none: not this replica's.
class Fences {
 public:
  void Set(const std::string& url, std::optional<base::Fence> fence) {
    std::lock_guard<std::mutex> lock(mu_);
    fences_[url] = std::move(fence);
  }
  // The next ask about `url`, whoever makes it, is answered "not held": a lapse too short
  // for the next ask to see.
  void DenyNext(const std::string& url) {
    std::lock_guard<std::mutex> lock(mu_);
    deny_next_.insert(url);
  }
  bool Denied(const std::string& url) const {
    std::lock_guard<std::mutex> lock(mu_);
    return deny_next_.contains(url);
  }
  std::optional<base::Fence> For(const std::string& url) {
    std::lock_guard<std::mutex> lock(mu_);
    if (deny_next_.erase(url) > 0) return std::nullopt;
    auto it = fences_.find(url);
    return it == fences_.end() ? std::nullopt : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::optional<base::Fence>> fences_;
  std::set<std::string> deny_next_;
};

// The real git source, with one repository's checks held until the test opens the gate, and
// counted, so a test can see a catch-up in progress.
class GatedGit : public testing::PassthroughGit {
 public:
  GatedGit(git::GitSource& real, std::string url) : PassthroughGit(real), url_(std::move(url)) {}
  void Close() { Set(false); }
  void Open() { Set(true); }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

  base::Result<std::string> Fetch(const std::string& url, const std::string& ref) override {
    Pass(url);
    return PassthroughGit::Fetch(url, ref);
  }
  base::Result<std::string> RemoteHead(const std::string& url, const std::string& ref) override {
    Pass(url);
    return PassthroughGit::RemoteHead(url, ref);
  }

 private:
  void Set(bool open) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = open;
    }
    cv_.notify_all();
  }
  void Pass(const std::string& url) {
    if (url != url_) return;
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_;
    cv_.wait(lock, [this] { return open_; });
  }

  const std::string url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int calls_ = 0;
};

class ReplicaOwnershipTest : public ::testing::Test {
 protected:
  ReplicaOwnershipTest()
      : git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        recording_(stacks_) {
    ours_.Write("compose.yaml", kApp);
    ours_.Commit("ours");
    theirs_.Write("compose.yaml", kApp);
    theirs_.Commit("theirs");
  }

  static config::RepositoryConfig Repo(const std::string& name, const GitRepo& repo) {
    config::RepositoryConfig config;
    config.name = name;
    config.url = repo.url();
    config.ref = "main";
    config.poll_interval = std::chrono::milliseconds(100);
    config.timeout = seconds(60);
    config::ProjectConfig project;
    project.name = "app";
    project.files = {"compose.yaml"};
    config.projects.push_back(project);
    return config;
  }

  config::Config MakeConfig() const {
    config::Config config;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories = {Repo("ours", ours_), Repo("theirs", theirs_)};
    return config;
  }

  ControllerDeps Deps() {
    ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &recording_;
    deps.clock = base::SystemClock::Get();
    deps.stack_poll_interval = std::chrono::milliseconds(20);
    deps.fence_for = [this](const std::string& url) { return fences_.For(url); };
    return deps;
  }

  static base::Fence Valid(int64_t epoch) {
    return {epoch, std::chrono::steady_clock::now() + std::chrono::hours(1)};
  }

  bool Exists(const std::string& stack) { return stacks_.DescribeStack(stack).ok(); }

  static bool Polled(const Controller& controller, const std::string& repository) {
    for (const RepositoryStatus& repo : controller.status().Repositories()) {
      if (repo.name == repository) return repo.polled;
    }
    return false;
  }

  TempDir work_;
  GitRepo ours_;
  GitRepo theirs_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  reconcile::fakes::TokenRecordingCloudFormation recording_;
  Fences fences_;
};

TEST_F(ReplicaOwnershipTest, DeploysOnlyItsShardsAndTakesOneOverWhenItArrives) {
  fences_.Set(ours_.url(), Valid(3));
  Controller controller(MakeConfig(), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("ours-app") && controller.Idle(); }));
  // Ready with the other replica's repository never checked here.
  EXPECT_TRUE(controller.Ready());
  EXPECT_FALSE(Polled(controller, "theirs"));
  EXPECT_FALSE(Exists("theirs-app"));
  ASSERT_EQ(recording_.tokens().size(), 1u);
  EXPECT_TRUE(recording_.tokens()[0].ends_with("-e3")) << recording_.tokens()[0];

  // Its shard arrives (the other replica stopped): checked and deployed at once, fenced
  // with the new epoch.
  fences_.Set(theirs_.url(), Valid(8));
  ASSERT_TRUE(WaitUntil([&] { return Exists("theirs-app"); }, seconds(30)));
  ASSERT_EQ(recording_.tokens().size(), 2u);
  EXPECT_TRUE(recording_.tokens()[1].ends_with("-e8")) << recording_.tokens()[1];
  controller.Stop();
}

// A shard that arrives makes its repositories unchecked until their first check here (a
// catch-up after a failover), also when this replica held the shard before and lost it:
// Ready() waits for them, UncheckedRepositories() counts them.
TEST_F(ReplicaOwnershipTest, RepositoriesOfAnArrivingShardCountAsUncheckedUntilChecked) {
  GatedGit gated(git_, ours_.url());
  fences_.Set(ours_.url(), Valid(3));
  ControllerDeps deps = Deps();
  deps.git = &gated;
  Controller controller(MakeConfig(), deps);
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("ours-app") && controller.Idle(); }));
  EXPECT_EQ(controller.UncheckedRepositories(), 0u);

  // The shard goes; once the poller has seen it go (no check of it for longer than its
  // ownership refresh and longest wait together), it comes back while the host hangs.
  fences_.Set(ours_.url(), std::nullopt);
  int calls = gated.calls();
  for (int quiet_rounds = 0; quiet_rounds < 3;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const int now = gated.calls();
    quiet_rounds = now == calls ? quiet_rounds + 1 : 0;
    calls = now;
  }
  gated.Close();
  fences_.Set(ours_.url(), Valid(4));
  EXPECT_TRUE(WaitUntil([&] { return controller.UncheckedRepositories() == 1; }, seconds(10)));
  EXPECT_FALSE(controller.Ready());
  gated.Open();
  EXPECT_TRUE(WaitUntil([&] { return controller.UncheckedRepositories() == 0; }, seconds(30)));
  EXPECT_TRUE(controller.Ready());
  controller.Stop();
}

// A stack the previous owner created a moment before the handover, after this replica's
// last stack listing, is found and updated, never created a second time: the listing only
// ever short-cuts an unchanged stack; a stack missing from it is asked for before a create.
TEST_F(ReplicaOwnershipTest, ATakenOverProjectIsNotCreatedAgainFromAnOlderListing) {
  fences_.Set(ours_.url(), Valid(3));
  Controller controller(MakeConfig(), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("ours-app") && controller.Idle(); }));
  // A new revision of ours: this replica lists the stacks now.
  ours_.Write("compose.yaml", std::string(kApp) + "    environment: {A: \"1\"}\n");
  const std::string listed = ours_.Commit("listed");
  ASSERT_TRUE(WaitUntil([&] {
    auto stack = stacks_.DescribeStack("ours-app");
    return stack.ok() && stack->tags[reconcile::kTagRevision] == listed && controller.Idle();
  }));
  const size_t creates = recording_.tokens().size();
  // The other replica creates theirs-app, then hands the shard over, within the listing's
  // reuse period.
  aws::CreateStackRequest other;
  other.name = "theirs-app";
  other.template_body = R"({"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}})";
  other.tags = {{reconcile::kTagManagedBy, reconcile::kManagedByValue},
                {reconcile::kTagSource, reconcile::SourceId(theirs_.url(), "compose.yaml")}};
  ASSERT_TRUE(stacks_.CreateStack(other).ok());
  fences_.Set(theirs_.url(), Valid(4));
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto stack = stacks_.DescribeStack("theirs-app");
        return stack.ok() && !stack->tags[reconcile::kTagRevision].empty() && controller.Idle();
      },
      seconds(30)));
  EXPECT_EQ(recording_.tokens().size(), creates) << "theirs-app was created a second time";
  controller.Stop();
}

// A lapse of the fence that only a run sees (the poller asks about the owners once a second)
// loses nothing: the run is dropped, and the repository is checked again with every project
// once the fence is back. Each round denies the next ask after a commit: most often the run's
// (which then would wait for the next commit), otherwise the poller's.
TEST_F(ReplicaOwnershipTest, AMomentaryLapseOfTheFenceLosesNoRun) {
  fences_.Set(ours_.url(), Valid(3));
  Controller controller(MakeConfig(), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Exists("ours-app") && controller.Idle(); }));
  auto deployed = [&] {
    auto stack = stacks_.DescribeStack("ours-app");
    return stack.ok() ? stack->tags[reconcile::kTagRevision] : std::string();
  };
  for (int round = 0; round < 5; ++round) {
    fences_.DenyNext(ours_.url());
    ours_.Write("compose.yaml", std::string(kApp) + "    environment: {ROUND: \"" +
                                    std::to_string(round) + "\"}\n");
    const std::string commit = ours_.Commit("round " + std::to_string(round));
    EXPECT_TRUE(WaitUntil([&] { return deployed() == commit; }, seconds(30)))
        << "round " << round << ": the run was lost";
    EXPECT_FALSE(fences_.Denied(ours_.url()));
  }
  controller.Stop();
}

TEST_F(ReplicaOwnershipTest, AnExpiredFenceWritesNothing) {
  // The lease is held but could not be renewed in time (DynamoDB unreachable).
  fences_.Set(ours_.url(), base::Fence{5, std::chrono::steady_clock::now() - seconds(1)});
  Controller controller(MakeConfig(), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] {
    ProjectStatus status;
    return controller.status().FindProject("ours/app", &status) &&
           status.reason.find("no longer holds the lease") != std::string::npos;
  })) << "the run did not fail on the fence";
  EXPECT_FALSE(Exists("ours-app"));
  EXPECT_TRUE(recording_.tokens().empty());
  controller.Stop();
}

}  // namespace
}  // namespace ecsync::controller
