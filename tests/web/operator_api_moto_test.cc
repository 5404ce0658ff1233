// The operator API's approve and reject, end to end: `ecsync serve`'s parts in process
// (controller, HttpServer) polling a real git repository and deploying to moto. A blue/green
// service with `approval: manual` waits at ECS's approval hook (the moto wrapper,
// tests/support/moto_ecs_deployments.py, holds it there on a clock this test moves); a POST
// with an operate token lets it finish, or rolls it back. A project with approval: manual
// that leaves git keeps its stack until such a POST approves its delete.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/web/served_controller.h"

namespace ecsync::testing {
namespace {

constexpr char kOperateToken[] = "alice-operate-0123456789abcdef";
constexpr char kReadToken[] = "robot-read-0123456789abcdef";
constexpr char kKey[] = "shop/web";
constexpr char kStack[] = "shop-web";
constexpr char kApprove[] = "/api/v1/projects/shop%2Fweb/approve";
constexpr char kReject[] = "/api/v1/projects/shop%2Fweb/reject";
constexpr char kAdvance[] = "/moto-api/ecsync/ecs/advance";

std::string Compose(const std::string& image) {
  return "services:\n  web:\n    image: " + image +
         "\n    ports: [{target: 8080, published: 80, app_protocol: http}]\n"
         "    x-aws-deployment: {strategy: blue_green, approval: manual}\n";
}

nlohmann::json JsonOf(const std::string& response) {
  return nlohmann::json::parse(BodyOf(response), nullptr, /*allow_exceptions=*/false);
}

class OperatorApiMotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("compose.yaml", Compose("nginx:1"));
    repo_.Commit("nginx 1");
    web::HttpServer::Options options;
    options.api = OperatorTokens(kOperateToken, kReadToken, /*open_reads=*/false);
    served_ = std::make_unique<ServedController>(
        ShopConfig(repo_.url(), {Project("web", "compose.yaml")}), options);
    ASSERT_TRUE(served_->ok()) << served_->error();
  }

  void TearDown() override {
    // Let a failed test's deploy end before the controller stops.
    if (served_ && served_->ok()) served_->moto().Control(kAdvance, R"({"minutes": 1000})");
    served_.reset();
  }

  // Moves moto's deployment clock until the web service's newest deployment waits at the
  // approval hook (at most 60 s of real time).
  ::testing::AssertionResult WaitForApprovalHook() {
    nlohmann::json newest;
    const bool waiting = WaitUntil([&] {
      const std::string answer = served_->moto().Control(kAdvance, R"({"minutes": 10})");
      if (answer.empty()) return false;
      // One service: the last deployment recorded is its newest.
      const nlohmann::json deployments = nlohmann::json::parse(answer)["deployments"];
      newest = deployments.empty() ? nullptr : deployments.back();
      return newest.is_object() && newest.value("status", "") == "IN_PROGRESS" &&
             newest.value("lifecycleStage", "") == "POST_TEST_TRAFFIC_SHIFT";
    });
    if (waiting) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "newest deployment " << newest.dump();
  }

  // Moves the deployment clock until the stack reaches `status`.
  ::testing::AssertionResult WaitForStack(const std::string& status) {
    std::string seen;
    const bool reached = WaitUntil([&] {
      served_->moto().Control(kAdvance, R"({"minutes": 30})");
      seen = served_->moto().StackStatus(kStack);
      return seen == status;
    });
    if (reached) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << kStack << " is " << seen << ", not " << status;
  }

  std::string Metrics() const { return served_->metrics().Serialize(); }

  GitRepo repo_;
  std::unique_ptr<ServedController> served_;
};

TEST_F(OperatorApiMotoTest, ApproveLetsTheWaitingDeploymentFinish) {
  ASSERT_TRUE(WaitForApprovalHook());
  EXPECT_EQ(served_->moto().StackStatus(kStack), "CREATE_IN_PROGRESS");

  // A read token may look but not approve; nothing moves.
  const std::string refused = served_->Send("POST", kApprove, kReadToken);
  EXPECT_EQ(StatusOf(refused), 403) << refused;
  EXPECT_EQ(served_->moto().StackStatus(kStack), "CREATE_IN_PROGRESS");

  const std::string approved = served_->Send("POST", kApprove, kOperateToken);
  ASSERT_EQ(StatusOf(approved), 202) << approved;
  const nlohmann::json body = JsonOf(approved);
  EXPECT_EQ(body.value("action", ""), "approve");
  ASSERT_EQ(body["services"].size(), 1u) << body.dump();
  EXPECT_EQ(body["services"][0].value("service", ""), "web");
  EXPECT_EQ(body["services"][0].value("action", ""), "approved");
  EXPECT_EQ(body["services"][0].value("stage", ""), "POST_TEST_TRAFFIC_SHIFT");

  ASSERT_TRUE(WaitForStack("CREATE_COMPLETE"));
  controller::ProjectStatus status;
  EXPECT_TRUE(
      served_->WaitFor(kKey, controller::Condition::kReady, std::chrono::seconds(60), &status));
  EXPECT_EQ(status.last_applied_revision, repo_.Head());

  // Nothing waits any more: a second approval is a conflict that names why.
  const std::string again = served_->Send("POST", kApprove, kOperateToken);
  EXPECT_EQ(StatusOf(again), 409) << again;
  EXPECT_EQ(JsonOf(again).value("error", ""), "no deployment is waiting for approval");

  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find(R"(ecsync_operator_actions_total{action="approve",result="accepted"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(ecsync_operator_actions_total{action="approve",result="forbidden"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(ecsync_operator_actions_total{action="approve",result="conflict"} 1)"),
            std::string::npos);
}

TEST_F(OperatorApiMotoTest, RejectRollsTheUpdateBackAndTheRunSaysSo) {
  ASSERT_TRUE(WaitForApprovalHook());
  ASSERT_EQ(StatusOf(served_->Send("POST", kApprove, kOperateToken)), 202);
  ASSERT_TRUE(WaitForStack("CREATE_COMPLETE"));
  controller::ProjectStatus status;
  ASSERT_TRUE(
      served_->WaitFor(kKey, controller::Condition::kReady, std::chrono::seconds(60), &status));
  const std::string first = repo_.Head();

  repo_.Write("compose.yaml", Compose("nginx:2"));
  repo_.Commit("nginx 2");
  ASSERT_TRUE(WaitForApprovalHook());
  EXPECT_EQ(served_->moto().StackStatus(kStack), "UPDATE_IN_PROGRESS");

  const std::string rejected = served_->Send("POST", kReject, kOperateToken);
  ASSERT_EQ(StatusOf(rejected), 202) << rejected;
  EXPECT_EQ(JsonOf(rejected)["services"][0].value("action", ""), "rolled_back") << rejected;

  ASSERT_TRUE(WaitForStack("UPDATE_ROLLBACK_COMPLETE"));
  // The run of the rejected commit is recorded as failed, with the approver's word in it;
  // the deployed revision stays the first.
  ASSERT_TRUE(WaitUntil([&] {
    return served_->controller().status().FindProject(kKey, &status) && !status.runs.empty() &&
           status.runs.front().revision == repo_.Head() && status.runs.front().result == "failed";
  })) << (status.runs.empty() ? "no runs" : status.runs.front().result);
  EXPECT_EQ(status.last_applied_revision, first);
  EXPECT_NE(status.runs.front().message.find("rejected"), std::string::npos)
      << status.runs.front().message;
}

// approval: manual and a project that leaves git: its delete waits under the key the project
// had, shown by the status API, and an operate token's approve deletes the stack.
TEST(OperatorApiMotoDelete, ApprovingTheDeleteOfAProjectThatLeftGitDeletesItsStack) {
  const std::string app = "services:\n  web:\n    image: nginx:1.27-alpine\n";
  GitRepo repo;
  repo.Write("web/compose.yaml", app);
  repo.Write("api/compose.yaml", app);
  repo.Commit("web and api");
  config::ProjectConfig web = Project("web", "web/compose.yaml");
  web.manual_approval = true;
  web::HttpServer::Options options;
  options.api = OperatorTokens(kOperateToken, kReadToken, /*open_reads=*/false);
  ServedController served(ShopConfig(repo.url(), {web, Project("api", "api/compose.yaml")}),
                          options);
  ASSERT_TRUE(served.ok()) << served.error();
  controller::ProjectStatus status;
  ASSERT_TRUE(served.WaitFor(kKey, controller::Condition::kAwaitingApproval,
                             std::chrono::seconds(60), &status));
  ASSERT_EQ(StatusOf(served.Send("POST", kApprove, kOperateToken)), 202);  // the create
  ASSERT_TRUE(
      served.WaitFor(kKey, controller::Condition::kReady, std::chrono::seconds(60), &status));

  repo.Remove("web/compose.yaml");
  const std::string removed = repo.Commit("retire web");
  // The pending change is shown a moment before the condition: both are waited for.
  ASSERT_TRUE(WaitUntil([&] {
    return served.controller().status().FindProject(kKey, &status) &&
           status.pending_action == "delete" && status.pending_revision == removed &&
           status.condition == controller::Condition::kAwaitingApproval;
  })) << served.controller().status().ToJson().dump(2);
  const std::string identity = "ecsync-" + removed.substr(0, 12) + "-delete";
  const std::string project = served.Send("GET", "/api/v1/projects/shop%2Fweb", kReadToken);
  ASSERT_EQ(StatusOf(project), 200) << project;
  const nlohmann::json shown = JsonOf(project);
  EXPECT_EQ(shown["condition"].value("type", ""), "AwaitingApproval") << shown.dump();
  EXPECT_EQ(shown["pendingApproval"].value("action", ""), "delete") << shown.dump();
  EXPECT_EQ(shown["pendingApproval"].value("changeSet", ""), identity);
  EXPECT_FALSE(shown["pendingApproval"]["changes"].empty());
  const std::string overview = served.Send("GET", "/api/v1/status", kReadToken);
  EXPECT_NE(BodyOf(overview).find(identity), std::string::npos) << overview;

  EXPECT_EQ(StatusOf(served.Send("POST", kApprove, kReadToken)), 403);
  EXPECT_EQ(StatusOf(served.Send("POST", "/api/v1/projects/shop%2Fnope/approve", kOperateToken)),
            404);
  EXPECT_EQ(served.moto().StackStatus(kStack), "CREATE_COMPLETE");  // nothing deleted yet
  const std::string approved = served.Send("POST", kApprove, kOperateToken);
  ASSERT_EQ(StatusOf(approved), 202) << approved;
  EXPECT_EQ(JsonOf(approved).value("change", ""), "delete") << approved;
  EXPECT_EQ(JsonOf(approved).value("changeSet", ""), identity) << approved;
  ASSERT_TRUE(WaitUntil([&] {
    return served.controller().status().FindProject(kKey, &status) && !status.runs.empty() &&
           status.runs.front().result == "success" && status.runs.front().action == "delete";
  })) << served.controller().status().ToJson().dump(2);
  EXPECT_EQ(status.runs.front().approved_by, "alice");
  EXPECT_EQ(served.moto().StackStatus(kStack), "");
  EXPECT_EQ(served.moto().StackStatus("shop-api"), "CREATE_COMPLETE");
  // Done: approving again is a conflict that says so.
  const std::string again = served.Send("POST", kApprove, kOperateToken);
  EXPECT_EQ(StatusOf(again), 409) << again;
}

}  // namespace
}  // namespace ecsync::testing
