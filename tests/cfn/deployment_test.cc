// The ECS service's deployment and placement: circuit breaker, grace period, rolling-update
// percentages, ECS Exec, ARM64, ephemeral storage, FARGATE_SPOT, subnets and public IPs,
// and the project-level x-aws-* extensions (cluster, VPC, load balancer, log retention).

#include <chrono>

#include <gtest/gtest.h>

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

TEST(Deployment, CircuitBreakerWithRollbackByDefaultAndOptOut) {
  compose::Service web = Service("web", "nginx");
  ordered_json tmpl = ConvertOk(Project("p", {web}));
  EXPECT_EQ(Props(tmpl, "WebService")["DeploymentConfiguration"]["DeploymentCircuitBreaker"],
            (ordered_json{{"Enable", true}, {"Rollback", true}}));
  web.extensions = {{"x-ecsync-circuit_breaker", false}};
  tmpl = ConvertOk(Project("p", {web}));
  EXPECT_FALSE(
      Props(tmpl, "WebService")["DeploymentConfiguration"].contains("DeploymentCircuitBreaker"));
}

TEST(Deployment, HealthCheckGracePeriodOnlyBehindTheLoadBalancer) {
  compose::Service web = Service("web", "nginx", {Port(80)});
  compose::Service worker = Service("worker", "busybox");
  ConvertOptions options = testing::RealisticNetwork();
  options.health_check_grace_period_seconds = 90;
  ordered_json tmpl = ConvertOk(Project("p", {web, worker}), options);
  EXPECT_EQ(Props(tmpl, "WebService")["HealthCheckGracePeriodSeconds"], 90);
  EXPECT_FALSE(Props(tmpl, "WorkerService").contains("HealthCheckGracePeriodSeconds"));
  web.extensions = {{"x-ecsync-health_check_grace_period", 300}};
  tmpl = ConvertOk(Project("p", {web, worker}), options);
  EXPECT_EQ(Props(tmpl, "WebService")["HealthCheckGracePeriodSeconds"], 300);
  ExpectLintClean(tmpl);
}

TEST(Deployment, GracePeriodCoversTheHealthcheckStartPeriod) {
  using namespace std::chrono_literals;
  compose::Service web = Service("web", "example/web", {Port(80)});
  web.healthcheck = compose::Healthcheck{};
  web.healthcheck->test = {"CMD", "curl", "-f", "http://localhost/"};
  auto grace = [](const compose::Service& service) {
    return Props(ConvertOk(Project("p", {service})), "WebService")["HealthCheckGracePeriodSeconds"];
  };
  // No start period: the default (60s).
  EXPECT_EQ(grace(web), 60);
  // A longer start period, rounded up to whole seconds.
  web.healthcheck->start_period = 150500ms;
  ordered_json tmpl = ConvertOk(Project("p", {web}));
  EXPECT_EQ(Props(tmpl, "WebService")["HealthCheckGracePeriodSeconds"], 151);
  ExpectLintClean(tmpl);
  // Beyond the 300s ECS takes as a container start period, the grace period still covers it.
  web.healthcheck->start_period = 10min;
  EXPECT_EQ(grace(web), 600);
  // A shorter one keeps the default.
  web.healthcheck->start_period = 20s;
  EXPECT_EQ(grace(web), 60);
  // ... and a larger default stays.
  web.healthcheck->start_period = 90s;
  ConvertOptions options = testing::RealisticNetwork();
  options.health_check_grace_period_seconds = 120;
  EXPECT_EQ(
      Props(ConvertOk(Project("p", {web}), options), "WebService")["HealthCheckGracePeriodSeconds"],
      120);
  // The extension wins.
  web.extensions = {{"x-ecsync-health_check_grace_period", 30}};
  EXPECT_EQ(grace(web), 30);
  web.extensions = nullptr;
  // A disabled healthcheck's start period does not count.
  web.healthcheck->disable = true;
  EXPECT_EQ(grace(web), 60);
  // Off the load balancer there is no grace period at all.
  compose::Service worker = Service("worker", "busybox");
  worker.healthcheck = web.healthcheck;
  worker.healthcheck->disable = false;
  tmpl = ConvertOk(Project("p", {worker}));
  EXPECT_FALSE(Props(tmpl, "WorkerService").contains("HealthCheckGracePeriodSeconds"));
}

TEST(Deployment, RollingUpdatePercents) {
  compose::Service api = Service("api", "example/api");
  api.replicas = 4;
  api.deploy = compose::Deploy{};
  api.deploy->update_config = compose::UpdateConfig{};
  api.deploy->update_config->parallelism = 1;
  ordered_json tmpl = ConvertOk(Project("p", {api}));
  EXPECT_EQ(Props(tmpl, "ApiService")["DeploymentConfiguration"]["MaximumPercent"], 125);
  EXPECT_EQ(Props(tmpl, "ApiService")["DeploymentConfiguration"]["MinimumHealthyPercent"], 100);
  api.deploy->update_config->order = "stop-first";
  tmpl = ConvertOk(Project("p", {api}));
  EXPECT_EQ(Props(tmpl, "ApiService")["DeploymentConfiguration"]["MaximumPercent"], 100);
  EXPECT_EQ(Props(tmpl, "ApiService")["DeploymentConfiguration"]["MinimumHealthyPercent"], 75);
  // Docker's extensions win.
  api.extensions = {{"x-aws-min_percent", 50}, {"x-aws-max_percent", 150}};
  tmpl = ConvertOk(Project("p", {api}));
  EXPECT_EQ(Props(tmpl, "ApiService")["DeploymentConfiguration"]["MaximumPercent"], 150);
  EXPECT_EQ(Props(tmpl, "ApiService")["DeploymentConfiguration"]["MinimumHealthyPercent"], 50);
  ExpectLintClean(tmpl);
  api.extensions = {{"x-aws-max_percent", 250}};
  EXPECT_NE(ConvertError(Project("p", {api})).find("x-aws-max_percent"), std::string::npos);
}

TEST(Deployment, ExecArmEphemeralStorage) {
  compose::Service tool = Service("tool", "example/tool");
  tool.platform = "linux/arm64";
  tool.extensions = {{"x-ecsync-exec", true}, {"x-ecsync-ephemeral_storage", 50}};
  ordered_json tmpl = ConvertOk(Project("p", {tool}));
  EXPECT_EQ(Props(tmpl, "ToolService")["EnableExecuteCommand"], true);
  const ordered_json& task = Props(tmpl, "ToolTaskDefinition");
  EXPECT_EQ(task["RuntimePlatform"]["CpuArchitecture"], "ARM64");
  EXPECT_EQ(task["EphemeralStorage"]["SizeInGiB"], 50);
  EXPECT_EQ(task["TaskRoleArn"], (ordered_json{{"Fn::GetAtt", {"ToolTaskRole", "Arn"}}}));
  const std::string role = Props(tmpl, "ToolTaskRole").dump();
  EXPECT_NE(role.find("ssmmessages:CreateControlChannel"), std::string::npos);
  ExpectLintClean(tmpl);

  tool.platform = "wasi/wasm";
  EXPECT_NE(ConvertError(Project("p", {tool})).find("platform"), std::string::npos);
}

TEST(Deployment, FargateSpotFromExtensionOrPlacement) {
  compose::Service batch = Service("batch", "example/batch");
  batch.deploy = compose::Deploy{};
  batch.deploy->placement.constraints = {"node.lifecycle == spot"};
  ordered_json tmpl = ConvertOk(Project("p", {batch}));
  const ordered_json& service = Props(tmpl, "BatchService");
  EXPECT_FALSE(service.contains("LaunchType"));
  EXPECT_EQ(service["CapacityProviderStrategy"],
            (ordered_json{{{"CapacityProvider", "FARGATE_SPOT"}, {"Weight", 1}}}));
  EXPECT_EQ(Props(tmpl, "CapacityProviderAssociations")["CapacityProviders"],
            (ordered_json{"FARGATE_SPOT"}));
  ExpectLintClean(tmpl);

  compose::Service web = Service("web", "nginx");
  web.extensions = {{"x-ecsync-capacity_providers",
                     {{{"provider", "FARGATE"}, {"base", 1}, {"weight", 1}},
                      {{"provider", "FARGATE_SPOT"}, {"weight", 3}}}}};
  tmpl = ConvertOk(Project("p", {web}));
  EXPECT_EQ(Props(tmpl, "WebService")["CapacityProviderStrategy"][0]["Base"], 1);
  EXPECT_EQ(Props(tmpl, "CapacityProviderAssociations")["CapacityProviders"],
            (ordered_json{"FARGATE", "FARGATE_SPOT"}));
  EXPECT_EQ(tmpl["Resources"]["WebService"]["DependsOn"],
            (ordered_json{"CapacityProviderAssociations"}));
  ExpectLintClean(tmpl);
}

TEST(Deployment, PrivateSubnetsForTasksPublicOnesForTheLoadBalancer) {
  ConvertOptions options = testing::RealisticNetwork();
  options.public_subnet_ids = {"subnet-0000aaaa", "subnet-1111bbbb"};
  ordered_json tmpl = ConvertOk(Project("p", {Service("web", "nginx", {Port(80)})}), options);
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Subnets"],
            (ordered_json{"subnet-0000aaaa", "subnet-1111bbbb"}));
  const ordered_json& awsvpc =
      Props(tmpl, "WebService")["NetworkConfiguration"]["AwsvpcConfiguration"];
  EXPECT_EQ(awsvpc["Subnets"], (ordered_json{"subnet-0123abcd", "subnet-4567ef01"}));
  EXPECT_EQ(awsvpc["AssignPublicIp"], "DISABLED");
  ExpectLintClean(tmpl);

  // The compose file can say the same, and wins.
  compose::Project project = Project("p", {Service("web", "nginx", {Port(80)})});
  project.extensions = {{"x-ecsync-subnets", {"subnet-2222cccc", "subnet-3333dddd"}},
                        {"x-ecsync-assign_public_ip", true}};
  tmpl = ConvertOk(project);
  const ordered_json& own =
      Props(tmpl, "WebService")["NetworkConfiguration"]["AwsvpcConfiguration"];
  EXPECT_EQ(own["Subnets"], (ordered_json{"subnet-2222cccc", "subnet-3333dddd"}));
  EXPECT_EQ(own["AssignPublicIp"], "ENABLED");
}

TEST(Deployment, ExistingClusterVpcAndLoadBalancer) {
  compose::Project project = Project("p", {Service("web", "nginx", {Port(80)})});
  const std::string lb =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shared/"
      "0123456789abcdef";
  project.extensions = {{"x-aws-cluster", "shared-cluster"},
                        {"x-aws-vpc", "vpc-0fedcba9"},
                        {"x-aws-loadbalancer", lb},
                        {"x-aws-logs_retention", 10}};
  ConvertOptions options = testing::RealisticNetwork();
  ordered_json tmpl = ConvertOk(project, options);
  EXPECT_FALSE(tmpl["Resources"].contains("Cluster"));
  EXPECT_FALSE(tmpl["Resources"].contains("LoadBalancer"));
  EXPECT_EQ(Props(tmpl, "WebService")["Cluster"], "shared-cluster");
  EXPECT_EQ(Props(tmpl, "WebTCP80Listener")["LoadBalancerArn"], lb);
  EXPECT_EQ(Props(tmpl, "DefaultNetwork")["VpcId"], "vpc-0fedcba9");
  EXPECT_EQ(Props(tmpl, "LogGroup")["RetentionInDays"], 14);  // 10 rounded up to a valid value
  // The options' subnets belong to another VPC: the template asks for this VPC's.
  EXPECT_EQ(Props(tmpl, "WebService")["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
            RefTo("SubnetIds"));
  EXPECT_EQ(*RequestedVpc(project), "vpc-0fedcba9");
  ExpectLintClean(tmpl);

  project.extensions = {{"x-aws-loadbalancer", "my-lb"}};
  EXPECT_NE(ConvertError(project).find("is a name"), std::string::npos);
  project.extensions = {{"x-aws-vpc", "default"}};
  EXPECT_NE(ConvertError(project).find("x-aws-vpc"), std::string::npos);
}

// The existing load balancer's type decides the listeners, whatever the ports suggest.
TEST(Deployment, ExistingLoadBalancerTypeDecidesTheListeners) {
  const std::string net_arn =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/shared/"
      "0123456789abcdef";
  compose::Project project = Project("p", {Service("web", "nginx", {Port(80)})});
  project.extensions = {{"x-aws-loadbalancer", net_arn}};
  ordered_json tmpl = ConvertOk(project, testing::RealisticNetwork());
  EXPECT_EQ(Props(tmpl, "WebTCP80Listener")["Protocol"], "TCP");
  EXPECT_EQ(Props(tmpl, "WebTCP80TargetGroup")["Protocol"], "TCP");
  ExpectLintClean(tmpl);

  // By name: the reconciler's lookup supplies ARN and type.
  project.extensions = {{"x-aws-loadbalancer", "shared-alb"}};
  project.services[0].ports = {Port(8080)};
  ConvertOptions options = testing::RealisticNetwork();
  const std::string app_arn =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shared-alb/"
      "0123456789abcdef";
  options.load_balancer = ExistingLoadBalancer{app_arn, "application"};
  tmpl = ConvertOk(project, options);
  EXPECT_EQ(Props(tmpl, "WebTCP8080Listener")["LoadBalancerArn"], app_arn);
  EXPECT_EQ(Props(tmpl, "WebTCP8080Listener")["Protocol"], "HTTP");
  EXPECT_FALSE(tmpl["Resources"].contains("LoadBalancer"));
  ExpectLintClean(tmpl);

  // An application load balancer cannot carry UDP.
  project.services[0].ports = {Port(53, "udp")};
  std::string message = ConvertError(project, options);
  EXPECT_NE(message.find("speaks HTTP only"), std::string::npos) << message;
  // A gateway load balancer, or an ARN of something else, is refused.
  project.services[0].ports = {Port(80)};
  project.extensions = {{"x-aws-loadbalancer",
                         "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/"
                         "g/0123456789abcdef"}};
  EXPECT_NE(ConvertError(project).find("gateway"), std::string::npos);
  project.extensions = {{"x-aws-loadbalancer", "arn:aws:s3:::bucket"}};
  EXPECT_NE(ConvertError(project).find("not an Elastic Load Balancing"), std::string::npos);
}

TEST(Deployment, UnchangedServiceKeepsAByteIdenticalTaskDefinition) {
  compose::Service web = Service("web", "nginx:1", {Port(80)});
  compose::Service api = Service("api", "example/api:1");
  ordered_json before = ConvertOk(Project("p", {web, api}));
  api.image = "example/api:2";
  ordered_json after = ConvertOk(Project("p", {web, api}));
  EXPECT_EQ(Props(before, "WebTaskDefinition").dump(), Props(after, "WebTaskDefinition").dump());
  EXPECT_EQ(Props(before, "WebService").dump(), Props(after, "WebService").dump());
  EXPECT_NE(Props(before, "ApiTaskDefinition").dump(), Props(after, "ApiTaskDefinition").dump());
}

}  // namespace
}  // namespace ecsync::cfn

namespace ecsync::cfn {
namespace {

// On a cluster ecsync does not own, FARGATE_SPOT is only named by the services: an
// association would replace the cluster's whole provider list and default strategy.
TEST(Deployment, SpotOnAnExistingClusterLeavesItsProvidersAlone) {
  compose::Service batch = testing::Service("batch", "example/batch");
  batch.extensions = {{"x-ecsync-capacity_providers",
                       {{{"provider", "FARGATE"}, {"base", 1}, {"weight", 1}},
                        {{"provider", "FARGATE_SPOT"}, {"weight", 3}}}}};
  compose::Project project = testing::Project("p", {batch});
  project.extensions = {{"x-aws-cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/shared"}};
  nlohmann::ordered_json tmpl = testing::ConvertOk(project);
  EXPECT_FALSE(tmpl["Resources"].contains("CapacityProviderAssociations"));
  EXPECT_FALSE(tmpl["Resources"].contains("Cluster"));
  const nlohmann::ordered_json& service = testing::Props(tmpl, "BatchService");
  EXPECT_EQ(service["CapacityProviderStrategy"][1]["CapacityProvider"], "FARGATE_SPOT");
  EXPECT_FALSE(service.contains("LaunchType"));
  EXPECT_FALSE(tmpl["Resources"]["BatchService"].contains("DependsOn"));
  testing::ExpectLintClean(tmpl);
}

}  // namespace
}  // namespace ecsync::cfn
