// ECS service deployments (List/Describe/Continue/StopServiceDeployment) against moto_server
// with tests/support/moto_ecs_deployments.py, whose clock the tests move, and the
// CloudFormation stacks those deployments hold.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "aws/cloudformation.h"
#include "aws/ecs.h"
#include "tests/aws/moto_fixture.h"

namespace ecsync::aws {
namespace {

constexpr char kAdvance[] = "/moto-api/ecsync/ecs/advance";

// A stack with cluster "shop" and service "web" (task family "web" with `image`), deployed
// with `deployment_configuration` (the DeploymentConfiguration property's JSON). The
// CloudFormation spelling of a PAUSE hook is TargetType, which cfn-lint 1.51 does not know;
// moto does not lint.
std::string Template(const std::string& image, int desired_count,
                     const std::string& deployment_configuration) {
  return R"({"Resources": {
  "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "shop"}},
  "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Family": "web",
    "ContainerDefinitions": [{"Name": "web", "Image": ")" +
         image + R"(", "Memory": 128}]}},
  "Web": {"Type": "AWS::ECS::Service", "Properties": {"Cluster": {"Ref": "Cluster"},
    "ServiceName": "web", "TaskDefinition": {"Ref": "Task"}, "DesiredCount": )" +
         std::to_string(desired_count) + R"(,
    "DeploymentConfiguration": )" +
         deployment_configuration + "}}}}";
}

constexpr char kCanary[] = R"({"Strategy": "CANARY", "BakeTimeInMinutes": 3,
  "CanaryConfiguration": {"CanaryPercent": 10, "CanaryBakeTimeInMinutes": 5},
  "Alarms": {"AlarmNames": ["web-5xx"], "Enable": true, "Rollback": true}})";
constexpr char kApproval[] = R"({"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 1,
  "LifecycleHooks": [{"TargetType": "PAUSE", "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]})";
// ecsync's own approval hook: a Lambda hook marked in HookDetails, naming its parameter.
constexpr char kMarkedApproval[] = R"({"Strategy": "BLUE_GREEN",
  "LifecycleHooks": [{"HookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:approve",
    "HookDetails": "{\"ecsync\":\"approval\",\"parameter\":\"/ecsync/shop/web/approval\"}",
    "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]})";
constexpr char kRolling[] = R"({"MaximumPercent": 200, "MinimumHealthyPercent": 100})";

class EcsDeployments : public MotoClientsTest {
 protected:
  // Creates the stack with a rolling service, then updates it to `configuration` (with a
  // new image and desired count, so the service gets a new deployment).
  void Deploy(const std::string& configuration) {
    CreateStackRequest create;
    create.name = "shop";
    create.template_body = Template("nginx:1", 1, kRolling);
    ASSERT_TRUE(clients_.cloudformation->CreateStack(create).ok());
    ASSERT_EQ(WaitForStack("shop"), "CREATE_COMPLETE");
    UpdateStackRequest update;
    update.name = "shop";
    update.template_body = Template("nginx:2", 2, configuration);
    ASSERT_TRUE(clients_.cloudformation->UpdateStack(update).ok());
  }

  // The newest deployment of service web, described.
  EcsServiceDeployment Latest() {
    auto briefs = clients_.ecs->ListServiceDeployments("shop", "web");
    EXPECT_TRUE(briefs.ok()) << briefs.status().ToString();
    if (!briefs.ok() || briefs->empty()) return {};
    auto described = clients_.ecs->DescribeServiceDeployments({briefs->front().arn});
    EXPECT_TRUE(described.ok()) << described.status().ToString();
    if (!described.ok() || described->deployments.size() != 1) return {};
    return described->deployments[0];
  }

  std::string StackStatus() {
    auto stack = clients_.cloudformation->DescribeStack("shop");
    return stack.ok() ? stack->status : stack.status().ToString();
  }

  void Advance(const std::string& body) { ASSERT_NE(moto_->Control(kAdvance, body), ""); }
};

TEST_F(EcsDeployments, CanaryMovesThroughItsStagesOnTheTestClock) {
  Deploy(kCanary);
  auto briefs = clients_.ecs->ListServiceDeployments("shop", "web");
  ASSERT_TRUE(briefs.ok()) << briefs.status().ToString();
  ASSERT_EQ(briefs->size(), 2u);  // the create's rolling one and the update's canary
  EXPECT_EQ((*briefs)[0].status, "IN_PROGRESS");
  EXPECT_EQ((*briefs)[1].status, "SUCCESSFUL");
  EXPECT_NE((*briefs)[0].service_arn.find("service/shop/web"), std::string::npos);

  EcsServiceDeployment d = Latest();
  EXPECT_EQ(d.strategy, "CANARY");
  EXPECT_EQ(d.lifecycle_stage, "PRE_SCALE_UP");
  EXPECT_EQ(d.alarms_status, "MONITORING");
  EXPECT_EQ(d.alarm_names, std::vector<std::string>{"web-5xx"});
  EXPECT_EQ(StackStatus(), "UPDATE_IN_PROGRESS");  // held while the deployment runs

  Advance(R"({"steps": 5})");
  d = Latest();
  EXPECT_EQ(d.lifecycle_stage, "PRODUCTION_TRAFFIC_SHIFT");
  EXPECT_EQ(d.production_traffic_percent, 10.0);
  Advance(R"({"minutes": 4})");  // the canary bakes 5 minutes
  EXPECT_EQ(Latest().production_traffic_percent, 10.0);
  Advance(R"({"minutes": 1})");
  EXPECT_EQ(Latest().production_traffic_percent, 100.0);
  EXPECT_EQ(StackStatus(), "UPDATE_IN_PROGRESS");

  Advance(R"({"minutes": 60})");
  d = Latest();
  EXPECT_EQ(d.status, "SUCCESSFUL");
  EXPECT_EQ(d.alarms_status, "MONITORING_COMPLETE");
  EXPECT_NE(d.finished_at, std::chrono::system_clock::time_point{});
  EXPECT_EQ(StackStatus(), "UPDATE_COMPLETE");
}

TEST_F(EcsDeployments, ANewImageAloneStartsADeployment) {
  Deploy(kCanary);
  Advance(R"({"minutes": 100})");
  ASSERT_EQ(StackStatus(), "UPDATE_COMPLETE");
  UpdateStackRequest update;
  update.name = "shop";
  update.template_body = Template("nginx:3", 2, kCanary);  // the task definition's change only
  ASSERT_TRUE(clients_.cloudformation->UpdateStack(update).ok());
  EXPECT_EQ(Latest().status, "IN_PROGRESS");
  EXPECT_EQ(StackStatus(), "UPDATE_IN_PROGRESS");
  Advance(R"({"minutes": 100})");
  EXPECT_EQ(StackStatus(), "UPDATE_COMPLETE");
}

TEST_F(EcsDeployments, AnAlarmRollsBackAndFailsTheStackUpdate) {
  Deploy(kCanary);
  Advance(R"({"steps": 5})");
  ASSERT_NE(
      moto_->Control("/moto-api/ecsync/ecs/alarm", R"({"name": "web-5xx", "state": "ALARM"})"), "");
  EcsServiceDeployment d = Latest();
  EXPECT_EQ(d.status, "ROLLBACK_IN_PROGRESS");
  EXPECT_EQ(d.alarms_status, "TRIGGERED");
  EXPECT_EQ(d.triggered_alarm_names, std::vector<std::string>{"web-5xx"});
  EXPECT_EQ(StackStatus(), "UPDATE_IN_PROGRESS");

  Advance(R"({"steps": 1})");
  d = Latest();
  EXPECT_EQ(d.status, "ROLLBACK_SUCCESSFUL");
  EXPECT_NE(d.status_reason.find("web-5xx"), std::string::npos) << d.status_reason;
  EXPECT_EQ(d.rollback_reason, d.status_reason);
  EXPECT_EQ(StackStatus(), "UPDATE_ROLLBACK_COMPLETE");

  auto events = clients_.cloudformation->DescribeStackEvents("shop");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  auto failed = std::find_if(events->begin(), events->end(), [](const StackEvent& e) {
    return e.logical_id == "Web" && e.status == "UPDATE_FAILED";
  });
  ASSERT_NE(failed, events->end());
  EXPECT_NE(failed->reason.find("web-5xx"), std::string::npos) << failed->reason;
}

TEST_F(EcsDeployments, APauseHookWaitsForContinue) {
  Deploy(kApproval);
  Advance(R"({"minutes": 100})");
  EcsServiceDeployment d = Latest();
  EXPECT_EQ(d.status, "IN_PROGRESS");
  EXPECT_EQ(d.lifecycle_stage, "POST_TEST_TRAFFIC_SHIFT");
  ASSERT_FALSE(d.paused_hook_id.empty());
  EXPECT_EQ(d.paused_hook_target_type, "PAUSE");
  EXPECT_EQ(StackStatus(), "UPDATE_IN_PROGRESS");

  auto wrong = clients_.ecs->ContinueServiceDeployment(d.arn, "no-such-hook", false);
  EXPECT_FALSE(wrong.ok());
  ASSERT_TRUE(clients_.ecs->ContinueServiceDeployment(d.arn, d.paused_hook_id, false).ok());
  d = Latest();
  EXPECT_EQ(d.lifecycle_stage, "PRODUCTION_TRAFFIC_SHIFT");
  EXPECT_TRUE(d.paused_hook_id.empty());
  Advance(R"({"minutes": 100})");
  EXPECT_EQ(Latest().status, "SUCCESSFUL");
  EXPECT_EQ(StackStatus(), "UPDATE_COMPLETE");
}

TEST_F(EcsDeployments, TheApproverRollsBack) {
  Deploy(kApproval);
  Advance(R"({"steps": 10})");
  EcsServiceDeployment d = Latest();
  ASSERT_FALSE(d.paused_hook_id.empty());
  ASSERT_TRUE(clients_.ecs->ContinueServiceDeployment(d.arn, d.paused_hook_id, true).ok());
  d = Latest();
  EXPECT_EQ(d.status, "ROLLBACK_SUCCESSFUL");
  EXPECT_NE(d.status_reason.find("approver"), std::string::npos) << d.status_reason;
  EXPECT_EQ(StackStatus(), "UPDATE_ROLLBACK_COMPLETE");
  // The service is back on the task definition it ran before.
  auto services = clients_.ecs->DescribeServices("shop", {"web"});
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  ASSERT_EQ(services->services.size(), 1u);
  EXPECT_NE(services->services[0].task_definition.find("web:1"), std::string::npos)
      << services->services[0].task_definition;
}

// The wrapper answers for ecsync's approval function: the parameter holding the target
// revision's ARN continues, "reject <ARN>" rolls back, anything else waits.
TEST_F(EcsDeployments, TheApprovalParameterContinuesOrRollsBack) {
  const std::string name = "/ecsync/shop/web/approval";
  ASSERT_TRUE(clients_.ssm->PutParameter(name, "none").ok());
  Deploy(kMarkedApproval);
  Advance(R"({"minutes": 100})");
  EcsServiceDeployment d = Latest();
  EXPECT_EQ(d.lifecycle_stage, "POST_TEST_TRAFFIC_SHIFT");
  ASSERT_FALSE(d.paused_hook_id.empty());
  // Someone else's revision, or a rejection of it, changes nothing.
  ASSERT_TRUE(clients_.ssm->PutParameter(name, "reject " + d.arn).ok());
  Advance(R"({"minutes": 100})");
  EXPECT_EQ(Latest().status, "IN_PROGRESS");
  EXPECT_EQ(StackStatus(), "UPDATE_IN_PROGRESS");

  ASSERT_TRUE(clients_.ssm->PutParameter(name, d.target_service_revision_arn).ok());
  Advance(R"({"minutes": 100})");
  EXPECT_EQ(Latest().status, "SUCCESSFUL");
  EXPECT_EQ(StackStatus(), "UPDATE_COMPLETE");

  // The next deployment waits again (the approval named the last revision), and is rejected.
  UpdateStackRequest update;
  update.name = "shop";
  update.template_body = Template("nginx:3", 2, kMarkedApproval);
  ASSERT_TRUE(clients_.cloudformation->UpdateStack(update).ok());
  Advance(R"({"minutes": 100})");
  d = Latest();
  ASSERT_EQ(d.status, "IN_PROGRESS");
  ASSERT_TRUE(clients_.ssm->PutParameter(name, "reject " + d.target_service_revision_arn).ok());
  // Seen by DescribeServiceDeployments as well as by the clock.
  d = Latest();
  EXPECT_EQ(d.status, "ROLLBACK_SUCCESSFUL");
  EXPECT_NE(d.status_reason.find("the approver rejected"), std::string::npos) << d.status_reason;
  EXPECT_EQ(StackStatus(), "UPDATE_ROLLBACK_COMPLETE");
}

TEST_F(EcsDeployments, StopWithRollbackRollsBack) {
  Deploy(kCanary);
  EcsServiceDeployment d = Latest();
  ASSERT_TRUE(clients_.ecs->StopServiceDeployment(d.arn, true).ok());
  EXPECT_EQ(Latest().status, "ROLLBACK_SUCCESSFUL");
  EXPECT_EQ(StackStatus(), "UPDATE_ROLLBACK_COMPLETE");
}

TEST_F(EcsDeployments, RollingCompletesAtOnceAndUnknownArnsAreFailures) {
  Deploy(kRolling);
  EXPECT_EQ(WaitForStack("shop"), "UPDATE_COMPLETE");
  EcsServiceDeployment d = Latest();
  EXPECT_EQ(d.status, "SUCCESSFUL");
  EXPECT_EQ(d.alarms_status, "DISABLED");

  // A service made through the ECS API gets its deployment too.
  ASSERT_NE(moto_->Aws({"ecs", "create-service", "--cluster", "shop", "--service-name", "api",
                        "--task-definition", "web", "--desired-count", "1"}),
            "");
  auto briefs = clients_.ecs->ListServiceDeployments("shop", "api");
  ASSERT_TRUE(briefs.ok()) << briefs.status().ToString();
  ASSERT_EQ(briefs->size(), 1u);
  EXPECT_EQ((*briefs)[0].status, "SUCCESSFUL");

  auto described = clients_.ecs->DescribeServiceDeployments({d.arn, d.arn + "-missing"});
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->deployments.size(), 1u);
  ASSERT_EQ(described->failures.size(), 1u);
  EXPECT_EQ(described->failures[0].reason, "MISSING");

  auto missing = clients_.ecs->StopServiceDeployment(d.arn + "-missing", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.kind(), base::ErrorKind::kNotFound) << missing.ToString();
}

}  // namespace
}  // namespace ecsync::aws
