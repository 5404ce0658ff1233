// Port names and app protocols in the task definition, and ECS Service Connect
// (x-aws-service-connect) in place of Cloud Map DNS discovery.

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

}  // namespace
}  // namespace ecsync::cfn
