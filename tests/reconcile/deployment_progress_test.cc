// Following ECS service deployments while CloudFormation waits (reconcile/deployment_watcher):
// the lines themselves, and a canary deployed to moto, whose wrapper moves the deployment
// through its stages on a clock this test controls (tests/support/moto_ecs_deployments.py),
// completing, or rolled back by an alarm and reported as a failed deploy with ECS's reason.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "git/libgit2_source.h"
#include "reconcile/deployment_watcher.h"
#include "reconcile/reconciler.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr char kStack[] = "shop";
constexpr char kAdvance[] = "/moto-api/ecsync/ecs/advance";
constexpr char kAlarm[] = "/moto-api/ecsync/ecs/alarm";

std::string Compose(const std::string& image) {
  return "services:\n  web:\n    image: " + image +
         "\n    ports: [\"80:80\"]\n"
         "    x-aws-deployment:\n"
         "      strategy: canary\n"
         "      canary: {percent: 10, bake_minutes: 5}\n"
         "      alarms: [web-5xx]\n";
}

TEST(DescribeDeployment, NamesTheStageTheTrafficTheApprovalAndTheRollback) {
  aws::EcsServiceDeployment d;
  d.strategy = "CANARY";
  d.status = "IN_PROGRESS";
  d.lifecycle_stage = "PRODUCTION_TRAFFIC_SHIFT";
  d.production_traffic_percent = 10;
  EXPECT_EQ(DescribeDeployment("shop", "web", d),
            "service web: CANARY deployment at PRODUCTION_TRAFFIC_SHIFT (10% of production "
            "traffic)");
  d.production_traffic_percent = 2.5;
  EXPECT_THAT(DescribeDeployment("shop", "web", d), HasSubstr("(2.5% of production traffic)"));

  d.lifecycle_stage = "POST_TEST_TRAFFIC_SHIFT";
  d.paused_hook_id = "hook-1";
  EXPECT_EQ(DescribeDeployment("shop", "web", d),
            "service web: CANARY deployment waiting for approval at POST_TEST_TRAFFIC_SHIFT; "
            "run `ecsync approve shop` (or `--rollback`)");

  d.paused_hook_id.clear();
  d.status = "ROLLBACK_IN_PROGRESS";
  d.triggered_alarm_names = {"web-5xx"};
  EXPECT_EQ(DescribeDeployment("shop", "web", d),
            "service web: CANARY deployment rolling back: alarm web-5xx fired");

  aws::EcsServiceDeployment rolling;
  rolling.strategy = "ROLLING";
  rolling.status = "IN_PROGRESS";
  EXPECT_EQ(DescribeDeployment("shop", "web", rolling), "");
}

class DeploymentProgressTest : public aws::MotoClientsTest {
 protected:
  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = kStack;
    options.wait = {milliseconds(100), milliseconds(120000)};
    return options;
  }

  base::Result<ReconcileReport> Run() {
    Reconciler reconciler(git_,
                          {.cloudformation = clients_.cloudformation.get(),
                           .ec2 = clients_.ec2.get(),
                           .ecs = clients_.ecs.get()},
                          *base::SystemClock::Get(), [this](const ProgressEvent& event) {
                            std::lock_guard<std::mutex> lock(mu_);
                            lines_.push_back(event.message);
                          });
    return reconciler.Reconcile(Options());
  }

  // Runs Reconcile in another thread while `drive` moves the wrapper's clock, until it
  // returns (at most two minutes).
  base::Result<ReconcileReport> RunDriven(const std::function<void()>& drive) {
    std::atomic<bool> done = false;
    base::Result<ReconcileReport> report = base::InternalError("not run");
    std::thread run([&] {
      report = Run();
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      drive();
      std::this_thread::sleep_for(milliseconds(50));
    }
    run.join();
    return report;
  }

  // Deploys nginx:1.27 (its first deployment is a canary too, moved along freely), then
  // updates to nginx:1.28 while `drive` moves the clock. Lines start from the update.
  base::Result<ReconcileReport> UpdateWhile(const std::function<void()>& drive) {
    repo_.Write("compose.yaml", Compose("nginx:1.27"));
    repo_.Commit("first");
    auto created = RunDriven([&] { moto_->Control(kAdvance, R"({"steps": 1})"); });
    if (!created.ok()) return created.status();
    EXPECT_TRUE(created->succeeded) << created->message;
    {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.clear();
    }
    repo_.Write("compose.yaml", Compose("nginx:1.28"));
    repo_.Commit("new image");
    return RunDriven(drive);
  }

  bool Said(const std::string& part) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& line : lines_) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }

  // Moves the deployment one step once the watcher has reported where the last step left
  // it (or after 10 s, should a report never come), so no stage goes by unseen.
  void StepWhenSeen() {
    if (!expected_.empty() && !Said(expected_) &&
        std::chrono::steady_clock::now() < step_deadline_) {
      return;
    }
    const std::string answer = moto_->Control(kAdvance, R"({"steps": 1})");
    auto json = nlohmann::json::parse(answer, nullptr, false);
    expected_.clear();
    step_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    if (json.is_discarded() || json.value("deployments", nlohmann::json::array()).empty()) return;
    const nlohmann::json& d = json["deployments"].back();
    if (d.value("status", "") != "IN_PROGRESS") return;
    expected_ = "deployment at " + d.value("lifecycleStage", "");
    if (d.contains("productionTrafficPercent") && d["productionTrafficPercent"].is_number()) {
      expected_ += " (" + std::to_string(d["productionTrafficPercent"].get<int>()) + "%";
    }
  }

  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

  testing::TempDir cache_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::string expected_;
  std::chrono::steady_clock::time_point step_deadline_;
};

TEST_F(DeploymentProgressTest, ACanaryIsFollowedThroughItsStagesToTheEnd) {
  auto updated = UpdateWhile([&] { StepWhenSeen(); });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->action, Action::kUpdate);
  EXPECT_TRUE(updated->succeeded) << updated->message;
  EXPECT_EQ(moto_->StackStatus(kStack), "UPDATE_COMPLETE");
  const std::string all = ::testing::PrintToString(Lines());
  EXPECT_THAT(all, HasSubstr("service WebService: CANARY deployment at PRODUCTION_TRAFFIC_SHIFT "
                             "(10% of production traffic)"));
  EXPECT_THAT(all, HasSubstr("service WebService: CANARY deployment at BAKE_TIME"));
  EXPECT_THAT(all, HasSubstr("service WebService: CANARY deployment at CLEAN_UP"));
}

TEST_F(DeploymentProgressTest, AnAlarmRollsTheCanaryBackAndTheDeployFailsWithItsReason) {
  bool fired = false;
  auto updated = UpdateWhile([&] {
    // Once 10% of production traffic reached the canary, the alarm fires.
    if (!fired && Said("PRODUCTION_TRAFFIC_SHIFT (10% of production traffic)")) {
      moto_->Control(kAlarm, R"({"name": "web-5xx", "state": "ALARM"})");
      fired = true;
      expected_ = "alarm web-5xx fired";
      step_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      return;
    }
    StepWhenSeen();
  });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->succeeded);
  EXPECT_EQ(moto_->StackStatus(kStack), "UPDATE_ROLLBACK_COMPLETE");
  EXPECT_THAT(updated->message, HasSubstr("web-5xx")) << updated->message;
  EXPECT_THAT(::testing::PrintToString(Lines()),
              HasSubstr("service WebService: CANARY deployment rolling back: alarm web-5xx fired"));
}

// Behind a network load balancer (a TCP port) a blue/green deployment shifts the listener's
// own forward action: the stack deploys to moto with the weighted listener and the update is
// followed to the end like any other.
TEST_F(DeploymentProgressTest, ABlueGreenBehindANetworkLoadBalancerIsFollowedToTheEnd) {
  const auto compose = [](const std::string& image) {
    return "services:\n  dns:\n    image: " + image +
           "\n    ports: [\"53:53\"]\n    x-aws-deployment: {strategy: blue_green}\n";
  };
  repo_.Write("compose.yaml", compose("coredns/coredns:1.11.1"));
  repo_.Commit("first");
  auto created = RunDriven([&] { moto_->Control(kAdvance, R"({"steps": 1})"); });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  const nlohmann::json listeners = nlohmann::json::parse(
      moto_->Aws({"elbv2", "describe-listeners", "--load-balancer-arn",
                  nlohmann::json::parse(moto_->Aws(
                      {"elbv2", "describe-load-balancers"}))["LoadBalancers"][0]["LoadBalancerArn"]
                      .get<std::string>()}));
  const nlohmann::json& action = listeners["Listeners"][0]["DefaultActions"][0];
  EXPECT_EQ(listeners["Listeners"][0]["Protocol"], "TCP");
  ASSERT_EQ(action["ForwardConfig"]["TargetGroups"].size(), 2u) << action.dump();
  EXPECT_EQ(action["ForwardConfig"]["TargetGroups"][1]["Weight"], 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.clear();
  }
  repo_.Write("compose.yaml", compose("coredns/coredns:1.11.3"));
  repo_.Commit("new image");
  auto updated = RunDriven([&] { StepWhenSeen(); });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_TRUE(updated->succeeded) << updated->message;
  EXPECT_EQ(moto_->StackStatus(kStack), "UPDATE_COMPLETE");
  EXPECT_THAT(::testing::PrintToString(Lines()),
              HasSubstr("service DnsService: BLUE_GREEN deployment at PRODUCTION_TRAFFIC_SHIFT"));
}

}  // namespace
}  // namespace ecsync::reconcile
