// The controller's repository checks: backoff of failing repositories (whatever triggered the
// check), against a real git transport (a closed loopback port) and the stack-files target.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "aws/stack_files.h"
#include "base/clock.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
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

ProjectConfig AppProject() {
  ProjectConfig entry;
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
  static RepositoryConfig Unreachable(const std::string& name, milliseconds poll_interval) {
    RepositoryConfig repo;
    repo.name = name;
    repo.url = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()) + "/none.git";
    repo.ref = "main";
    repo.poll_interval = poll_interval;
    repo.projects = {AppProject()};
    return repo;
  }

  static Config MakeConfig(std::vector<RepositoryConfig> repos) {
    Config config;
    config.concurrency = 2;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories = std::move(repos);
    return config;
  }

  ControllerDeps Deps(base::Clock& clock) {
    ControllerDeps deps;
    deps.git = &git_;
    deps.cloudformation = &stacks_;
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

  RepositoryConfig moved = Unreachable("dead", seconds(20));
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

}  // namespace
}  // namespace ecsync::controller
