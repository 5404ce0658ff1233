// Deploy windows in the controller, with a FakeClock across a Friday-night deny window in
// Europe/Berlin and a weekday allow window in America/New_York: held changes, the condition
// saying until when, release at the opening instant (not at the next poll, which is a day
// away), operator overrides, and held self-heal and prune. Real git repositories and the
// stack-files target, as in controller_test.cc.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "aws/stack_files.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "reconcile/stack_tags.h"
#include "tests/notify/recording_publisher.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/schedule/test_time.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using std::chrono::hours;
using testing::GitRepo;
using testing::TempDir;
using testing::WaitUntil;

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

schedule::Window MakeWindow(schedule::Window::Kind kind, const std::string& cron, hours duration,
                            const std::string& zone, bool manual_sync = false) {
  schedule::Window window;
  window.kind = kind;
  window.cron = *schedule::CronExpression::Parse(cron);
  window.duration = duration;
  window.zone = *schedule::TimeZone::Load(zone, schedule::kDefaultZoneinfoRoot);
  window.manual_sync = manual_sync;
  return window;
}

// Friday 22:00 Berlin for eight hours: 2026-12-04T21:00Z to 2026-12-05T05:00Z.
schedule::Window FridayNight(bool manual_sync = false) {
  return MakeWindow(schedule::Window::Kind::kDeny, "0 22 * * 5", hours(8), "Europe/Berlin",
                    manual_sync);
}

// A stack-files target whose drift report can be switched on.
class SwitchableDrift : public reconcile::fakes::ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;
  std::atomic<bool> drifted{false};

  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override {
    auto real = ForwardingCloudFormation::DescribeStackResourceDrifts(name);
    if (!real.ok() || !drifted) return real;
    aws::ResourceDrift drift;
    drift.logical_id = "WebService";
    drift.resource_type = "AWS::ECS::Service";
    drift.drift_status = "MODIFIED";
    drift.differences.push_back({"/DesiredCount", "1", "3", "NOT_EQUAL"});
    return std::vector<aws::ResourceDrift>{drift};
  }
};

// Moves a FakeClock to `instant` the moment a hold is published: the harshest timing for
// the release timer, which must be set before anyone can see the hold.
class JumpOnHold final : public notify::EventPublisher {
 public:
  JumpOnHold(base::FakeClock& clock, std::chrono::system_clock::time_point instant)
      : clock_(clock), instant_(instant) {}
  void Publish(const notify::Event& event) override {
    if (event.kind != notify::EventKind::kHeld || jumped_.exchange(true)) return;
    clock_.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(instant_ - clock_.Now()));
  }

 private:
  base::FakeClock& clock_;
  const std::chrono::system_clock::time_point instant_;
  std::atomic<bool> jumped_{false};
};

class WindowsTest : public ::testing::Test {
 protected:
  WindowsTest()
      : clock_(schedule::testing::At("2026-12-04T20:00:00Z")),  // Friday 21:00 in Berlin
        git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        drifting_(stacks_),
        metrics_("test", "") {}

  config::Config MakeConfig(std::vector<schedule::Window> windows,
                            std::vector<config::ProjectConfig> projects = {}) {
    if (projects.empty()) {
      config::ProjectConfig app;
      app.name = "app";
      app.files = {"compose.yaml"};
      projects.push_back(app);
    }
    config::RepositoryConfig repo;
    repo.name = "mono";
    repo.url = repo_.url();
    repo.ref = "main";
    // A day: every release below comes from the held project's own timer.
    repo.poll_interval = hours(24);
    repo.timeout = std::chrono::seconds(60);
    repo.windows = std::move(windows);
    repo.projects = std::move(projects);
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
    deps.targets.cloudformation = &drifting_;
    deps.clock = &clock_;
    deps.metrics = &metrics_;
    deps.stack_poll_interval = std::chrono::milliseconds(20);
    deps.events = &events_;
    return deps;
  }

  std::string Revision(const std::string& stack) {
    auto found = stacks_.DescribeStack(stack);
    return found.ok() ? found->tags[reconcile::kTagRevision] : "";
  }

  ProjectStatus Project(const Controller& controller, const std::string& key = "mono/app") {
    ProjectStatus status;
    controller.status().FindProject(key, &status);
    return status;
  }

  bool IsHeld(const Controller& controller, const std::string& key = "mono/app") {
    return Project(controller, key).condition == Condition::kHeld;
  }

  // Moves the fake clock to `instant` (RFC 3339 UTC).
  void AdvanceTo(const std::string& instant) {
    clock_.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(
        schedule::testing::At(instant) - clock_.Now()));
  }

  TempDir work_;
  base::FakeClock clock_;
  GitRepo repo_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  SwitchableDrift drifting_;
  metrics::Metrics metrics_;
  notify::RecordingPublisher events_;
};

TEST_F(WindowsTest, ARevisionDuringADenyWindowIsHeldAndAppliedTheMomentItEnds) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = repo_.Commit("first");
  Controller controller(MakeConfig({FridayNight()}), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));

  AdvanceTo("2026-12-04T21:30:00Z");  // 22:30 in Berlin: inside the window
  repo_.Write("compose.yaml", App(2));
  const std::string second = repo_.Commit("second");
  controller.Trigger("mono");
  ASSERT_TRUE(WaitUntil([&] { return IsHeld(controller); }))
      << controller.status().ToJson().dump(2);
  ProjectStatus held = Project(controller);
  EXPECT_EQ(held.reason, "held by deny window until 2026-12-05T06:00:00+01:00 (Europe/Berlin)");
  EXPECT_EQ(FormatTime(held.held_until), "2026-12-05T05:00:00Z");
  const auto json = controller.status().ToJson();
  EXPECT_EQ(json["projects"][0]["condition"]["type"], "Held");
  EXPECT_EQ(json["projects"][0]["condition"]["heldUntil"], "2026-12-05T05:00:00Z");
  EXPECT_NE(metrics_.Serialize().find(
                "ecsync_project_condition{condition=\"Held\",project=\"mono/app\"} 1"),
            std::string::npos);
  EXPECT_EQ(Revision("mono-app"), first);
  // The hold is an event, with the reason and when the window ends.
  const std::optional<notify::Event> event = events_.Find(notify::EventKind::kHeld, second);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->description, held.reason);
  EXPECT_EQ(event->stack, "mono-app");

  // A second before the end nothing moves; at the instant the held revision goes out.
  AdvanceTo("2026-12-05T04:59:59Z");
  EXPECT_FALSE(
      WaitUntil([&] { return Revision("mono-app") == second; }, std::chrono::milliseconds(1500)));
  AdvanceTo("2026-12-05T05:00:00Z");
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == second; }));
  EXPECT_TRUE(WaitUntil([&] { return Project(controller).condition == Condition::kReady; }));
  // Held once, however often the held change was looked at, then deployed.
  const std::vector<std::string> kinds = events_.Kinds(second);
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.front(), "held");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "held"), 1);
  EXPECT_TRUE(WaitUntil(
      [&] { return events_.Find(notify::EventKind::kDeploySucceeded, second).has_value(); }));
  controller.Stop();
}

TEST_F(WindowsTest, OutsideEveryAllowWindowNothingIsDeployed) {
  AdvanceTo("2026-12-05T15:00:00Z");  // Saturday
  repo_.Write("compose.yaml", App(1));
  const std::string first = repo_.Commit("first");
  const schedule::Window weekdays =
      MakeWindow(schedule::Window::Kind::kAllow, "0 9 * * MON-FRI", hours(8), "America/New_York");
  Controller controller(MakeConfig({weekdays}), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return IsHeld(controller); }));
  EXPECT_EQ(Project(controller).reason,
            "held outside every allow window until 2026-12-07T09:00:00-05:00 (America/New_York)");
  EXPECT_EQ(Revision("mono-app"), "");
  AdvanceTo("2026-12-07T14:00:00Z");  // Monday 09:00 in New York
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));
  controller.Stop();
}

TEST_F(WindowsTest, TheReleaseTimerIsSetBeforeTheHoldIsSeen) {
  AdvanceTo("2026-12-04T21:30:00Z");
  repo_.Write("compose.yaml", App(1));
  const std::string first = repo_.Commit("first");
  JumpOnHold jump(clock_, schedule::testing::At("2026-12-05T05:00:00Z"));
  ControllerDeps deps = Deps();
  deps.events = &jump;
  Controller controller(MakeConfig({FridayNight()}), deps);
  controller.Start();
  // The window ended as the hold went out; the next poll is a day away, so only the
  // release timer, counted from before the jump, deploys within the wait.
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }))
      << controller.status().ToJson().dump(2);
  controller.Stop();
}

TEST_F(WindowsTest, AnOperatorOverridesOnlyAManualSyncDenyWindow) {
  AdvanceTo("2026-12-04T21:30:00Z");
  repo_.Write("compose.yaml", App(1));
  const std::string first = repo_.Commit("first");
  {
    Controller strict(MakeConfig({FridayNight(/*manual_sync=*/false)}), Deps());
    strict.Start();
    ASSERT_TRUE(WaitUntil([&] { return IsHeld(strict); }));
    base::Status refused = strict.OverrideWindow("mono/app");
    EXPECT_EQ(refused.kind(), base::ErrorKind::kConflict);
    EXPECT_NE(refused.message().find("does not allow manual_sync"), std::string::npos);
    EXPECT_EQ(strict.OverrideWindow("mono/none").kind(), base::ErrorKind::kNotFound);
    EXPECT_FALSE(
        WaitUntil([&] { return !Revision("mono-app").empty(); }, std::chrono::milliseconds(500)));
    strict.Stop();
  }
  Controller controller(MakeConfig({FridayNight(/*manual_sync=*/true)}), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return IsHeld(controller); }));
  ASSERT_TRUE(controller.OverrideWindow("mono/app").ok());
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-app") == first; }));
  // One run only: the next revision waits for the window again.
  repo_.Write("compose.yaml", App(2));
  repo_.Commit("second");
  controller.Trigger("mono");
  EXPECT_TRUE(WaitUntil([&] { return IsHeld(controller); }));
  EXPECT_EQ(Revision("mono-app"), first);
  controller.Stop();
}

TEST_F(WindowsTest, SelfHealWaitsForTheWindowButDriftIsStillChecked) {
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("first");
  config::ProjectConfig app;
  app.name = "app";
  app.files = {"compose.yaml"};
  app.self_heal = true;
  config::Config config = MakeConfig({FridayNight()}, {app});
  config.drift_interval = std::chrono::minutes(10);
  Controller controller(config, Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return Project(controller).drift_status == "IN_SYNC"; }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));

  drifting_.drifted = true;
  AdvanceTo("2026-12-04T21:30:00Z");
  ASSERT_TRUE(WaitUntil([&] { return IsHeld(controller); }))
      << controller.status().ToJson().dump(2);
  EXPECT_EQ(Project(controller).drift_status, "DRIFTED");
  EXPECT_EQ(drifting_.change_sets(), 0);
  drifting_.drifted = false;
  AdvanceTo("2026-12-05T05:00:00Z");
  EXPECT_TRUE(WaitUntil([&] { return drifting_.change_sets() >= 1; }));
  controller.Stop();
}

TEST_F(WindowsTest, PruneWaitsForTheWindow) {
  repo_.Write("apps/api/compose.yaml", App(1));
  repo_.Write("apps/web/compose.yaml", App(1));
  repo_.Commit("two apps");
  config::ProjectConfig apps;
  apps.glob = "apps/*/compose.yaml";
  Controller controller(MakeConfig({FridayNight()}, {apps}), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return !Revision("mono-web").empty(); }));
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));

  AdvanceTo("2026-12-04T21:30:00Z");
  repo_.Remove("apps/web/compose.yaml");
  repo_.Commit("web is gone");
  controller.Trigger("mono");
  ASSERT_TRUE(WaitUntil([&] { return controller.Idle(); }));
  EXPECT_FALSE(
      WaitUntil([&] { return Revision("mono-web").empty(); }, std::chrono::milliseconds(1500)));
  AdvanceTo("2026-12-05T05:00:00Z");
  EXPECT_TRUE(WaitUntil([&] { return Revision("mono-web").empty(); }));
  controller.Stop();
}

TEST_F(WindowsTest, RunOnceReportsHeldProjectsAndDeploysNothing) {
  AdvanceTo("2026-12-04T21:30:00Z");
  repo_.Write("compose.yaml", App(1));
  repo_.Commit("first");
  Controller controller(MakeConfig({FridayNight()}), Deps());
  OnceSummary summary = controller.RunOnce(/*force=*/false, nullptr);
  EXPECT_EQ(summary.held, 1);
  EXPECT_EQ(summary.succeeded, 0);
  ASSERT_EQ(summary.lines.size(), 1u);
  EXPECT_EQ(summary.lines[0],
            "mono/app: Held: held by deny window until 2026-12-05T06:00:00+01:00 "
            "(Europe/Berlin)");
  EXPECT_EQ(Revision("mono-app"), "");
}

}  // namespace
}  // namespace ecsync::controller
