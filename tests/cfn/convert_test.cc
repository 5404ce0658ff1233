#include "cfn/convert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "compose/loader.h"
#include "tests/cfn/projects.h"
#include "tests/cfn/yaml_json.h"
#include "tests/support/corpus.h"
#include "tests/support/support.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::MultiServiceApplicationLb;
using testing::MultiServiceNetworkLb;
using testing::Port;
using testing::Project;
using testing::Service;
using testing::SimpleSingleService;

const ConvertOptions kGoldenOptions{"vpc-123", {"subnet1", "subnet2"}};

ordered_json ConvertOrDie(const compose::Project& project, const ConvertOptions& options = {}) {
  base::Result<ordered_json> result = Convert(project, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : ordered_json::object();
}

std::set<std::string> ResourceIds(const ordered_json& tmpl) {
  std::set<std::string> ids;
  for (const auto& [id, resource] : tmpl.at("Resources").items()) ids.insert(id);
  return ids;
}

const ordered_json& PropertiesOf(const ordered_json& tmpl, const std::string& id) {
  return tmpl.at("Resources").at(id).at("Properties");
}

ordered_json Ref(const std::string& id) { return {{"Ref", id}}; }

base::ErrorKind KindOf(const compose::Project& project) {
  base::Result<ordered_json> result = Convert(project, {});
  EXPECT_FALSE(result.ok());
  return result.ok() ? base::ErrorKind::kInternal : result.status().kind();
}

class Golden : public ecsync::testing::CorpusTest {
 protected:
  void SetUp() override {
    CorpusTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    golden_ = testing::YamlToJson(ecsync::testing::ReadFileOrDie(
        ecsync::testing::CorpusDir() +
        "/ecs-golden/compose-cli/simple-cloudformation-conversion.golden"));
    ours_ = ConvertOrDie(SimpleSingleService(), kGoldenOptions);
  }

  // The golden's value at a JSON pointer, and ours; both must exist.
  void ExpectSame(const std::string& pointer) {
    ordered_json::json_pointer p(pointer);
    ASSERT_TRUE(golden_.contains(p)) << pointer;
    ASSERT_TRUE(ours_.contains(p)) << pointer << " missing in:\n" << ToJson(ours_);
    EXPECT_EQ(ours_.at(p), golden_.at(p)) << pointer;
  }

  ordered_json golden_;
  ordered_json ours_;
};

TEST_F(Golden, SameLogicalIdsAndTypes) {
  EXPECT_EQ(ResourceIds(ours_), ResourceIds(golden_));
  for (const auto& [id, resource] : golden_.at("Resources").items()) {
    EXPECT_EQ(ours_["Resources"][id]["Type"], resource.at("Type")) << id;
  }
  EXPECT_EQ(ours_.at("AWSTemplateFormatVersion"), golden_.at("AWSTemplateFormatVersion"));
  // Literal VPC and subnets, as the golden: no parameters.
  EXPECT_FALSE(ours_.contains("Parameters"));
}

TEST_F(Golden, SameKeyProperties) {
  for (const char* pointer : {
           "/Resources/Cluster/Properties/ClusterName",
           "/Resources/LogGroup/Properties/LogGroupName",
           "/Resources/CloudMap/Properties/Name",
           "/Resources/CloudMap/Properties/Description",
           "/Resources/CloudMap/Properties/Vpc",
           "/Resources/DefaultNetwork/Properties/GroupDescription",
           "/Resources/DefaultNetwork/Properties/VpcId",
           "/Resources/DefaultNetwork/Properties/Tags",
           "/Resources/DefaultNetworkIngress/Properties",
           "/Resources/Default80Ingress/Properties",
           "/Resources/LoadBalancer/Properties",
           "/Resources/SimpleTCP80Listener/Properties/Port",
           "/Resources/SimpleTCP80Listener/Properties/Protocol",
           "/Resources/SimpleTCP80Listener/Properties/LoadBalancerArn",
           "/Resources/SimpleTCP80Listener/Properties/DefaultActions/0/ForwardConfig",
           "/Resources/SimpleTCP80Listener/Properties/DefaultActions/0/Type",
           "/Resources/SimpleTCP80TargetGroup/Properties/Port",
           "/Resources/SimpleTCP80TargetGroup/Properties/Protocol",
           "/Resources/SimpleTCP80TargetGroup/Properties/TargetType",
           "/Resources/SimpleTCP80TargetGroup/Properties/VpcId",
           "/Resources/SimpleTaskDefinition/Properties/Cpu",
           "/Resources/SimpleTaskDefinition/Properties/Memory",
           "/Resources/SimpleTaskDefinition/Properties/NetworkMode",
           "/Resources/SimpleTaskDefinition/Properties/RequiresCompatibilities",
           "/Resources/SimpleTaskDefinition/Properties/Family",
           "/Resources/SimpleTaskDefinition/Properties/ContainerDefinitions/1",
           "/Resources/SimpleTaskDefinition/Properties/ContainerDefinitions/0/Name",
           "/Resources/SimpleTaskDefinition/Properties/ContainerDefinitions/0/Image",
           "/Resources/SimpleTaskDefinition/Properties/ContainerDefinitions/0/Essential",
           "/Resources/SimpleTaskDefinition/Properties/ContainerDefinitions/0/LogConfiguration",
           "/Resources/SimpleTaskDefinition/Properties/ContainerDefinitions/0/Command/1",
           "/Resources/SimpleTaskExecutionRole/Properties/AssumeRolePolicyDocument",
           "/Resources/SimpleTaskExecutionRole/Properties/ManagedPolicyArns",
           "/Resources/SimpleTaskExecutionRole/Properties/Tags",
           "/Resources/SimpleServiceDiscoveryEntry/Properties/Description",
           "/Resources/SimpleServiceDiscoveryEntry/Properties/DnsConfig",
           "/Resources/SimpleServiceDiscoveryEntry/Properties/HealthCheckCustomConfig",
           "/Resources/SimpleServiceDiscoveryEntry/Properties/Name",
           "/Resources/SimpleServiceDiscoveryEntry/Properties/NamespaceId",
           "/Resources/SimpleService/DependsOn",
       }) {
    ExpectSame(pointer);
  }
  // Every property of the ECS service is Docker's, plus the two modern deployment settings
  // (circuit breaker with rollback, health check grace period) checked in
  // DeliberateDifferences.
  ordered_json service = PropertiesOf(ours_, "SimpleService");
  service["DeploymentConfiguration"].erase("DeploymentCircuitBreaker");
  service.erase("HealthCheckGracePeriodSeconds");
  EXPECT_EQ(service, PropertiesOf(golden_, "SimpleService"));
}

// Each deliberate difference from the golden, spelled out (see docs/mapping.md).
TEST_F(Golden, DeliberateDifferences) {
  // The role is referenced by ARN (the property's format); Docker's Ref gives its name.
  EXPECT_EQ(PropertiesOf(golden_, "SimpleTaskDefinition")["ExecutionRoleArn"],
            Ref("SimpleTaskExecutionRole"));
  EXPECT_EQ(PropertiesOf(ours_, "SimpleTaskDefinition")["ExecutionRoleArn"],
            (ordered_json{{"Fn::GetAtt", {"SimpleTaskExecutionRole", "Arn"}}}));
  // The sidecar's first search domain is the region's own, resolved at deploy time; the
  // golden was produced with no region and shows ".compute.internal".
  EXPECT_EQ(PropertiesOf(golden_, "SimpleTaskDefinition")["ContainerDefinitions"][0]["Command"][0],
            ".compute.internal");
  EXPECT_TRUE(
      PropertiesOf(ours_, "SimpleTaskDefinition")["ContainerDefinitions"][0]["Command"][0].contains(
          "Fn::If"));
  EXPECT_TRUE(ours_.at("Conditions").contains("IsUsEast1"));
  // The listener's action also names its group as TargetGroupArn (moto reads only that).
  EXPECT_FALSE(
      PropertiesOf(golden_, "SimpleTCP80Listener")["DefaultActions"][0].contains("TargetGroupArn"));
  EXPECT_EQ(PropertiesOf(ours_, "SimpleTCP80Listener")["DefaultActions"][0]["TargetGroupArn"],
            Ref("SimpleTCP80TargetGroup"));
  // Deployments roll back by themselves when tasks keep failing, and tasks behind the
  // load balancer get a grace period before its health checks count.
  EXPECT_EQ(
      PropertiesOf(ours_, "SimpleService")["DeploymentConfiguration"]["DeploymentCircuitBreaker"],
      (ordered_json{{"Enable", true}, {"Rollback", true}}));
  EXPECT_FALSE(PropertiesOf(golden_, "SimpleService")["DeploymentConfiguration"].contains(
      "DeploymentCircuitBreaker"));
  EXPECT_EQ(PropertiesOf(ours_, "SimpleService")["HealthCheckGracePeriodSeconds"], 60);
  // Everything taggable is tagged; per-service resources also carry the service tag.
  const ordered_json service_tags = PropertiesOf(golden_, "SimpleService")["Tags"];
  const ordered_json project_tags = PropertiesOf(golden_, "Cluster")["Tags"];
  EXPECT_EQ(PropertiesOf(ours_, "LogGroup")["Tags"], project_tags);
  EXPECT_EQ(PropertiesOf(ours_, "CloudMap")["Tags"], project_tags);
  EXPECT_EQ(PropertiesOf(ours_, "SimpleTaskDefinition")["Tags"], service_tags);
  EXPECT_EQ(PropertiesOf(ours_, "SimpleServiceDiscoveryEntry")["Tags"], service_tags);
  EXPECT_EQ(PropertiesOf(ours_, "SimpleTCP80TargetGroup")["Tags"], service_tags);
}

TEST(Convert, NetworkLoadBalancerForOtherPorts) {
  compose::Project project = Project("app", {Service("api", "example/api", {Port(80), Port(8080)}),
                                             Service("dns", "example/dns", {Port(53, "udp")})});
  ordered_json tmpl = ConvertOrDie(project, kGoldenOptions);
  const ordered_json& lb = PropertiesOf(tmpl, "LoadBalancer");
  EXPECT_EQ(lb["Type"], "network");
  EXPECT_FALSE(lb.contains("SecurityGroups"));
  EXPECT_EQ(PropertiesOf(tmpl, "ApiTCP80Listener")["Protocol"], "TCP");
  EXPECT_EQ(PropertiesOf(tmpl, "ApiTCP8080Listener")["Port"], 8080);
  EXPECT_EQ(PropertiesOf(tmpl, "ApiTCP8080TargetGroup")["Protocol"], "TCP");
  EXPECT_EQ(PropertiesOf(tmpl, "ApiTCP8080TargetGroup")["TargetType"], "ip");
  EXPECT_EQ(PropertiesOf(tmpl, "DnsUDP53Listener")["Protocol"], "UDP");
  EXPECT_EQ(PropertiesOf(tmpl, "DnsUDP53TargetGroup")["Protocol"], "UDP");
  EXPECT_EQ(PropertiesOf(tmpl, "Default53Ingress")["IpProtocol"], "UDP");
  EXPECT_EQ(PropertiesOf(tmpl, "Default8080Ingress")["FromPort"], 8080);
  EXPECT_EQ(tmpl["Resources"]["ApiService"]["DependsOn"],
            (ordered_json{"ApiTCP80Listener", "ApiTCP8080Listener"}));
  EXPECT_EQ(PropertiesOf(tmpl, "ApiService")["LoadBalancers"].size(), 2u);
}

TEST(Convert, ApplicationLoadBalancerForOnly80And443) {
  ordered_json tmpl = ConvertOrDie(MultiServiceApplicationLb(), kGoldenOptions);
  EXPECT_EQ(PropertiesOf(tmpl, "LoadBalancer")["Type"], "application");
  EXPECT_EQ(PropertiesOf(tmpl, "LoadBalancer")["SecurityGroups"],
            ordered_json::array({Ref("DefaultNetwork")}));
  // No certificate can be named, so 443 is plain HTTP too, as in Docker's integration.
  EXPECT_EQ(PropertiesOf(tmpl, "AdminTCP443Listener")["Protocol"], "HTTP");
  EXPECT_EQ(PropertiesOf(tmpl, "FrontendTCP80TargetGroup")["Protocol"], "HTTP");
  EXPECT_EQ(PropertiesOf(tmpl, "JobsService")["DesiredCount"], 0);
  EXPECT_FALSE(PropertiesOf(tmpl, "JobsService").contains("LoadBalancers"));
  EXPECT_FALSE(tmpl["Resources"]["JobsService"].contains("DependsOn"));
}

TEST(Convert, NoPortsNoLoadBalancer) {
  ordered_json tmpl = ConvertOrDie(Project("batch", {Service("job", "busybox")}), kGoldenOptions);
  std::set<std::string> ids = ResourceIds(tmpl);
  EXPECT_EQ(ids,
            (std::set<std::string>{"CloudMap", "Cluster", "DefaultNetwork", "DefaultNetworkIngress",
                                   "JobService", "JobServiceDiscoveryEntry", "JobTaskDefinition",
                                   "JobTaskExecutionRole", "LogGroup"}));
}

TEST(Convert, ParametersWhenNoVpcGiven) {
  ordered_json tmpl = ConvertOrDie(SimpleSingleService());
  ASSERT_TRUE(tmpl.contains("Parameters"));
  EXPECT_EQ(tmpl["Parameters"]["VpcId"]["Type"], "AWS::EC2::VPC::Id");
  EXPECT_EQ(tmpl["Parameters"]["SubnetIds"]["Type"], "List<AWS::EC2::Subnet::Id>");
  EXPECT_EQ(PropertiesOf(tmpl, "DefaultNetwork")["VpcId"], Ref("VpcId"));
  EXPECT_EQ(PropertiesOf(tmpl, "CloudMap")["Vpc"], Ref("VpcId"));
  EXPECT_EQ(PropertiesOf(tmpl, "SimpleTCP80TargetGroup")["VpcId"], Ref("VpcId"));
  EXPECT_EQ(PropertiesOf(tmpl, "LoadBalancer")["Subnets"], Ref("SubnetIds"));
  EXPECT_EQ(
      PropertiesOf(tmpl, "SimpleService")["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
      Ref("SubnetIds"));

  // Only what is missing becomes a parameter.
  ordered_json vpc_only = ConvertOrDie(SimpleSingleService(), {"vpc-0123abcd", {}});
  EXPECT_FALSE(vpc_only["Parameters"].contains("VpcId"));
  EXPECT_TRUE(vpc_only["Parameters"].contains("SubnetIds"));
  EXPECT_EQ(PropertiesOf(vpc_only, "DefaultNetwork")["VpcId"], "vpc-0123abcd");
}

TEST(Convert, ContainerDefinitionFromService) {
  ordered_json tmpl = ConvertOrDie(MultiServiceNetworkLb(), kGoldenOptions);
  const ordered_json& api = PropertiesOf(tmpl, "ApiTaskDefinition");
  EXPECT_EQ(api["Cpu"], "1024");
  EXPECT_EQ(api["Memory"], "3072");
  EXPECT_EQ(api["Family"], "shop-api");
  const ordered_json& container = api["ContainerDefinitions"][1];
  EXPECT_EQ(container["Name"], "api");
  EXPECT_EQ(container["Image"], "example/api:2");
  EXPECT_EQ(container["Command"], (ordered_json{"serve", "--port", "8080"}));
  EXPECT_FALSE(container.contains("EntryPoint"));
  // Sorted by name; the unresolved variable is left out.
  EXPECT_EQ(container["Environment"], (ordered_json{{{"Name", "DB_HOST"}, {"Value", "db"}},
                                                    {{"Name", "LOG_LEVEL"}, {"Value", "debug"}}}));
  EXPECT_EQ(container["PortMappings"],
            (ordered_json{{{"ContainerPort", 8080}, {"HostPort", 8080}, {"Protocol", "tcp"}}}));
  EXPECT_EQ(container["LogConfiguration"]["Options"]["awslogs-stream-prefix"], "shop");
  EXPECT_EQ(PropertiesOf(tmpl, "ApiService")["DesiredCount"], 3);

  const ordered_json& worker = PropertiesOf(tmpl, "QueueworkerTaskDefinition");
  EXPECT_EQ(worker["ContainerDefinitions"][1]["EntryPoint"], (ordered_json{"/bin/worker"}));
  EXPECT_EQ(worker["ContainerDefinitions"][0]["Name"], "Queueworker_ResolvConf_InitContainer");
  EXPECT_EQ(worker["ContainerDefinitions"][0]["Command"][1], "shop.local");
  EXPECT_EQ(tmpl["Resources"]["QueueworkerService"]["DependsOn"],
            (ordered_json{"ApiService", "CacheService"}));
  EXPECT_EQ(tmpl["Resources"]["WebService"]["DependsOn"],
            (ordered_json{"WebTCP80Listener", "ApiService"}));
  // Reservations count too: 1 GiB reserved needs 256/1024.
  EXPECT_EQ(PropertiesOf(tmpl, "CacheTaskDefinition")["Memory"], "1024");
  EXPECT_EQ(PropertiesOf(tmpl, "CacheTaskDefinition")["Cpu"], "256");
}

TEST(Convert, IsDeterministic) {
  compose::Project project = MultiServiceNetworkLb();
  std::string first = ToJson(ConvertOrDie(project, kGoldenOptions));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ToJson(ConvertOrDie(project, kGoldenOptions)), first);
  // The order services arrive in does not matter either.
  std::reverse(project.services.begin(), project.services.end());
  EXPECT_EQ(ToJson(ConvertOrDie(project, kGoldenOptions)), first);
  EXPECT_EQ(ToYaml(ConvertOrDie(project, kGoldenOptions)),
            ToYaml(ConvertOrDie(MultiServiceNetworkLb(), kGoldenOptions)));
}

TEST(Convert, RejectsWhatEcsCannotRun) {
  compose::Project twice = Project("p", {Service("web", "nginx", {Port(80), Port(81)})});
  twice.services[0].ports[1].published = 80;
  base::Result<ordered_json> result = Convert(twice, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(result.status().message().find("service \"web\" (compose.yaml:2:3): port 80"),
            std::string::npos)
      << result.status().message();

  EXPECT_EQ(KindOf(Project("p", {Service("web", "")})), base::ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(Project("p", {})), base::ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(Project("", {Service("web", "nginx")})), base::ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(Project("p", {Service("a", "x", {Port(80)}), Service("b", "y", {Port(80)})})),
            base::ErrorKind::kInvalid);
  // TCP and UDP on one port are one TCP_UDP listener (ports_test.cc), but only towards one
  // container port.
  compose::Service split = Service("a", "x", {Port(53), Port(5353, "udp")});
  split.ports[1].published = 53;
  EXPECT_EQ(KindOf(Project("p", {split})), base::ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(Project("p", {Service("a", "x", {Port(80, "sctp")})})),
            base::ErrorKind::kInvalid);
  // Two names with the same logical-ID form.
  EXPECT_EQ(KindOf(Project("p", {Service("my-app", "x"), Service("my_app", "x")})),
            base::ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(Project("p", {Service("--", "x")})), base::ErrorKind::kInvalid);

  compose::Service huge = Service("big", "x");
  huge.limits.cpus = 64;
  EXPECT_EQ(KindOf(Project("p", {huge})), base::ErrorKind::kInvalid);

  compose::Service one_interface = Service("web", "nginx", {Port(80)});
  one_interface.ports[0].host_ip = "10.1.2.3";
  EXPECT_EQ(KindOf(Project("p", {one_interface})), base::ErrorKind::kInvalid);

  compose::Service missing_dependency = Service("web", "nginx");
  missing_dependency.depends_on = {"db"};
  EXPECT_EQ(KindOf(Project("p", {missing_dependency})), base::ErrorKind::kInvalid);

  compose::Service a = Service("a", "x");
  compose::Service b = Service("b", "x");
  a.depends_on = {"b"};
  b.depends_on = {"a"};
  result = Convert(Project("p", {a, b}), {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("a -> b -> a"), std::string::npos)
      << result.status().message();
}

TEST(Convert, TargetOnlyPortIsPublishedAsItself) {
  compose::Project project = Project("p", {Service("web", "nginx", {Port(8080)})});
  project.services[0].ports[0].published.reset();
  project.services[0].ports.push_back(project.services[0].ports[0]);  // duplicates collapse
  ordered_json tmpl = ConvertOrDie(project, kGoldenOptions);
  EXPECT_EQ(PropertiesOf(tmpl, "WebTCP8080Listener")["Port"], 8080);
  EXPECT_EQ(
      PropertiesOf(tmpl, "WebTaskDefinition")["ContainerDefinitions"][1]["PortMappings"].size(),
      1u);
}

// End to end from Docker's input file through the real loader.
class GoldenInput : public ecsync::testing::CorpusTest {};

TEST_F(GoldenInput, ThroughTheLoader) {
  compose::DiskFileReader reader;
  compose::LoadOptions options;
  options.files = {ecsync::testing::CorpusDir() +
                   "/ecs-golden/compose-cli/input/simple-single-service.yaml"};
  options.project_name = "testsimpleconvert";
  base::Result<compose::Project> project = compose::Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  compose::Project expected = SimpleSingleService();
  expected.name = "testsimpleconvert";
  EXPECT_EQ(ToJson(ConvertOrDie(*project, kGoldenOptions)),
            ToJson(ConvertOrDie(expected, kGoldenOptions)));
}

}  // namespace
}  // namespace ecsync::cfn
