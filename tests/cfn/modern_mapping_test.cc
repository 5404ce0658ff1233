// The newer parts of the mapping: port names and app protocols in the task definition,
// ECS Service Connect (x-aws-service-connect) in place of Cloud Map DNS discovery, restart as
// the container's RestartPolicy, pre_start steps as init containers, service-level gpus,
// x-aws-version-consistency and x-aws-az-rebalancing.

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::MainContainer;
using testing::Port;
using testing::Project;
using testing::Props;
using testing::Service;

compose::PortMapping Named(uint32_t target, std::string name, std::string app_protocol = "") {
  compose::PortMapping port = Port(target);
  port.name = std::move(name);
  port.app_protocol = std::move(app_protocol);
  port.location = {"compose.yaml", 7, 9};
  return port;
}

// web publishes a named HTTP port and an unnamed one; worker has no port (a client only).
compose::Project Shop(bool service_connect) {
  compose::Project project =
      Project("shop", {Service("web", "nginx", {Named(80, "http", "http"), Port(9090)}),
                       Service("worker", "busybox")});
  if (service_connect) project.extensions = {{"x-aws-service-connect", true}};
  return project;
}

TEST(PortIdentity, NameAndAppProtocolReachThePortMapping) {
  ordered_json tmpl = ConvertOk(Shop(false));
  const ordered_json& mappings = MainContainer(tmpl, "WebTaskDefinition")["PortMappings"];
  EXPECT_EQ(mappings[0], (ordered_json{{"AppProtocol", "http"},
                                       {"ContainerPort", 80},
                                       {"HostPort", 80},
                                       {"Name", "http"},
                                       {"Protocol", "tcp"}}));
  // Nothing given, nothing added: the mapping is what it always was.
  EXPECT_EQ(mappings[1],
            (ordered_json{{"ContainerPort", 9090}, {"HostPort", 9090}, {"Protocol", "tcp"}}));
}

TEST(PortIdentity, AppProtocolsEcsKnowsAndHttpsBehindTheLoadBalancer) {
  for (const char* app : {"http2", "grpc"}) {
    ordered_json tmpl = ConvertOk(Project("p", {Service("api", "a", {Named(50051, "", app)})}));
    EXPECT_EQ(MainContainer(tmpl, "ApiTaskDefinition")["PortMappings"][0]["AppProtocol"], app);
  }
  // TLS ends at the load balancer; the container speaks http.
  compose::Project tls = Project("p", {Service("api", "a", {Named(443, "", "https")})});
  tls.extensions = {{"x-ecsync-certificate", "arn:aws:acm:us-east-1:123456789012:certificate/x"}};
  ordered_json tmpl = ConvertOk(tls);
  EXPECT_EQ(MainContainer(tmpl, "ApiTaskDefinition")["PortMappings"][0]["AppProtocol"], "http");
}

TEST(PortIdentity, UnknownAppProtocolIsAnErrorAtItsLine) {
  const std::string error =
      ConvertError(Project("p", {Service("api", "a", {Named(80, "", "websocket")})}));
  EXPECT_NE(error.find("compose.yaml:7:9"), std::string::npos) << error;
  EXPECT_NE(error.find("app_protocol \"websocket\""), std::string::npos) << error;
  EXPECT_NE(error.find("http, http2 or grpc"), std::string::npos) << error;
}

TEST(PortIdentity, InvalidOrRepeatedNamesAreErrors) {
  EXPECT_NE(ConvertError(Project("p", {Service("api", "a", {Named(80, "Web Port")})}))
                .find("name \"Web Port\" cannot name an ECS port mapping"),
            std::string::npos);
  EXPECT_NE(ConvertError(Project("p", {Service("api", "a", {Named(80, "web"), Named(81, "web")})}))
                .find("port names must be unique"),
            std::string::npos);
}

TEST(ServiceConnect, WithoutTheExtensionServicesKeepDnsDiscovery) {
  ordered_json tmpl = ConvertOk(Shop(false));
  EXPECT_TRUE(tmpl["Resources"].contains("WebServiceDiscoveryEntry"));
  EXPECT_TRUE(Props(tmpl, "WebService").contains("ServiceRegistries"));
  EXPECT_FALSE(Props(tmpl, "WebService").contains("ServiceConnectConfiguration"));
  EXPECT_FALSE(Props(tmpl, "Cluster").contains("ServiceConnectDefaults"));
}

TEST(ServiceConnect, ServicesJoinTheProjectNamespaceWithClientAliases) {
  ordered_json tmpl = ConvertOk(Shop(true));
  const ordered_json namespace_arn = {{"Fn::GetAtt", {"CloudMap", "Arn"}}};
  EXPECT_EQ(Props(tmpl, "Cluster")["ServiceConnectDefaults"],
            (ordered_json{{"Namespace", namespace_arn}}));

  const ordered_json& web = Props(tmpl, "WebService");
  EXPECT_FALSE(web.contains("ServiceRegistries"));
  EXPECT_FALSE(tmpl["Resources"].contains("WebServiceDiscoveryEntry"));
  const ordered_json& config = web["ServiceConnectConfiguration"];
  EXPECT_EQ(config["Enabled"], true);
  EXPECT_EQ(config["Namespace"], namespace_arn);
  EXPECT_EQ(config["LogConfiguration"]["LogDriver"], "awslogs");
  EXPECT_EQ(config["Services"], (ordered_json{
                                    {{"ClientAliases", {{{"DnsName", "web"}, {"Port", 80}}}},
                                     {"DiscoveryName", "web-http"},
                                     {"PortName", "http"}},
                                    {{"ClientAliases", {{{"DnsName", "web"}, {"Port", 9090}}}},
                                     {"DiscoveryName", "web-9090"},
                                     {"PortName", "web-9090"}},
                                }));
  // The unnamed port got the generated name the endpoint refers to.
  EXPECT_EQ(MainContainer(tmpl, "WebTaskDefinition")["PortMappings"][1]["Name"], "web-9090");

  // A service without ports is a client of the namespace only.
  const ordered_json& worker = Props(tmpl, "WorkerService")["ServiceConnectConfiguration"];
  EXPECT_EQ(worker["Enabled"], true);
  EXPECT_FALSE(worker.contains("Services"));
}

// Linear and canary deployments need something to shift: without a load balancer, the
// Service Connect traffic of the other services. Requests with the test header reach the new
// revision first, as behind the load balancer.
TEST(ServiceConnect, ACanaryWithoutTheLoadBalancerShiftsServiceConnectTraffic) {
  compose::PortMapping internal = Named(8080, "api", "http");
  internal.mode = "host";  // reachable inside the project's networks only
  compose::Service api = Service("api", "ghcr.io/acme/api:2", {internal});
  api.extensions = {{"x-aws-deployment", {{"strategy", "canary"}, {"canary", {{"percent", 5}}}}}};
  compose::Project project = Project("shop", {api, Service("worker", "busybox")});
  project.extensions = {{"x-aws-service-connect", true}};
  const ordered_json tmpl = ConvertOk(project);
  EXPECT_FALSE(tmpl["Resources"].contains("LoadBalancer"));
  const ordered_json& service = Props(tmpl, "ApiService");
  EXPECT_EQ(service["DeploymentConfiguration"]["Strategy"], "CANARY");
  EXPECT_EQ(service["DeploymentConfiguration"]["CanaryConfiguration"]["CanaryPercent"], 5);
  EXPECT_EQ(service["ServiceConnectConfiguration"]["Services"][0]["ClientAliases"],
            (ordered_json{
                {{"DnsName", "api"},
                 {"Port", 8080},
                 {"TestTrafficRules",
                  {{"Header", {{"Name", "X-Ecsync-Test"}, {"Value", {{"Exact", "true"}}}}}}}}}));
  // The client has no endpoint of its own, and a rolling service no test route.
  EXPECT_FALSE(Props(tmpl, "WorkerService")["ServiceConnectConfiguration"].contains("Services"));
  testing::ExpectLintClean(tmpl);

  // Without Service Connect nothing reaches the service to shift.
  project.extensions = ordered_json::object();
  const std::string error = ConvertError(project);
  EXPECT_NE(error.find("x-aws-deployment.strategy canary"), std::string::npos) << error;
  EXPECT_NE(error.find("Service Connect"), std::string::npos) << error;
}

// Opting in changes properties of the same resources: no ECS service is replaced.
TEST(ServiceConnect, SwitchingKeepsEveryLogicalIdButTheDiscoveryEntries) {
  ordered_json before = ConvertOk(Shop(false));
  ordered_json after = ConvertOk(Shop(true));
  for (const auto& [id, resource] : after["Resources"].items()) {
    EXPECT_TRUE(before["Resources"].contains(id)) << id;
  }
  for (const auto& [id, resource] : before["Resources"].items()) {
    EXPECT_TRUE(after["Resources"].contains(id) ||
                resource["Type"] == "AWS::ServiceDiscovery::Service")
        << id;
  }
}

TEST(ServiceConnect, ExtensionShapes) {
  compose::Project project = Shop(false);
  project.extensions = {{"x-aws-service-connect", {{"enabled", true}}}};
  EXPECT_TRUE(Props(ConvertOk(project), "WebService").contains("ServiceConnectConfiguration"));
  project.extensions = {{"x-aws-service-connect", {{"enabled", false}}}};
  EXPECT_TRUE(Props(ConvertOk(project), "WebService").contains("ServiceRegistries"));
  project.extensions = {{"x-aws-service-connect", false}};
  EXPECT_TRUE(Props(ConvertOk(project), "WebService").contains("ServiceRegistries"));
  project.extensions = {{"x-aws-service-connect", {{"namespace", "other"}}}};
  EXPECT_NE(ConvertError(project).find("x-aws-service-connect has no key \"namespace\""),
            std::string::npos);
  project.extensions = {{"x-aws-service-connect", "yes please"}};
  EXPECT_NE(ConvertError(project).find("x-aws-service-connect must be true or false"),
            std::string::npos);
}

// Service Connect carries TCP only; a UDP port keeps its mapping without a generated name.
TEST(ServiceConnect, UdpPortsStayOutOfIt) {
  compose::Project project = Project("dns", {Service("resolver", "coredns", {Port(53, "udp")})});
  project.extensions = {{"x-aws-service-connect", true}};
  ordered_json tmpl = ConvertOk(project);
  EXPECT_FALSE(MainContainer(tmpl, "ResolverTaskDefinition")["PortMappings"][0].contains("Name"));
  EXPECT_FALSE(Props(tmpl, "ResolverService")["ServiceConnectConfiguration"].contains("Services"));
}

TEST(ServiceConnect, GeneratedNamesAreValidPortNames) {
  compose::Project project = Project("p", {Service("My.Api", "a", {Port(8080)})});
  project.extensions = {{"x-aws-service-connect", true}};
  ordered_json tmpl = ConvertOk(project);
  EXPECT_EQ(MainContainer(tmpl, "MyApiTaskDefinition")["PortMappings"][0]["Name"], "my-api-8080");
}

TEST(ServiceConnect, ExistingClusterGetsNoDefaultsButServicesNameTheNamespace) {
  compose::Project project = Shop(true);
  project.extensions["x-aws-cluster"] = "shared";
  ordered_json tmpl = ConvertOk(project);
  EXPECT_FALSE(tmpl["Resources"].contains("Cluster"));
  EXPECT_EQ(Props(tmpl, "WebService")["ServiceConnectConfiguration"]["Namespace"],
            (ordered_json{{"Fn::GetAtt", {"CloudMap", "Arn"}}}));
}

ordered_json MainOf(const compose::Service& service) {
  return MainContainer(ConvertOk(Project("p", {service})), "AppTaskDefinition");
}

TEST(RestartPolicy, ComposeRestartValues) {
  compose::Service app = Service("app", "a");
  EXPECT_FALSE(MainOf(app).contains("RestartPolicy"));  // unchanged without restart
  app.restart = "no";
  EXPECT_FALSE(MainOf(app).contains("RestartPolicy"));
  for (const char* any : {"always", "unless-stopped"}) {
    app.restart = any;
    EXPECT_EQ(MainOf(app)["RestartPolicy"], (ordered_json{{"Enabled", true}})) << any;
  }
  const ordered_json on_failure = {{"Enabled", true}, {"IgnoredExitCodes", {0}}};
  app.restart = "on-failure";
  EXPECT_EQ(MainOf(app)["RestartPolicy"], on_failure);
  app.restart = "on-failure:3";  // the limit is warned by the loader
  EXPECT_EQ(MainOf(app)["RestartPolicy"], on_failure);
  app.restart = "sometimes";
  EXPECT_NE(ConvertError(Project("p", {app})).find("restart \"sometimes\""), std::string::npos);
}

TEST(RestartPolicy, DeployRestartPolicyConditionWins) {
  compose::Service app = Service("app", "a");
  app.restart = "always";
  app.deploy.emplace();
  app.deploy->restart_policy = compose::RestartPolicy{};
  app.deploy->restart_policy->condition = "on-failure";
  EXPECT_EQ(MainOf(app)["RestartPolicy"],
            (ordered_json{{"Enabled", true}, {"IgnoredExitCodes", {0}}}));
  app.deploy->restart_policy->condition = "none";
  EXPECT_FALSE(MainOf(app).contains("RestartPolicy"));
  app.deploy->restart_policy->condition = "any";
  EXPECT_EQ(MainOf(app)["RestartPolicy"], (ordered_json{{"Enabled", true}}));
}

compose::Service Migrating() {
  compose::Service app = Service("app", "example/app:3");
  app.user = "1000";
  app.working_dir = "/srv";
  app.environment = {{"DB", "postgres://db/app"}, {"MODE", "serve"}};
  compose::PreStartHook migrate;
  migrate.command = std::vector<std::string>{"./manage.py", "migrate"};
  migrate.environment = {{"MODE", "migrate"}};
  migrate.location = {"compose.yaml", 9, 9};
  compose::PreStartHook chown;
  chown.image = "busybox";
  chown.command = std::vector<std::string>{"chown", "-R", "1000", "/data"};
  chown.user = "0";
  app.pre_start = {migrate, chown};
  return app;
}

TEST(PreStart, StepsAreInitContainersTheServiceWaitsFor) {
  ordered_json tmpl = ConvertOk(Project("p", {Migrating()}));
  const ordered_json& containers = Props(tmpl, "AppTaskDefinition")["ContainerDefinitions"];
  ASSERT_EQ(containers.size(), 4u);  // resolv.conf, two steps, the service
  const ordered_json& first = containers[1];
  EXPECT_EQ(first["Name"], "App_PreStart0_InitContainer");
  EXPECT_EQ(first["Essential"], false);
  EXPECT_EQ(first["Image"], "example/app:3");  // the service's image
  EXPECT_EQ(first["Command"], (ordered_json{"./manage.py", "migrate"}));
  EXPECT_EQ(first["Environment"], (ordered_json{{{"Name", "DB"}, {"Value", "postgres://db/app"}},
                                                {{"Name", "MODE"}, {"Value", "migrate"}}}));
  EXPECT_EQ(first["User"], "1000");
  EXPECT_EQ(first["WorkingDirectory"], "/srv");
  EXPECT_FALSE(first.contains("DependsOn"));

  const ordered_json& second = containers[2];
  EXPECT_EQ(second["Image"], "busybox");
  EXPECT_EQ(second["User"], "0");
  // Steps run in order.
  EXPECT_EQ(
      second["DependsOn"],
      (ordered_json{{{"Condition", "SUCCESS"}, {"ContainerName", "App_PreStart0_InitContainer"}}}));

  const ordered_json& depends = containers[3]["DependsOn"];
  ASSERT_EQ(depends.size(), 3u);
  EXPECT_EQ(depends[1], (ordered_json{{"Condition", "SUCCESS"},
                                      {"ContainerName", "App_PreStart0_InitContainer"}}));
  EXPECT_EQ(depends[2], (ordered_json{{"Condition", "SUCCESS"},
                                      {"ContainerName", "App_PreStart1_InitContainer"}}));
}

TEST(PreStart, StepsShareTheServiceVolumes) {
  compose::Service app = Migrating();
  compose::ServiceVolume data;
  data.type = "tmpfs";
  data.target = "/data";
  app.volumes = {data};
  ordered_json tmpl = ConvertOk(Project("p", {app}));
  const ordered_json& containers = Props(tmpl, "AppTaskDefinition")["ContainerDefinitions"];
  EXPECT_EQ(containers[1]["MountPoints"], containers.back()["MountPoints"]);
  EXPECT_FALSE(containers[1]["MountPoints"].empty());
}

TEST(PreStart, PrivilegedOrEmptyStepsAreErrors) {
  compose::Service app = Migrating();
  app.pre_start[0].privileged = true;
  const std::string error = ConvertError(Project("p", {app}));
  EXPECT_NE(error.find("pre_start[0] (compose.yaml:9:9)"), std::string::npos) << error;
  EXPECT_NE(error.find("privileged"), std::string::npos) << error;
  app = Migrating();
  app.pre_start[0].command.reset();
  EXPECT_NE(ConvertError(Project("p", {app})).find("needs a command"), std::string::npos);
}

TEST(Gpus, ServiceLevelGpusRunOnTheGpuCapacityProvider) {
  compose::Service learner = Service("app", "tensorflow/tensorflow:latest-gpu");
  compose::DeviceRequest two;
  two.capabilities = {"gpu"};
  two.count = 2;
  learner.gpus = {two};
  ordered_json tmpl = ConvertOk(Project("ml", {learner}));
  EXPECT_EQ(MainContainer(tmpl, "AppTaskDefinition")["ResourceRequirements"],
            (ordered_json{{{"Type", "GPU"}, {"Value", "2"}}}));
  EXPECT_TRUE(tmpl["Resources"].contains("CapacityProvider"));
  EXPECT_FALSE(Props(tmpl, "AppService").contains("LaunchType"));
}

TEST(Gpus, AllMeansOneGpuTheSmallestInstanceHas) {
  compose::Service learner = Service("app", "tensorflow/tensorflow:latest-gpu");
  compose::DeviceRequest all;
  all.capabilities = {"gpu"};
  all.count = -1;
  learner.gpus = {all};
  ordered_json tmpl = ConvertOk(Project("ml", {learner}));
  EXPECT_EQ(MainContainer(tmpl, "AppTaskDefinition")["ResourceRequirements"][0]["Value"], "1");
}

TEST(VersionConsistency, PassesThroughToTheContainer) {
  compose::Service app = Service("app", "a");
  EXPECT_FALSE(MainOf(app).contains("VersionConsistency"));
  app.extensions = {{"x-aws-version-consistency", "disabled"}};
  EXPECT_EQ(MainOf(app)["VersionConsistency"], "disabled");
  app.extensions = {{"x-aws-version-consistency", true}};
  EXPECT_EQ(MainOf(app)["VersionConsistency"], "enabled");
  app.extensions = {{"x-aws-version-consistency", "sometimes"}};
  EXPECT_NE(ConvertError(Project("p", {app})).find("x-aws-version-consistency must be enabled"),
            std::string::npos);
}

TEST(AzRebalancing, PassesThroughToTheService) {
  compose::Service app = Service("app", "a");
  EXPECT_FALSE(
      Props(ConvertOk(Project("p", {app})), "AppService").contains("AvailabilityZoneRebalancing"));
  app.extensions = {{"x-aws-az-rebalancing", "ENABLED"}};
  EXPECT_EQ(Props(ConvertOk(Project("p", {app})), "AppService")["AvailabilityZoneRebalancing"],
            "ENABLED");
  app.extensions = {{"x-aws-az-rebalancing", false}};
  EXPECT_EQ(Props(ConvertOk(Project("p", {app})), "AppService")["AvailabilityZoneRebalancing"],
            "DISABLED");
  app.extensions = {{"x-aws-az-rebalancing", 3}};
  EXPECT_NE(ConvertError(Project("p", {app})).find("x-aws-az-rebalancing must be enabled"),
            std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
