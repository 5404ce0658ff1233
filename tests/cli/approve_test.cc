// `ecsync approve` end to end: `ecsync reconcile --once` deploys a blue/green service with
// `approval: manual` to moto_server, whose ECS deployments (tests/support/
// moto_ecs_deployments.py) stop at the approval hook and read its SSM parameter, as the
// stack's approval function does in AWS. The reconcile runs in the background, waiting for
// the stack as it would while someone approves from another terminal. The first approval of
// each test is made with --output json.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;

constexpr char kAdvance[] = "/moto-api/ecsync/ecs/advance";

// `image` for the web service, deployed blue/green behind the load balancer with approval.
std::string Compose(const std::string& image) {
  return R"(name: shop
services:
  web:
    image: )" +
         image + R"(
    ports: [{target: 8080, published: 80, app_protocol: http}]
    x-aws-deployment:
      strategy: blue_green
      approval: manual
)";
}

class Approve : public ::testing::Test {
 protected:
  // Commits the compose file with `image` and starts `ecsync reconcile --once` on it in the
  // background (killed, if still running, when the test ends).
  std::unique_ptr<Process> StartDeploy(const std::string& image) {
    repo_.Write("compose.yaml", Compose(image));
    repo_.Commit(image);
    std::vector<std::string> argv = {EcsyncBinary(), "reconcile",       "--once",
                                     "--repo",       repo_.url(),       "--cache-dir",
                                     cache_.path(),  "--poll-interval", "100ms"};
    return std::make_unique<Process>(argv, moto_.ClientEnv(),
                                     logs_.path() + "/reconcile-" + image + ".log");
  }

  // The exit code of a background reconcile, once it ends (within 60 s).
  static int ExitCode(Process& reconcile) {
    std::optional<int> code = reconcile.Wait(std::chrono::seconds(60));
    EXPECT_TRUE(code.has_value()) << reconcile.Log();
    return code.value_or(-1);
  }

  // Moves the test clock until the newest deployment waits at the approval hook (it stays
  // at POST_TEST_TRAFFIC_SHIFT however far the clock moves). False after 60 s.
  bool WaitForApprovalHook() {
    return WaitUntil([&] {
      json newest = Newest(R"({"minutes": 10})");
      return newest.is_object() && newest.value("status", "") == "IN_PROGRESS" &&
             newest.value("lifecycleStage", "") == "POST_TEST_TRAFFIC_SHIFT";
    });
  }

  // Advances the clock by `body`; the newest deployment's summary (null when none).
  json Newest(const std::string& body) {
    std::string answer = moto_.Control(kAdvance, body);
    if (answer.empty()) return json();
    json deployments = json::parse(answer)["deployments"];
    return deployments.empty() ? json() : deployments.back();  // recorded in order
  }

  CommandResult RunApprove(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {EcsyncBinary(), "approve", "shop"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, moto_.ClientEnv());
  }

  // Creates the stack and approves its first deployment.
  void CreateApproved() {
    auto created = StartDeploy("nginx:1");
    ASSERT_TRUE(WaitForApprovalHook()) << created->Log();
    EXPECT_EQ(moto_.StackStatus("shop"), "CREATE_IN_PROGRESS");
    CommandResult approved = RunApprove({"--output", "json"});
    ASSERT_EQ(approved.exit_code, 0) << approved.out << approved.err;
    json out = json::parse(approved.out, nullptr, false);
    ASSERT_TRUE(out.is_object()) << approved.out;
    EXPECT_EQ(out["stack"], "shop");
    ASSERT_EQ(out["services"].size(), 1u) << approved.out;
    const json& web = out["services"][0];
    EXPECT_EQ(web["service"], "web");
    EXPECT_EQ(web["action"], "approved");
    EXPECT_EQ(web["revision"].get<std::string>().rfind("arn:aws:ecs:us-east-1:", 0), 0u) << web;
    EXPECT_EQ(web["stage"], "POST_TEST_TRAFFIC_SHIFT");
    EXPECT_EQ(web["paused"], true);
    Newest(R"({"minutes": 100})");
    ASSERT_EQ(ExitCode(*created), 0) << created->Log();
    ASSERT_EQ(moto_.StackStatus("shop"), "CREATE_COMPLETE");
  }

  MotoServer moto_;
  GitRepo repo_;
  TempDir cache_;
  TempDir logs_;
};

TEST_F(Approve, ApprovesTheRevisionWaitingAtTheHook) {
  CreateApproved();

  auto updated = StartDeploy("nginx:2");
  ASSERT_TRUE(WaitForApprovalHook()) << updated->Log();
  // Held at the hook, however long: the stack waits with it.
  Newest(R"({"minutes": 120})");
  EXPECT_EQ(moto_.StackStatus("shop"), "UPDATE_IN_PROGRESS");

  CommandResult approved = RunApprove({"--service", "web"});
  ASSERT_EQ(approved.exit_code, 0) << approved.out << approved.err;
  EXPECT_EQ(approved.out.rfind("web: approved shop/", 0), 0u) << approved.out;
  EXPECT_NE(approved.out.find("(paused at POST_TEST_TRAFFIC_SHIFT)"), std::string::npos)
      << approved.out;
  std::string value = json::parse(moto_.Aws(
      {"ssm", "get-parameter", "--name", "/ecsync/shop/web/approval"}))["Parameter"]["Value"];
  EXPECT_EQ(value.rfind("arn:aws:ecs:us-east-1:", 0), 0u) << value;

  EXPECT_EQ(Newest(R"({"minutes": 100})")["status"], "SUCCESSFUL");
  EXPECT_EQ(ExitCode(*updated), 0) << updated->Log();
  EXPECT_EQ(moto_.StackStatus("shop"), "UPDATE_COMPLETE");

  // Nothing left to approve.
  CommandResult again = RunApprove();
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_EQ(again.out, "web: nothing waiting for approval\n");
  CommandResult again_json = RunApprove({"--output", "json"});
  EXPECT_EQ(again_json.exit_code, 1) << again_json.out << again_json.err;
  json nothing = json::parse(again_json.out, nullptr, false);
  ASSERT_TRUE(nothing.is_object()) << again_json.out;
  EXPECT_EQ(nothing["services"][0]["action"], "nothing_waiting") << again_json.out;
  EXPECT_EQ(nothing["services"][0]["revision"], "") << again_json.out;
  // A service without approval, and a stack that is not there: errors naming them.
  CommandResult other = RunApprove({"--service", "worker"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("service worker is not one deployed with `approval: manual`"),
            std::string::npos)
      << other.err;
  CommandResult missing = RunCommand({EcsyncBinary(), "approve", "nosuch"}, moto_.ClientEnv());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("stack nosuch"), std::string::npos) << missing.err;
}

TEST_F(Approve, RollbackRejectsTheRevision) {
  CreateApproved();

  auto updated = StartDeploy("nginx:2");
  ASSERT_TRUE(WaitForApprovalHook()) << updated->Log();
  EXPECT_EQ(moto_.StackStatus("shop"), "UPDATE_IN_PROGRESS");
  CommandResult rejected = RunApprove({"--rollback"});
  ASSERT_EQ(rejected.exit_code, 0) << rejected.out << rejected.err;
  EXPECT_EQ(rejected.out.rfind("web: rolled back shop/", 0), 0u) << rejected.out;

  json newest = Newest(R"({"minutes": 1})");
  EXPECT_EQ(newest["status"], "ROLLBACK_SUCCESSFUL") << newest.dump();
  json described =
      json::parse(moto_.Aws({"ecs", "describe-service-deployments", "--service-deployment-arns",
                             newest["serviceDeploymentArn"].get<std::string>()}));
  EXPECT_NE(described["serviceDeployments"][0]["statusReason"].get<std::string>().find(
                "the approver rejected"),
            std::string::npos)
      << described.dump();
  EXPECT_EQ(ExitCode(*updated), 1) << updated->Log();
  EXPECT_EQ(moto_.StackStatus("shop"), "UPDATE_ROLLBACK_COMPLETE");
}

}  // namespace
}  // namespace ecsync::testing
