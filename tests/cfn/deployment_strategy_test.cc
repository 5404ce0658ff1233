// x-aws-deployment: the ECS service's deployment strategy and what it needs around it (the
// alternate target group, listener rules, the role ECS assumes, hooks, the approval hook),
// validation errors naming the file and line, and upgrade safety: a service without the
// extension, or with strategy rolling, keeps its logical IDs and what forces a replacement.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "cfn/nested.h"
#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::Port;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::Service;

// The issue's web service: HTTPS on the load balancer (published 443, app_protocol http)
// to the container's 8080.
compose::Service Web(ordered_json deployment) {
  compose::PortMapping port = Port(8080);
  port.published = 443;
  port.app_protocol = "http";
  compose::Service web = Service("web", "ghcr.io/acme/web:1.4", {port});
  if (!deployment.is_null()) web.extensions = {{"x-aws-deployment", std::move(deployment)}};
  return web;
}

const ordered_json& Deployment(const ordered_json& tmpl) {
  return Props(tmpl, "WebService").at("DeploymentConfiguration");
}

TEST(DeploymentStrategy, RollingNamesTheStrategyAndKeepsTheCircuitBreaker) {
  ordered_json tmpl = ConvertOk(Project("p", {Web({{"strategy", "rolling"}})}));
  EXPECT_EQ(Deployment(tmpl),
            (ordered_json{{"DeploymentCircuitBreaker", {{"Enable", true}, {"Rollback", true}}},
                          {"MaximumPercent", 200},
                          {"MinimumHealthyPercent", 100},
                          {"Strategy", "ROLLING"}}));
  // Rolling moves no traffic between target groups: nothing else is added.
  EXPECT_FALSE(tmpl["Resources"].contains("WebTCP8080AlternateTargetGroup"));
  EXPECT_FALSE(tmpl["Resources"].contains("WebDeploymentRole"));
  EXPECT_FALSE(Props(tmpl, "WebService")["LoadBalancers"][0].contains("AdvancedConfiguration"));
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, BlueGreenAddsAlternateGroupRulesAndRole) {
  ordered_json tmpl =
      ConvertOk(Project("p", {Web({{"strategy", "blue_green"}, {"bake_minutes", 15}})}));
  EXPECT_EQ(Deployment(tmpl),
            (ordered_json{{"BakeTimeInMinutes", 15},
                          {"DeploymentCircuitBreaker", {{"Enable", true}, {"Rollback", true}}},
                          {"MaximumPercent", 200},
                          {"MinimumHealthyPercent", 100},
                          {"Strategy", "BLUE_GREEN"}}));
  EXPECT_EQ(Props(tmpl, "WebService")["DeploymentController"], (ordered_json{{"Type", "ECS"}}));
  // The alternate group is the primary's twin.
  EXPECT_EQ(Props(tmpl, "WebTCP8080AlternateTargetGroup"), Props(tmpl, "WebTCP8080TargetGroup"));
  const ordered_json forward = {
      {"ForwardConfig",
       {{"TargetGroups",
         {{{"TargetGroupArn", RefTo("WebTCP8080TargetGroup")}, {"Weight", 100}},
          {{"TargetGroupArn", RefTo("WebTCP8080AlternateTargetGroup")}, {"Weight", 0}}}}}},
      {"Type", "forward"}};
  const ordered_json& production = Props(tmpl, "WebTCP443ProductionRule");
  EXPECT_EQ(production["Actions"], ordered_json::array({forward}));
  EXPECT_EQ(production["ListenerArn"], RefTo("WebTCP443Listener"));
  EXPECT_EQ(production["Conditions"][0]["PathPatternConfig"]["Values"],
            ordered_json::array({"/*"}));
  const ordered_json& test = Props(tmpl, "WebTCP443TestRule");
  EXPECT_EQ(test["Actions"], ordered_json::array({forward}));
  EXPECT_EQ(test["Conditions"][0]["HttpHeaderConfig"],
            (ordered_json{{"HttpHeaderName", "X-Ecsync-Test"}, {"Values", {"true"}}}));
  EXPECT_LT(test["Priority"], production["Priority"]);  // the header match is tried first
  // The listener itself is as before: its default action forwards to the primary group.
  EXPECT_EQ(Props(tmpl, "WebTCP443Listener")["DefaultActions"][0]["TargetGroupArn"],
            RefTo("WebTCP8080TargetGroup"));
  EXPECT_EQ(Props(tmpl, "WebService")["LoadBalancers"][0]["AdvancedConfiguration"],
            (ordered_json{{"AlternateTargetGroupArn", RefTo("WebTCP8080AlternateTargetGroup")},
                          {"ProductionListenerRule", RefTo("WebTCP443ProductionRule")},
                          {"RoleArn", {{"Fn::GetAtt", {"WebDeploymentRole", "Arn"}}}},
                          {"TestListenerRule", RefTo("WebTCP443TestRule")}}));
  const ordered_json& role = Props(tmpl, "WebDeploymentRole");
  EXPECT_EQ(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "ecs.amazonaws.com");
  EXPECT_EQ(role["ManagedPolicyArns"],
            ordered_json::array(
                {"arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}));
  // The service waits for the rules that attach the alternate group.
  const ordered_json& depends = testing::ResourceIn(tmpl, "WebService")["DependsOn"];
  EXPECT_NE(std::find(depends.begin(), depends.end(), "WebTCP443ProductionRule"), depends.end());
  EXPECT_NE(std::find(depends.begin(), depends.end(), "WebTCP443TestRule"), depends.end());
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, BlueGreenWithoutLoadBalancerOnlySetsTheStrategy) {
  compose::Service worker = Service("worker", "busybox");
  worker.extensions = {{"x-aws-deployment", {{"strategy", "blue_green"}}}};
  ordered_json tmpl = ConvertOk(Project("p", {worker}));
  EXPECT_EQ(Props(tmpl, "WorkerService")["DeploymentConfiguration"]["Strategy"], "BLUE_GREEN");
  EXPECT_FALSE(tmpl["Resources"].contains("WorkerDeploymentRole"));
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, CanaryStepAndNoCircuitBreaker) {
  ordered_json tmpl = ConvertOk(Project(
      "p", {Web({{"strategy", "canary"}, {"canary", {{"percent", 10}, {"bake_minutes", 5}}}})}));
  EXPECT_EQ(Deployment(tmpl)["CanaryConfiguration"],
            (ordered_json{{"CanaryBakeTimeInMinutes", 5}, {"CanaryPercent", 10}}));
  EXPECT_EQ(Deployment(tmpl)["Strategy"], "CANARY");
  // ECS's circuit breaker watches rolling and blue/green deployments only.
  EXPECT_FALSE(Deployment(tmpl).contains("DeploymentCircuitBreaker"));
  EXPECT_TRUE(tmpl["Resources"].contains("WebTCP443ProductionRule"));
  ExpectLintClean(tmpl);
  // Fractions of a percent, in tenths.
  tmpl = ConvertOk(Project("p", {Web({{"strategy", "canary"}, {"canary", {{"percent", "2.5"}}}})}));
  EXPECT_EQ(Deployment(tmpl)["CanaryConfiguration"], (ordered_json{{"CanaryPercent", 2.5}}));
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, LinearStep) {
  ordered_json tmpl = ConvertOk(Project(
      "p", {Web({{"strategy", "linear"}, {"linear", {{"percent", 20}, {"bake_minutes", 3}}}})}));
  EXPECT_EQ(Deployment(tmpl)["LinearConfiguration"],
            (ordered_json{{"StepBakeTimeInMinutes", 3}, {"StepPercent", 20}}));
  EXPECT_EQ(Deployment(tmpl)["Strategy"], "LINEAR");
  EXPECT_FALSE(Deployment(tmpl).contains("DeploymentCircuitBreaker"));
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, AlarmsRollBack) {
  ordered_json tmpl = ConvertOk(Project("p", {Web({{"alarms", {"web-5xx", "web-latency"}}})}));
  EXPECT_EQ(Deployment(tmpl)["Alarms"],
            (ordered_json{
                {"AlarmNames", {"web-5xx", "web-latency"}}, {"Enable", true}, {"Rollback", true}}));
  EXPECT_EQ(Deployment(tmpl)["Strategy"], "ROLLING");
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, LambdaHooksWithTheRoleToInvokeThem) {
  const std::string function = "arn:aws:lambda:eu-west-1:123456789012:function:smoke-test";
  ordered_json tmpl =
      ConvertOk(Project("p", {Web({{"strategy", "blue_green"},
                                   {"hooks",
                                    {{{"function", function},
                                      {"stages", {"POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"}},
                                      {"details", {{"path", "/health"}}}}}}})}));
  EXPECT_EQ(Deployment(tmpl)["LifecycleHooks"],
            ordered_json::array({{{"HookDetails", "{\"path\":\"/health\"}"},
                                  {"HookTargetArn", function},
                                  {"LifecycleStages", {"POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"}},
                                  {"RoleArn", {{"Fn::GetAtt", {"WebDeploymentRole", "Arn"}}}}}}));
  const ordered_json& statement =
      Props(tmpl, "WebDeploymentRole")["Policies"][0]["PolicyDocument"]["Statement"][0];
  EXPECT_EQ(statement["Action"], ordered_json::array({"lambda:InvokeFunction"}));
  EXPECT_EQ(statement["Resource"], ordered_json::array({function}));
  ExpectLintClean(tmpl);
}

TEST(DeploymentStrategy, ManualApprovalHoldsBeforeProductionTraffic) {
  ordered_json tmpl =
      ConvertOk(Project("p", {Web({{"strategy", "canary"}, {"approval", "manual"}})}));
  const ordered_json& hook = Deployment(tmpl)["LifecycleHooks"][0];
  EXPECT_EQ(hook["HookTargetArn"], (ordered_json{{"Fn::GetAtt", {"WebApprovalFunction", "Arn"}}}));
  EXPECT_EQ(hook["LifecycleStages"], ordered_json::array({"POST_TEST_TRAFFIC_SHIFT"}));
  // The marker `ecsync approve` and the test doubles know the hook by, naming its parameter.
  EXPECT_EQ(hook["HookDetails"], (ordered_json{{"Fn::Sub",
                                                {R"({"ecsync":"approval","parameter":"${Name}"})",
                                                 {{"Name", {{"Ref", "WebApprovalParameter"}}}}}}}));
  // The parameter the approval is written to, per stack and service.
  EXPECT_EQ(Props(tmpl, "WebApprovalParameter")["Name"],
            (ordered_json{{"Fn::Sub", "/ecsync/${AWS::StackName}/web/approval"}}));
  const ordered_json& function = Props(tmpl, "WebApprovalFunction");
  EXPECT_EQ(function["Environment"]["Variables"]["APPROVAL_PARAMETER"],
            RefTo("WebApprovalParameter"));
  const std::string code = function["Code"]["ZipFile"];
  EXPECT_NE(code.find("\"IN_PROGRESS\""), std::string::npos);
  EXPECT_NE(code.find("targetServiceRevisionArn"), std::string::npos);
  // ECS may invoke it; it may read only its parameter.
  EXPECT_EQ(
      Props(tmpl, "WebDeploymentRole")["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
      ordered_json::array({{{"Fn::GetAtt", {"WebApprovalFunction", "Arn"}}}}));
  EXPECT_EQ(
      Props(tmpl,
            "WebApprovalFunctionRole")["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"],
      ordered_json::array({"ssm:GetParameter"}));
  ExpectLintClean(tmpl);
}

// Split into nested stacks, the approval parameter stays in the parent (its name made with
// the root stack's name, as documented) and the function's role in the child reads it through
// its own name, not through the child's AWS::StackName.
TEST(DeploymentStrategy, ApprovalSurvivesTheNestedStackSplit) {
  compose::Service worker = Service("worker", "busybox");
  ordered_json tmpl =
      ConvertOk(Project("p", {Web({{"strategy", "blue_green"}, {"approval", "manual"}}), worker}));
  StackLimits limits;
  limits.max_resources = 20;
  base::Result<NestedTemplates> split = SplitIntoNestedStacks(
      tmpl, [](size_t n, const std::string&) { return "https://b/" + std::to_string(n); }, limits);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  ASSERT_FALSE(split->children.empty());
  EXPECT_TRUE(split->parent["Resources"].contains("WebApprovalParameter"));
  bool found = false;
  for (const ChildStack& child : split->children) {
    if (!child.tmpl["Resources"].contains("WebApprovalFunctionRole")) continue;
    found = true;
    const std::string role = child.tmpl["Resources"]["WebApprovalFunctionRole"].dump();
    EXPECT_EQ(role.find("AWS::StackName"), std::string::npos) << role;
    EXPECT_NE(role.find("WebApprovalParameter"), std::string::npos) << role;
  }
  for (const ChildStack& child : split->children) {
    if (!child.tmpl["Resources"].contains("WebService")) continue;
    const std::string details =
        child
            .tmpl["Resources"]["WebService"]["Properties"]["DeploymentConfiguration"]
                 ["LifecycleHooks"][0]["HookDetails"]
            .dump();
    EXPECT_EQ(details.find("AWS::StackName"), std::string::npos) << details;
    EXPECT_NE(details.find("WebApprovalParameter"), std::string::npos) << details;
  }
  EXPECT_TRUE(found);
}

// Each error names the service's file and line and the key at fault.
TEST(DeploymentStrategy, ValidationErrorsNameFileLineAndKey) {
  struct Case {
    ordered_json deployment;
    std::string key;
  };
  const Case cases[] = {
      {{{"strategy", "big_bang"}}, "x-aws-deployment.strategy"},
      {{{"strategy", "canary"}, {"canary", {{"percent", 0}}}}, "x-aws-deployment.canary.percent"},
      {{{"strategy", "canary"}, {"canary", {{"percent", 10.25}}}},
       "x-aws-deployment.canary.percent"},
      {{{"strategy", "linear"}, {"linear", {{"percent", 2}}}}, "x-aws-deployment.linear.percent"},
      {{{"strategy", "linear"}, {"linear", {{"percent", 101}}}}, "x-aws-deployment.linear.percent"},
      {{{"strategy", "blue_green"}, {"bake_minutes", 1441}}, "x-aws-deployment.bake_minutes"},
      {{{"strategy", "blue_green"}, {"bake_minutes", -1}}, "x-aws-deployment.bake_minutes"},
      {{{"strategy", "canary"}, {"canary", {{"bake_minutes", 2000}}}},
       "x-aws-deployment.canary.bake_minutes"},
      {{{"strategy", "canary"}, {"approval", "automatic"}}, "x-aws-deployment.approval"},
      {{{"approval", "manual"}}, "x-aws-deployment.approval"},  // rolling has no stage for it
      {{{"bake_minutes", 5}}, "x-aws-deployment.bake_minutes"},
      {{{"strategy", "linear"}, {"canary", {{"percent", 10}}}}, "x-aws-deployment.canary"},
      {{{"strategy", "blue_green"}, {"hooks", {{{"function", "smoke-test"}, {"stages", {"X"}}}}}},
       "x-aws-deployment.hooks[0].function"},
      {{{"strategy", "blue_green"},
        {"hooks",
         {{{"function", "arn:aws:lambda:eu-west-1:123456789012:function:f"},
           {"stages", {"BAKE_TIME"}}}}}},
       "x-aws-deployment.hooks[0].stages"},
      {{{"strategy", "blue_green"}, {"bake_minute", 5}}, "x-aws-deployment has the unknown key"},
      {{{"alarms", {""}}}, "x-aws-deployment.alarms"},
  };
  for (const Case& c : cases) {
    const std::string error = ConvertError(Project("p", {Web(c.deployment)}));
    EXPECT_NE(error.find("service \"web\" (compose.yaml:2:3): " + c.key), std::string::npos)
        << c.deployment.dump() << " -> " << error;
  }
}

// Behind a network load balancer ECS moves the weights of the listener's own forward action
// (its ARN stands for the production rule), for blue/green, linear and canary alike.
TEST(DeploymentStrategy, NetworkLoadBalancerShiftsTheListenersOwnAction) {
  for (const char* strategy : {"blue_green", "canary"}) {
    compose::Service dns = Service("dns", "coredns/coredns", {Port(53)});
    dns.extensions = {{"x-aws-deployment", {{"strategy", strategy}}}};
    const ordered_json tmpl = ConvertOk(Project("p", {dns}));
    ASSERT_EQ(Props(tmpl, "LoadBalancer")["Type"], "network");
    EXPECT_EQ(Props(tmpl, "DnsTCP53AlternateTargetGroup"), Props(tmpl, "DnsTCP53TargetGroup"));
    EXPECT_EQ(
        Props(tmpl, "DnsTCP53Listener")["DefaultActions"],
        ordered_json::array(
            {{{"ForwardConfig",
               {{"TargetGroups",
                 {{{"TargetGroupArn", RefTo("DnsTCP53TargetGroup")}, {"Weight", 100}},
                  {{"TargetGroupArn", RefTo("DnsTCP53AlternateTargetGroup")}, {"Weight", 0}}}}}},
              {"Type", "forward"}}}));
    EXPECT_EQ(Props(tmpl, "DnsService")["LoadBalancers"][0]["AdvancedConfiguration"],
              (ordered_json{{"AlternateTargetGroupArn", RefTo("DnsTCP53AlternateTargetGroup")},
                            {"ProductionListenerRule", RefTo("DnsTCP53Listener")},
                            {"RoleArn", {{"Fn::GetAtt", {"DnsDeploymentRole", "Arn"}}}}}))
        << strategy;
    for (auto it = tmpl["Resources"].begin(); it != tmpl["Resources"].end(); ++it) {
      EXPECT_NE(it.value()["Type"], "AWS::ElasticLoadBalancingV2::ListenerRule") << it.key();
    }
    EXPECT_EQ(Props(tmpl, "DnsDeploymentRole")["ManagedPolicyArns"],
              ordered_json::array(
                  {"arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}));
    ExpectLintClean(tmpl);
  }
}

TEST(DeploymentStrategy, StrategiesThatNeedALoadBalancer) {
  // Linear and canary move load balancer traffic: a service without a listener cannot.
  compose::Service worker = Service("worker", "busybox");
  worker.extensions = {{"x-aws-deployment", {{"strategy", "linear"}}}};
  std::string error = ConvertError(Project("p", {worker}));
  EXPECT_NE(error.find("service \"worker\" (compose.yaml:2:3): x-aws-deployment.strategy linear"),
            std::string::npos)
      << error;
  // One container port behind two listeners would leave one listener unshifted.
  compose::Service web = Web({{"strategy", "blue_green"}});
  compose::PortMapping second = Port(8080);
  second.published = 8443;
  second.app_protocol = "http";
  web.ports.push_back(second);
  error = ConvertError(Project("p", {web}));
  EXPECT_NE(error.find("several listeners"), std::string::npos) << error;
}

// Upgrade safety. A stack deployed before x-aws-deployment existed must update in place:
// the resources keep their logical IDs, and none of the AWS::ECS::Service properties whose
// change replaces the service (CloudFormation's createOnlyProperties for the type: Cluster,
// Role, SchedulingStrategy, ServiceName; LaunchType, conditionally; and the
// DeploymentController ecsync keeps at ECS) differ. `strategy: rolling` changes only
// DeploymentConfiguration (an in-place update); other strategies add resources beside the
// existing ones and change no existing resource but the service and nothing that replaces it.
TEST(DeploymentStrategy, ExplicitStrategiesKeepIdsAndReplacementProperties) {
  const ordered_json before = ConvertOk(Project("p", {Web(nullptr)}));
  const char* replacing[] = {"Cluster",     "Role",       "SchedulingStrategy",
                             "ServiceName", "LaunchType", "DeploymentController"};
  auto ids = [](const ordered_json& tmpl) {
    std::set<std::string> out;
    for (auto it = tmpl["Resources"].begin(); it != tmpl["Resources"].end(); ++it) {
      out.insert(it.key());
    }
    return out;
  };
  const ordered_json rolling = ConvertOk(Project("p", {Web({{"strategy", "rolling"}})}));
  EXPECT_EQ(ids(rolling), ids(before));
  for (auto it = before["Resources"].begin(); it != before["Resources"].end(); ++it) {
    if (it.key() == "WebService") continue;
    EXPECT_EQ(rolling["Resources"][it.key()], it.value()) << it.key();
  }
  ordered_json service_rolling = Props(rolling, "WebService");
  ordered_json service_before = Props(before, "WebService");
  service_rolling.erase("DeploymentConfiguration");
  service_before.erase("DeploymentConfiguration");
  EXPECT_EQ(service_rolling, service_before);

  for (const char* strategy : {"blue_green", "linear", "canary"}) {
    const ordered_json shifted = ConvertOk(Project("p", {Web({{"strategy", strategy}})}));
    for (auto it = before["Resources"].begin(); it != before["Resources"].end(); ++it) {
      ASSERT_TRUE(shifted["Resources"].contains(it.key())) << strategy << " " << it.key();
      if (it.key() == "WebService") continue;
      EXPECT_EQ(shifted["Resources"][it.key()], it.value()) << strategy << " " << it.key();
    }
    for (const char* property : replacing) {
      EXPECT_EQ(Props(shifted, "WebService").value(property, ordered_json()),
                Props(before, "WebService").value(property, ordered_json()))
          << strategy << " " << property;
    }
  }
}

}  // namespace
}  // namespace ecsync::cfn
