// The controller's repository checks: backoff of failing repositories (whatever triggered the
// check) and credentials that belong to one repository entry, against real git transports
// (a closed loopback port, the smart-HTTP test server with basic auth) and the stack-files
// target.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "aws/stack_files.h"
#include "base/clock.h"
#include "controller/controller.h"
#include "controller/repository_source.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "reconcile/stack_tags.h"
#include "tests/git/git_servers.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::GitRepo;
using testing::TempDir;
using testing::WaitUntil;

// Long enough for a tight loop to show thousands of attempts, short enough to keep the
// suite fast; used only to check that something does *not* happen.
constexpr milliseconds kQuiet{500};

config::ProjectConfig AppProject() {
  config::ProjectConfig entry;
  entry.name = "app";
  entry.files = {"compose.yaml"};
  return entry;
}

class PollerTest : public ::testing::Test {
 protected:
  PollerTest()
      : git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        metrics_("test", "") {}

  // A repository on a port nothing listens on: every check fails at once.
  static config::RepositoryConfig Unreachable(const std::string& name, milliseconds poll_interval) {
    config::RepositoryConfig repo;
    repo.name = name;
    repo.url = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()) + "/none.git";
    repo.ref = "main";
    repo.poll_interval = poll_interval;
    repo.projects = {AppProject()};
    return repo;
  }

  static config::Config MakeConfig(std::vector<config::RepositoryConfig> repos) {
    config::Config config;
    config.concurrency = 2;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories = std::move(repos);
    return config;
  }

  ControllerDeps Deps(base::Clock& clock) {
    ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &stacks_;
    deps.clock = &clock;
    deps.metrics = &metrics_;
    deps.stack_poll_interval = milliseconds(20);
    return deps;
  }

  static RepositoryStatus Repository(const Controller& controller, const std::string& name) {
    for (const RepositoryStatus& status : controller.status().Repositories()) {
      if (status.name == name) return status;
    }
    return RepositoryStatus();
  }

  static int Failures(const Controller& controller, const std::string& name) {
    return Repository(controller, name).consecutive_failures;
  }

  // The scheduled retry, in seconds from the fake clock's now.
  static double SecondsToNextAttempt(const Controller& controller, const std::string& name,
                                     base::FakeClock& clock) {
    return std::chrono::duration<double>(Repository(controller, name).next_attempt - clock.Now())
        .count();
  }

  std::string Metric(const std::string& family, const std::string& repository) {
    const std::string series = family + "{repository=\"" + repository + "\"} ";
    const std::string text = metrics_.Serialize();
    size_t at = text.find(series);
    if (at == std::string::npos) return "";
    at += series.size();
    return text.substr(at, text.find('\n', at) - at);
  }

  TempDir work_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  metrics::Metrics metrics_;
};

// The reported repro: a dead host with poll_interval 20s was checked tens of thousands of
// times in a few seconds, because its first check never stopped being due.
TEST_F(PollerTest, AnUnreachableRepositoryBacksOffFromItsFirstCheck) {
  base::FakeClock clock;
  Controller controller(MakeConfig({Unreachable("dead", seconds(20))}), Deps(clock));
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 1; }));
  // The clock stands still, so nothing may be due before the backoff has passed.
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 1; }, kQuiet));
  RepositoryStatus status = Repository(controller, "dead");
  EXPECT_EQ(status.consecutive_failures, 1);
  EXPECT_NE(status.last_error, "");
  // poll_interval, +-10%.
  EXPECT_GE(status.backoff_seconds, 18.0);
  EXPECT_LE(status.backoff_seconds, 22.0);
  EXPECT_NEAR(SecondsToNextAttempt(controller, "dead", clock), status.backoff_seconds, 1.0);
  EXPECT_EQ(Metric("ecsync_git_consecutive_failures", "dead"), "1");
  EXPECT_NE(Metric("ecsync_git_backoff_seconds", "dead"), "0");
  nlohmann::ordered_json json = controller.status().ToJson()["repositories"][0];
  EXPECT_EQ(json["consecutiveFailures"], 1);
  EXPECT_GE(json["backoffSeconds"].get<double>(), 18.0);
  EXPECT_NE(json["nextAttemptAt"].get<std::string>(), "");

  // Once it has passed: one more check, and the next delay doubles.
  clock.Advance(seconds(23));
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 2; }));
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 2; }, kQuiet));
  status = Repository(controller, "dead");
  EXPECT_GE(status.backoff_seconds, 36.0);
  EXPECT_LE(status.backoff_seconds, 44.0);
  EXPECT_EQ(Metric("ecsync_git_consecutive_failures", "dead"), "2");
  controller.Stop();
}

// A webhook may check a failing repository at once, but a storm of them must not turn into
// a loop: one early check per scheduled retry, the rest wait for it.
TEST_F(PollerTest, WebhooksForAFailingRepositoryDoNotBypassTheBackoff) {
  base::FakeClock clock;
  Controller controller(MakeConfig({Unreachable("dead", seconds(20))}), Deps(clock));
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 1; }));
  controller.Trigger("dead");
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 2; }));
  for (int i = 0; i < 20; ++i) controller.Trigger("dead");
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 2; }, kQuiet));
  const double delay = Repository(controller, "dead").backoff_seconds;
  EXPECT_GE(delay, 36.0);

  // The pending webhooks are served by the scheduled retry, once.
  clock.Advance(milliseconds(static_cast<int64_t>(delay * 1000) + 1000));
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 3; }));
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 3; }, kQuiet));
  // After a scheduled retry a webhook may check early again.
  controller.Trigger("dead");
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 4; }));
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 4; }, kQuiet));
  controller.Stop();
}

// A webhook-only repository (poll_interval 0) whose check fails at start, then a reload that
// changes it (SIGHUP): each new configuration is checked once at once, then backs off.
TEST_F(PollerTest, AReloadChecksAtOnceThenBacksOffToo) {
  base::FakeClock clock;
  Controller controller(MakeConfig({Unreachable("dead", milliseconds(0))}), Deps(clock));
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Failures(controller, "dead") >= 1; }));
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 1; }, kQuiet));
  // Webhooks only: failed checks are still retried, from 30 s.
  EXPECT_GE(Repository(controller, "dead").backoff_seconds, 27.0);
  EXPECT_LE(Repository(controller, "dead").backoff_seconds, 33.0);

  config::RepositoryConfig moved = Unreachable("dead", seconds(20));
  const std::string port = moved.url.substr(moved.url.rfind(':'));
  controller.Reload(MakeConfig({moved}));
  ASSERT_TRUE(WaitUntil([&] {
    RepositoryStatus status = Repository(controller, "dead");
    return status.consecutive_failures >= 1 && status.last_error.find(port) != std::string::npos;
  }));
  EXPECT_FALSE(WaitUntil([&] { return Failures(controller, "dead") > 1; }, kQuiet));
  EXPECT_GE(Repository(controller, "dead").backoff_seconds, 18.0);
  EXPECT_LE(Repository(controller, "dead").backoff_seconds, 22.0);
  controller.Stop();
}

// Two entries (and one without credentials) for one private repository behind basic auth:
// each uses its own credentials, in either order, and nothing one of them fetched can be read
// by another.
// How many requests of `method` to a path ending in `suffix` the smart-HTTP server logged.
int Requests(const std::string& log_path, const std::string& method, const std::string& suffix) {
  int count = 0;
  std::istringstream lines(testing::ReadFileOrDie(log_path));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string status, verb, path;
    fields >> status >> verb >> path;
    path = path.substr(0, path.find('?'));
    if (verb == method && path.ends_with(suffix)) ++count;
  }
  return count;
}

// A check that fetches anyway (the first one, as after a restart or a shard taken over by a
// replica) asks the git host once, not first for the head and then again for the fetch; an
// unchanged repository after it costs one ref listing and no fetch.
TEST_F(PollerTest, TheFirstCheckFetchesInOneRequestAndAnUnchangedOneListsTheRefsOnly) {
  GitRepo origin;
  origin.Write("compose.yaml", "services:\n  web:\n    image: nginx:1.27-alpine\n");
  const std::string commit = origin.Commit("app");
  const std::string log = work_.path() + "/http.log";
  git_testing::LoopbackServer server(git_testing::GitHttpServerArgv(
      std::filesystem::path(origin.path()).parent_path().string(), "", "", log));
  ASSERT_GT(server.port(), 0) << "the smart HTTP server did not start";
  config::RepositoryConfig repo;
  repo.name = "app";
  repo.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/" +
             std::filesystem::path(origin.path()).filename().string();
  repo.ref = "main";
  repo.poll_interval = seconds(600);
  repo.projects = {AppProject()};
  Controller controller(MakeConfig({repo}), Deps(*base::SystemClock::Get()));
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return controller.Ready() && controller.Idle(); }));
  EXPECT_EQ(Repository(controller, "app").last_commit, commit);
  EXPECT_EQ(Requests(log, "GET", "/info/refs"), 1) << testing::ReadFileOrDie(log);
  EXPECT_EQ(Requests(log, "POST", "/git-upload-pack"), 1) << testing::ReadFileOrDie(log);

  controller.Trigger("app");
  EXPECT_TRUE(WaitUntil([&] {
    return metrics_.Serialize().find(
               "ecsync_git_fetch_duration_seconds_count{repository=\"app\"} 2") !=
           std::string::npos;
  })) << metrics_.Serialize();
  EXPECT_EQ(Requests(log, "GET", "/info/refs"), 2) << testing::ReadFileOrDie(log);
  EXPECT_EQ(Requests(log, "POST", "/git-upload-pack"), 1) << testing::ReadFileOrDie(log);
  controller.Stop();
}

class CredentialsTest : public PollerTest {
 protected:
  CredentialsTest() {
    private_.Write("compose.yaml", "services:\n  web:\n    image: nginx:1.27-alpine\n");
    commit_ = private_.Commit("private app");
    server_ = std::make_unique<git_testing::LoopbackServer>(git_testing::GitHttpServerArgv(
        std::filesystem::path(private_.path()).parent_path().string(), "deploy-bot", "good-pa55"));
    url_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/" +
           std::filesystem::path(private_.path()).filename().string();
  }

  config::RepositoryConfig Entry(const std::string& name, const std::string& password) const {
    config::RepositoryConfig repo;
    repo.name = name;
    repo.url = url_;
    repo.ref = "main";
    repo.poll_interval = seconds(20);
    repo.timeout = seconds(60);
    config::ProjectConfig project = AppProject();
    repo.projects = {project};
    if (!password.empty()) {
      repo.auth.username = "deploy-bot";
      repo.auth.password = password;
    }
    return repo;
  }

  // Runs a controller with `repos` (the real per-entry sources over one cache directory)
  // until every repository has been checked once.
  void CheckAll(const std::vector<config::RepositoryConfig>& repos, const std::string& cache_dir,
                std::vector<RepositoryStatus>* out) {
    ControllerDeps deps = Deps(*base::SystemClock::Get());
    deps.git_for = [cache_dir](const config::RepositoryConfig& repo) {
      return MakeRepositoryGitSource(cache_dir, repo);
    };
    Controller controller(MakeConfig(repos), deps);
    controller.Start();
    ASSERT_TRUE(WaitUntil([&] { return controller.Ready(); }));
    ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));
    *out = controller.status().Repositories();
    controller.Stop();
  }

  std::string Revision(const std::string& stack) {
    auto found = stacks_.DescribeStack(stack);
    return found.ok() ? found->tags[reconcile::kTagRevision] : "";
  }

  GitRepo private_;
  std::string commit_;
  std::unique_ptr<git_testing::LoopbackServer> server_;
  std::string url_;
};

TEST_F(CredentialsTest, EachEntryUsesItsOwnCredentialsInEitherOrder) {
  ASSERT_GT(server_->port(), 0) << "the smart HTTP server did not start";
  // [good, bad, none] and [bad, good, none]: the last entry's credentials used to win.
  for (bool good_first : {true, false}) {
    SCOPED_TRACE(good_first ? "good first" : "bad first");
    TempDir cache;
    std::vector<config::RepositoryConfig> repos = {Entry("good", "good-pa55"),
                                                   Entry("bad", "wrong"), Entry("none", "")};
    if (!good_first) std::swap(repos[0], repos[1]);
    std::vector<RepositoryStatus> statuses;
    CheckAll(repos, cache.path(), &statuses);
    ASSERT_EQ(statuses.size(), 3u);
    for (const RepositoryStatus& status : statuses) {
      SCOPED_TRACE(status.name);
      if (status.name == "good") {
        EXPECT_EQ(status.last_commit, commit_);
        EXPECT_EQ(status.last_error, "");
      } else {
        EXPECT_EQ(status.last_commit, "");
        EXPECT_NE(status.last_error.find("authentication"), std::string::npos) << status.last_error;
        EXPECT_EQ(status.last_error.find("good-pa55"), std::string::npos);
      }
    }
    EXPECT_EQ(Revision("good-app"), commit_);
    EXPECT_EQ(Revision("bad-app"), "");
    EXPECT_EQ(Revision("none-app"), "");
  }
}

// The cache: what the good entry fetched is in its own cache entry, which neither the entry
// whose password is wrong nor the one without credentials reads.
TEST_F(CredentialsTest, AnEntryCannotReadWhatAnotherEntryFetched) {
  ASSERT_GT(server_->port(), 0) << "the smart HTTP server did not start";
  TempDir cache;
  auto good = MakeRepositoryGitSource(cache.path(), Entry("good", "good-pa55"));
  auto bad = MakeRepositoryGitSource(cache.path(), Entry("bad", "wrong"));
  auto none = MakeRepositoryGitSource(cache.path(), Entry("none", ""));
  auto fetched = good->Fetch(url_, "main");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_TRUE(good->ReadFile(url_, commit_, "compose.yaml").ok());
  for (auto* other : {bad.get(), none.get()}) {
    EXPECT_EQ(other->Fetch(url_, "main").status().kind(), base::ErrorKind::kInvalid);
    // A commit SHA as the ref resolves without listing the remote; the fetch must still
    // authenticate, and the commit must not come from the good entry's cache.
    EXPECT_FALSE(other->Fetch(url_, commit_).ok());
    auto read = other->ReadFile(url_, commit_, "compose.yaml");
    EXPECT_EQ(read.status().kind(), base::ErrorKind::kNotFound) << read.status().ToString();
    EXPECT_FALSE(other->ListFiles(url_, commit_, "").ok());
  }
}

}  // namespace
}  // namespace ecsync::controller
