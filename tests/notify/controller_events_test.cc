// The events the controller publishes (controller/outcome_recorder.h) for real deploys: a real
// git repository (libgit2 over file://) and the stack-files target, with a wrapper that makes
// CloudFormation roll an update back, as it does when a service does not stabilize.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/stack_files.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "tests/notify/recording_publisher.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::notify {
namespace {

using ::testing::AllOf;
using testing::GitRepo;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::WaitUntil;

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

// Rolls back every executed change set: the stack stays as it was, its events tell why.
class RollingBackCloudFormation final : public reconcile::fakes::ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;

  base::Result<aws::Stack> DescribeStack(const std::string& name) override {
    auto stack = ForwardingCloudFormation::DescribeStack(name);
    std::lock_guard<std::mutex> lock(mu_);
    if (!stack.ok() || statuses_.empty()) return stack;
    stack->status = statuses_.front();
    if (statuses_.size() > 1) statuses_.pop_front();
    return stack;
  }
  base::Result<std::vector<aws::StackEvent>> DescribeStackEvents(const std::string& name) override {
    auto events = ForwardingCloudFormation::DescribeStackEvents(name);
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<aws::StackEvent> all(extra_.rbegin(), extra_.rend());
    if (events.ok()) all.insert(all.end(), events->begin(), events->end());
    return all;
  }
  base::Status ExecuteChangeSet(const std::string&, const std::string&,
                                const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    statuses_ = {"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"};
    // The service did not stabilize; CloudFormation rolled the stack back.
    aws::StackEvent failed;
    failed.event_id = "f1";
    failed.logical_id = "WebService";
    failed.resource_type = "AWS::ECS::Service";
    failed.status = "UPDATE_FAILED";
    failed.reason = "Resource handler returned message: \"Service did not stabilize\"";
    extra_.push_back(failed);
    aws::StackEvent rolled_back = failed;
    rolled_back.event_id = "f2";
    rolled_back.logical_id = "mono-app";
    rolled_back.resource_type = "AWS::CloudFormation::Stack";
    rolled_back.status = "UPDATE_ROLLBACK_COMPLETE";
    rolled_back.reason.clear();
    extra_.push_back(rolled_back);
    return base::Status::Ok();
  }

 private:
  std::mutex mu_;
  std::deque<std::string> statuses_;
  std::vector<aws::StackEvent> extra_;
};

class ControllerEventsTest : public ::testing::Test {
 protected:
  ControllerEventsTest()
      : git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        cfn_(stacks_) {}

  // Project "app" from compose.yaml, or one project per folder matching `glob`.
  config::Config MakeConfig(const std::string& glob = "") {
    config::ProjectConfig app;
    if (glob.empty()) {
      app.name = "app";
      app.files = {"compose.yaml"};
    } else {
      app.glob = glob;
    }
    config::RepositoryConfig repo;
    repo.name = "mono";
    repo.url = repo_.url();
    repo.ref = "main";
    repo.poll_interval = std::chrono::milliseconds(100);
    repo.timeout = std::chrono::seconds(60);
    repo.projects = {app};
    config::Config config;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories.push_back(std::move(repo));
    return config;
  }

  controller::ControllerDeps Deps() {
    controller::ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &cfn_;
    deps.clock = base::SystemClock::Get();
    deps.stack_poll_interval = std::chrono::milliseconds(10);
    deps.events = &events_;
    return deps;
  }

  TempDir work_;
  GitRepo repo_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  RollingBackCloudFormation cfn_;
  RecordingPublisher events_;
};

TEST_F(ControllerEventsTest, AFailedDeployPublishesDeployFailedNamingTheResourceAndWhy) {
  repo_.Write("compose.yaml", App(1));
  const std::string first = repo_.Commit("first");
  controller::Controller controller(MakeConfig(), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return events_.Kinds(first).size() == 2; }));
  EXPECT_THAT(events_.Kinds(first), ::testing::ElementsAre("deploy_started", "deploy_succeeded"));
  const std::optional<Event> created = events_.Find(EventKind::kDeploySucceeded, first);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->project_key, "mono/app");
  EXPECT_EQ(created->repository, "mono");
  EXPECT_EQ(created->project, "app");
  EXPECT_EQ(created->stack, "mono-app");
  EXPECT_EQ(created->repository_url, repo_.url());
  EXPECT_NE(created->at, std::chrono::system_clock::time_point{});

  // The update is rolled back.
  repo_.Write("compose.yaml", App(2));
  const std::string second = repo_.Commit("two replicas");
  ASSERT_TRUE(
      WaitUntil([&] { return events_.Find(EventKind::kDeployFailed, second).has_value(); }));
  EXPECT_THAT(events_.Kinds(second), ::testing::ElementsAre("deploy_started", "deploy_failed"));
  const Event failed = events_.Find(EventKind::kDeployFailed, second).value();
  EXPECT_EQ(failed.stack, "mono-app");
  EXPECT_THAT(failed.description,
              AllOf(HasSubstr("UPDATE_ROLLBACK_COMPLETE"), HasSubstr("WebService"),
                    HasSubstr("UPDATE_FAILED"), HasSubstr("Service did not stabilize")));
  EXPECT_EQ(failed.description.find('\n'), std::string::npos);

  // A commit that does not load: failed, and stalled until a new commit.
  repo_.Write("compose.yaml", "services: [not a map");
  const std::string broken = repo_.Commit("broken");
  ASSERT_TRUE(WaitUntil([&] { return events_.Find(EventKind::kStalled, broken).has_value(); }));
  EXPECT_THAT(events_.Kinds(broken), ::testing::ElementsAre("deploy_failed", "stalled"));
  EXPECT_THAT(events_.Find(EventKind::kDeployFailed, broken).value().description,
              HasSubstr("compose.yaml"));
  controller.Stop();
  // Polls after the failures repeated nothing (up-to-date runs publish no success on their
  // own, errors are not published twice).
  EXPECT_EQ(events_.events().size(), 6u);
}

TEST_F(ControllerEventsTest, AStackWhoseProjectLeftGitIsAnnouncedAsPruned) {
  repo_.Write("apps/api/compose.yaml", App(1));
  repo_.Write("apps/web/compose.yaml", App(1));
  repo_.Commit("two apps");
  controller::Controller controller(MakeConfig("apps/*/compose.yaml"), Deps());
  controller.Start();
  ASSERT_TRUE(WaitUntil([&] { return events_.events().size() == 4; }));  // started, succeeded

  repo_.Remove("apps/api/compose.yaml");
  const std::string dropped = repo_.Commit("drop api");
  ASSERT_TRUE(WaitUntil([&] { return events_.Find(EventKind::kPruned, dropped).has_value(); }));
  const Event pruned = events_.Find(EventKind::kPruned, dropped).value();
  EXPECT_EQ(pruned.project_key, "mono/mono-api");  // the project is gone: its stack names it
  EXPECT_EQ(pruned.repository, "mono");
  EXPECT_EQ(pruned.stack, "mono-api");
  EXPECT_EQ(pruned.repository_url, repo_.url());
  EXPECT_THAT(pruned.description, HasSubstr("mono-api"));
  controller.Stop();
}

}  // namespace
}  // namespace ecsync::notify
