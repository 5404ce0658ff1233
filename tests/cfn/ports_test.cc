// Ports and load balancing: published != container port, host-mode ports, HTTP on other
// ports, HTTPS with a certificate and the redirect, target-group health checks.

#include <chrono>
#include <optional>

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::MainContainer;
using testing::Port;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::Service;

compose::PortMapping Mapped(uint32_t published, uint32_t target, std::string protocol = "tcp") {
  compose::PortMapping port = Port(target, std::move(protocol));
  port.published = published;
  return port;
}

TEST(Ports, PublishedPortIsTheListenerAndContainerPortTheTarget) {
  // "8080:80" on an application load balancer would be odd; with a TCP port it is a network one.
  ordered_json tmpl = ConvertOk(Project("p", {Service("web", "nginx", {Mapped(8080, 80)})}));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "network");
  EXPECT_EQ(Props(tmpl, "WebTCP8080Listener")["Port"], 8080);
  EXPECT_EQ(Props(tmpl, "WebTCP8080Listener")["DefaultActions"][0]["TargetGroupArn"],
            RefTo("WebTCP80TargetGroup"));
  EXPECT_EQ(Props(tmpl, "WebTCP80TargetGroup")["Port"], 80);
  EXPECT_EQ(MainContainer(tmpl, "WebTaskDefinition")["PortMappings"],
            (ordered_json{{{"ContainerPort", 80}, {"HostPort", 80}, {"Protocol", "tcp"}}}));
  const ordered_json& lb = Props(tmpl, "WebService")["LoadBalancers"];
  ASSERT_EQ(lb.size(), 1u);
  EXPECT_EQ(lb[0]["ContainerPort"], 80);
  // A network load balancer hands the client's packets to the container port.
  EXPECT_EQ(Props(tmpl, "Default80Ingress")["FromPort"], 80);
  EXPECT_FALSE(tmpl["Resources"].contains("Default8080Ingress"));
  EXPECT_EQ(tmpl["Resources"]["WebService"]["DependsOn"], (ordered_json{"WebTCP8080Listener"}));
  ExpectLintClean(tmpl);
}

TEST(Ports, ApplicationLoadBalancerOpensTheListenerPort) {
  // "80:8000": a web app on a high port behind HTTP 80.
  ordered_json tmpl = ConvertOk(Project("p", {Service("app", "example/app", {Mapped(80, 8000)})}));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "application");
  EXPECT_EQ(Props(tmpl, "AppTCP80Listener")["Protocol"], "HTTP");
  EXPECT_EQ(Props(tmpl, "AppTCP8000TargetGroup")["Protocol"], "HTTP");
  EXPECT_EQ(Props(tmpl, "AppTCP8000TargetGroup")["Port"], 8000);
  // The load balancer is reached on 80; it reaches the task through the network's own rule.
  EXPECT_EQ(Props(tmpl, "Default80Ingress")["FromPort"], 80);
  EXPECT_FALSE(tmpl["Resources"].contains("Default8000Ingress"));
  ExpectLintClean(tmpl);
}

TEST(Ports, TwoListenersOnOneContainerPortShareTheTargetGroup) {
  ordered_json tmpl =
      ConvertOk(Project("p", {Service("web", "nginx", {Mapped(8080, 80), Mapped(8081, 80)})}));
  EXPECT_EQ(Props(tmpl, "WebTCP8080Listener")["DefaultActions"][0]["TargetGroupArn"],
            RefTo("WebTCP80TargetGroup"));
  EXPECT_EQ(Props(tmpl, "WebTCP8081Listener")["DefaultActions"][0]["TargetGroupArn"],
            RefTo("WebTCP80TargetGroup"));
  EXPECT_EQ(Props(tmpl, "WebService")["LoadBalancers"].size(), 1u);
  EXPECT_EQ(MainContainer(tmpl, "WebTaskDefinition")["PortMappings"].size(), 1u);
  ExpectLintClean(tmpl);
}

TEST(Ports, HostModePortsStayOffTheLoadBalancer) {
  compose::PortMapping admin = Port(9000);
  admin.mode = "host";
  ordered_json tmpl = ConvertOk(
      Project("p", {Service("web", "nginx", {Port(80), admin}), Service("db", "postgres")}));
  EXPECT_FALSE(tmpl["Resources"].contains("WebTCP9000Listener"));
  EXPECT_FALSE(tmpl["Resources"].contains("WebTCP9000TargetGroup"));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "application");
  // Still a container port: other services reach it inside the network.
  EXPECT_EQ(MainContainer(tmpl, "WebTaskDefinition")["PortMappings"].size(), 2u);

  compose::PortMapping internal_only = Port(5432);
  internal_only.mode = "host";
  ordered_json no_lb = ConvertOk(Project("p", {Service("db", "postgres", {internal_only})}));
  EXPECT_FALSE(no_lb["Resources"].contains("LoadBalancer"));
  EXPECT_FALSE(Props(no_lb, "DbService").contains("HealthCheckGracePeriodSeconds"));
  ExpectLintClean(tmpl);
}

// 127.0.0.1:8080:80 is "not public": like mode: host, a container port with no listener.
TEST(Ports, LoopbackHostIpsStayOffTheLoadBalancer) {
  compose::PortMapping admin = Mapped(8080, 9000);
  admin.host_ip = "127.0.0.1";
  compose::PortMapping debug = Port(9229);
  debug.host_ip = "[::1]";
  ordered_json tmpl = ConvertOk(Project("p", {Service("web", "nginx", {Port(80), admin, debug})}));
  EXPECT_TRUE(tmpl["Resources"].contains("WebTCP80Listener"));
  EXPECT_FALSE(tmpl["Resources"].contains("WebTCP8080Listener"));
  EXPECT_FALSE(tmpl["Resources"].contains("WebTCP9229Listener"));
  EXPECT_EQ(MainContainer(tmpl, "WebTaskDefinition")["PortMappings"].size(), 3u);
  ExpectLintClean(tmpl);

  ordered_json no_lb = ConvertOk(Project("p", {Service("web", "nginx", {admin})}));
  EXPECT_FALSE(no_lb["Resources"].contains("LoadBalancer"));
}

TEST(Ports, AppProtocolHttpAsksForAnApplicationLoadBalancer) {
  compose::PortMapping api = Port(8080);
  api.app_protocol = "http";
  ordered_json tmpl = ConvertOk(Project("p", {Service("api", "example/api", {api})}));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "application");
  EXPECT_EQ(Props(tmpl, "ApiTCP8080Listener")["Protocol"], "HTTP");
  ExpectLintClean(tmpl);
}

TEST(Ports, HttpsWithCertificateAndRedirect) {
  compose::Project project = Project("shop", {Service("web", "nginx", {Mapped(443, 8080)})});
  const std::string arn = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234";
  project.extensions = {{"x-ecsync-certificate", arn}, {"x-ecsync-redirect_http", true}};
  ordered_json tmpl = ConvertOk(project);
  const ordered_json& https = Props(tmpl, "WebTCP443Listener");
  EXPECT_EQ(https["Protocol"], "HTTPS");
  EXPECT_EQ(https["Certificates"][0]["CertificateArn"], arn);
  EXPECT_EQ(Props(tmpl, "WebTCP8080TargetGroup")["Protocol"], "HTTP");
  const ordered_json& redirect = Props(tmpl, "HTTP80RedirectListener");
  EXPECT_EQ(redirect["Port"], 80);
  EXPECT_EQ(redirect["DefaultActions"][0]["Type"], "redirect");
  EXPECT_EQ(redirect["DefaultActions"][0]["RedirectConfig"]["Protocol"], "HTTPS");
  EXPECT_EQ(Props(tmpl, "Default80Ingress")["FromPort"], 80);
  EXPECT_EQ(Props(tmpl, "Default443Ingress")["FromPort"], 443);
  ExpectLintClean(tmpl);

  // Port 80 is the redirect's.
  project.services[0].ports.push_back(Port(80));
  EXPECT_NE(ConvertError(project).find("x-ecsync-redirect_http"), std::string::npos);
  // A certificate needs an application load balancer.
  compose::Project tcp = Project("p", {Service("db", "postgres", {Port(5432)})});
  tcp.extensions = {{"x-ecsync-certificate", arn}};
  EXPECT_NE(ConvertError(tcp).find("application load balancer"), std::string::npos);
}

constexpr char kCertificate[] = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234";

compose::PortMapping WithProtocolExtension(compose::PortMapping port, const std::string& value) {
  port.extensions = {{"x-aws-protocol", value}};
  return port;
}

compose::Project WithCertificate(compose::Project project, bool redirect = false) {
  project.extensions = {{"x-ecsync-certificate", kCertificate}};
  if (redirect) project.extensions["x-ecsync-redirect_http"] = true;
  return project;
}

TEST(Ports, PortMarkedHttpsGetsAnHttpsListenerOnAnyPort) {
  // x-aws-protocol: https on 8443, redirected to from 80.
  ordered_json tmpl = ConvertOk(
      WithCertificate(Project("p", {Service("admin", "example/admin",
                                            {WithProtocolExtension(Mapped(8443, 8080), "https")})}),
                      /*redirect=*/true));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "application");
  const ordered_json& https = Props(tmpl, "AdminTCP8443Listener");
  EXPECT_EQ(https["Protocol"], "HTTPS");
  EXPECT_EQ(https["Certificates"][0]["CertificateArn"], kCertificate);
  EXPECT_TRUE(https.contains("SslPolicy"));
  // TLS ends at the load balancer.
  EXPECT_EQ(Props(tmpl, "AdminTCP8080TargetGroup")["Protocol"], "HTTP");
  const ordered_json& redirect = Props(tmpl, "HTTP80RedirectListener");
  EXPECT_EQ(redirect["DefaultActions"][0]["RedirectConfig"]["Port"], "8443");
  EXPECT_EQ(redirect["DefaultActions"][0]["RedirectConfig"]["Protocol"], "HTTPS");
  EXPECT_EQ(Props(tmpl, "Default8443Ingress")["FromPort"], 8443);
  EXPECT_EQ(Props(tmpl, "Default80Ingress")["FromPort"], 80);
  ExpectLintClean(tmpl);

  // app_protocol: https does the same; other HTTP ports stay HTTP.
  compose::PortMapping api = Port(9443);
  api.app_protocol = "https";
  compose::PortMapping plain = Port(8080);
  plain.app_protocol = "http";
  tmpl = ConvertOk(WithCertificate(Project("p", {Service("api", "example/api", {api, plain})})));
  EXPECT_EQ(Props(tmpl, "ApiTCP9443Listener")["Protocol"], "HTTPS");
  EXPECT_EQ(Props(tmpl, "ApiTCP9443Listener")["Certificates"][0]["CertificateArn"], kCertificate);
  EXPECT_EQ(Props(tmpl, "ApiTCP8080Listener")["Protocol"], "HTTP");
  EXPECT_FALSE(Props(tmpl, "ApiTCP8080Listener").contains("Certificates"));
  EXPECT_FALSE(tmpl["Resources"].contains("HTTP80RedirectListener"));
  ExpectLintClean(tmpl);
}

TEST(Ports, RedirectGoesTo443WhenItIsOneOfSeveralHttpsPorts) {
  ordered_json tmpl = ConvertOk(WithCertificate(
      Project("p", {Service("web", "nginx",
                            {Mapped(443, 8080), WithProtocolExtension(Port(8443), "https")})}),
      /*redirect=*/true));
  EXPECT_EQ(Props(tmpl, "WebTCP443Listener")["Protocol"], "HTTPS");
  EXPECT_EQ(Props(tmpl, "WebTCP8443Listener")["Protocol"], "HTTPS");
  EXPECT_EQ(Props(tmpl, "HTTP80RedirectListener")["DefaultActions"][0]["RedirectConfig"]["Port"],
            "443");
  ExpectLintClean(tmpl);

  // Two HTTPS ports and neither is 443: the redirect has no obvious target.
  compose::Project two = WithCertificate(
      Project("p", {Service("a", "x", {WithProtocolExtension(Port(8443), "https")}),
                    Service("b", "y", {WithProtocolExtension(Port(9443), "https")})}),
      /*redirect=*/true);
  std::string message = ConvertError(two);
  EXPECT_NE(message.find("x-ecsync-redirect_http"), std::string::npos) << message;
  EXPECT_NE(message.find("8443, 9443"), std::string::npos) << message;
  EXPECT_NE(message.find("publish 443"), std::string::npos) << message;
  // Without the redirect both are simply HTTPS.
  two.extensions.erase("x-ecsync-redirect_http");
  tmpl = ConvertOk(two);
  EXPECT_EQ(Props(tmpl, "ATCP8443Listener")["Protocol"], "HTTPS");
  EXPECT_EQ(Props(tmpl, "BTCP9443Listener")["Protocol"], "HTTPS");
  ExpectLintClean(tmpl);
}

TEST(Ports, PortMarkedHttpsNeedsTheCertificate) {
  for (bool app_protocol : {false, true}) {
    compose::PortMapping port = Mapped(8443, 8080);
    if (app_protocol) {
      port.app_protocol = "https";
    } else {
      port = WithProtocolExtension(port, "https");
    }
    std::string message = ConvertError(Project("p", {Service("admin", "example/admin", {port})}));
    EXPECT_NE(message.find("service \"admin\""), std::string::npos) << message;
    EXPECT_NE(message.find("port 8443 is marked https"), std::string::npos) << message;
    EXPECT_NE(message.find("set x-ecsync-certificate"), std::string::npos) << message;
  }
  // A host-mode port is not on the load balancer, so it needs no certificate.
  compose::PortMapping internal = WithProtocolExtension(Port(8443), "https");
  internal.mode = "host";
  ConvertOk(Project("p", {Service("admin", "example/admin", {Port(80), internal})}));
}

TEST(Ports, CertificateWithoutAnHttpsPortIsAnError) {
  compose::PortMapping api = Port(8080);
  api.app_protocol = "http";
  for (const compose::PortMapping& port : {api, Port(80)}) {
    std::string message =
        ConvertError(WithCertificate(Project("p", {Service("api", "example/api", {port})})));
    EXPECT_NE(message.find("x-ecsync-certificate is set but no published port is 443 or marked "
                           "https"),
              std::string::npos)
        << message;
  }
}

TEST(Ports, TargetHealthCheckFromHealthcheckOrExtension) {
  compose::Service web = Service("web", "example/web", {Mapped(80, 3000)});
  web.healthcheck = compose::Healthcheck{};
  web.healthcheck->test = {"CMD", "curl", "-f", "http://localhost:3000/healthz"};
  ordered_json tmpl = ConvertOk(Project("p", {web}));
  EXPECT_EQ(Props(tmpl, "WebTCP3000TargetGroup")["HealthCheckPath"], "/healthz");

  web.extensions = {{"x-ecsync-target_health",
                     {{"path", "/ready"},
                      {"matcher", "200-399"},
                      {"interval", 15},
                      {"healthy_threshold", 2},
                      {"unhealthy_threshold", 5},
                      {"timeout", 5}}}};
  tmpl = ConvertOk(Project("p", {web}));
  const ordered_json& group = Props(tmpl, "WebTCP3000TargetGroup");
  EXPECT_EQ(group["HealthCheckPath"], "/ready");
  EXPECT_EQ(group["Matcher"]["HttpCode"], "200-399");
  EXPECT_EQ(group["HealthCheckIntervalSeconds"], 15);
  EXPECT_EQ(group["UnhealthyThresholdCount"], 5);
  ExpectLintClean(tmpl);

  web.extensions = {{"x-ecsync-target_health", {{"path", "no-slash"}}}};
  EXPECT_NE(ConvertError(Project("p", {web})).find("x-ecsync-target_health"), std::string::npos);
}

compose::Service WithHealthcheck(compose::Service service,
                                 std::optional<compose::Duration> interval,
                                 std::optional<compose::Duration> timeout,
                                 std::optional<int> retries) {
  service.healthcheck = compose::Healthcheck{};
  service.healthcheck->test = {"CMD-SHELL", "wget -q -O- http://localhost:3000/ || exit 1"};
  service.healthcheck->interval = interval;
  service.healthcheck->timeout = timeout;
  service.healthcheck->retries = retries;
  return service;
}

TEST(Ports, TargetHealthTimingsFromTheHealthcheck) {
  using namespace std::chrono_literals;
  const compose::Service web = Service("web", "example/web", {Mapped(80, 3000)});
  auto group = [](const compose::Service& service) {
    return Props(ConvertOk(Project("p", {service})), "WebTCP3000TargetGroup");
  };

  // interval 10s, timeout 3s, retries 4; a fraction of a second rounds up.
  ordered_json tmpl = ConvertOk(Project("p", {WithHealthcheck(web, 10s, 2500ms, 4)}));
  ordered_json tg = Props(tmpl, "WebTCP3000TargetGroup");
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 10);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 3);
  EXPECT_EQ(tg["UnhealthyThresholdCount"], 4);
  EXPECT_EQ(tg["HealthCheckPath"], "/");
  EXPECT_FALSE(tg.contains("HealthyThresholdCount"));
  ExpectLintClean(tmpl);

  // Brought into ELB's ranges: interval 5-300s, timeout 2-120s, threshold 2-10.
  tg = group(WithHealthcheck(web, 1h, 1s, 20));
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 300);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 2);
  EXPECT_EQ(tg["UnhealthyThresholdCount"], 10);
  tg = group(WithHealthcheck(web, std::nullopt, std::nullopt, 1));
  EXPECT_EQ(tg["UnhealthyThresholdCount"], 2);
  EXPECT_FALSE(tg.contains("HealthCheckIntervalSeconds"));
  EXPECT_FALSE(tg.contains("HealthCheckTimeoutSeconds"));

  // The timeout stays below the interval: ELB rejects the pair otherwise.
  tmpl = ConvertOk(Project("p", {WithHealthcheck(web, 2s, 10s, std::nullopt)}));
  tg = Props(tmpl, "WebTCP3000TargetGroup");
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 5);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 4);
  ExpectLintClean(tmpl);
  // ... also against ELB's defaults: 30s interval, 5s timeout on an application one.
  tg = group(WithHealthcheck(web, std::nullopt, 1min, std::nullopt));
  EXPECT_FALSE(tg.contains("HealthCheckIntervalSeconds"));
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 29);
  tg = group(WithHealthcheck(web, 5s, std::nullopt, std::nullopt));
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 5);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 4);

  // The extension wins; what it leaves out still comes from the healthcheck, and the one it
  // does not give moves to keep the pair valid.
  compose::Service extended = WithHealthcheck(web, 10s, 20s, 3);
  extended.extensions = {{"x-ecsync-target_health", {{"interval", 15}}}};
  tg = group(extended);
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 15);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 14);
  EXPECT_EQ(tg["UnhealthyThresholdCount"], 3);
  extended.extensions = {{"x-ecsync-target_health", {{"timeout", 40}, {"unhealthy_threshold", 6}}}};
  tg = group(extended);
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 41);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 40);
  EXPECT_EQ(tg["UnhealthyThresholdCount"], 6);

  // A disabled healthcheck, or none, leaves ELB's defaults.
  compose::Service disabled = WithHealthcheck(web, 10s, 3s, 4);
  disabled.healthcheck->disable = true;
  for (const compose::Service& service : {disabled, web}) {
    tg = group(service);
    EXPECT_FALSE(tg.contains("HealthCheckIntervalSeconds"));
    EXPECT_FALSE(tg.contains("HealthCheckTimeoutSeconds"));
    EXPECT_FALSE(tg.contains("UnhealthyThresholdCount"));
    EXPECT_FALSE(tg.contains("HealthCheckPath"));
  }

  // A network load balancer's TCP check: same timings.
  compose::Service tcp = WithHealthcheck(Service("db", "postgres", {Port(5432)}), 20s, 5s, 5);
  tmpl = ConvertOk(Project("p", {tcp}));
  tg = Props(tmpl, "DbTCP5432TargetGroup");
  EXPECT_EQ(tg["Protocol"], "TCP");
  EXPECT_EQ(tg["HealthCheckIntervalSeconds"], 20);
  EXPECT_EQ(tg["HealthCheckTimeoutSeconds"], 5);
  EXPECT_EQ(tg["UnhealthyThresholdCount"], 5);
  ExpectLintClean(tmpl);
}

TEST(Ports, TcpAndUdpOnOnePortIsOneTcpUdpListener) {
  // pihole's DNS: "53:53/tcp" and "53:53/udp", and its web UI on "8080:80".
  ordered_json tmpl = ConvertOk(Project(
      "dns", {Service("pihole", "pihole/pihole", {Port(53), Port(53, "udp"), Mapped(8080, 80)})}));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "network");
  EXPECT_EQ(Props(tmpl, "PiholeTCPUDP53Listener")["Protocol"], "TCP_UDP");
  EXPECT_EQ(Props(tmpl, "PiholeTCPUDP53TargetGroup")["Protocol"], "TCP_UDP");
  EXPECT_EQ(Props(tmpl, "Default53Ingress")["IpProtocol"], "TCP");
  EXPECT_EQ(Props(tmpl, "Default53UDPIngress")["IpProtocol"], "UDP");
  EXPECT_EQ(Props(tmpl, "PiholeTCP8080Listener")["DefaultActions"][0]["TargetGroupArn"],
            RefTo("PiholeTCP80TargetGroup"));
  EXPECT_EQ(MainContainer(tmpl, "PiholeTaskDefinition")["PortMappings"].size(), 3u);
  ExpectLintClean(tmpl);
}

TEST(Ports, EachListenerPortOnce) {
  EXPECT_NE(ConvertError(Project("p", {Service("a", "x", {Mapped(80, 3000)}),
                                       Service("b", "y", {Port(80)})}))
                .find("also published by"),
            std::string::npos);
}

TEST(Ports, XAwsProtocolHttpAsksForAnApplicationLoadBalancer) {
  // Docker's example: an HTTP service on 8080 gets an application load balancer.
  ordered_json tmpl = ConvertOk(Project(
      "p", {Service("test", "nginx", {WithProtocolExtension(Port(8080), "http")}),
            Service("admin", "example/admin", {WithProtocolExtension(Port(8081), "HTTP")})}));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "application");
  EXPECT_EQ(Props(tmpl, "TestTCP8080Listener")["Protocol"], "HTTP");
  EXPECT_EQ(Props(tmpl, "TestTCP8080TargetGroup")["Protocol"], "HTTP");
  EXPECT_EQ(Props(tmpl, "AdminTCP8081Listener")["Protocol"], "HTTP");
  ExpectLintClean(tmpl);
  // Without the extension the same ports make a network load balancer.
  ordered_json plain = ConvertOk(Project("p", {Service("test", "nginx", {Port(8080)})}));
  EXPECT_EQ(Props(plain, "LoadBalancer")["Type"], "network");
}

TEST(Ports, XAwsProtocolTcpKeepsPort443OffHttp) {
  // TLS passed through to the container: a network load balancer, TCP listeners.
  ordered_json tmpl = ConvertOk(Project(
      "p", {Service("proxy", "haproxy", {WithProtocolExtension(Port(443), "tcp"), Port(80)})}));
  EXPECT_EQ(Props(tmpl, "LoadBalancer")["Type"], "network");
  EXPECT_EQ(Props(tmpl, "ProxyTCP443Listener")["Protocol"], "TCP");
  EXPECT_EQ(Props(tmpl, "ProxyTCP80Listener")["Protocol"], "TCP");
  ExpectLintClean(tmpl);
}

TEST(Ports, XAwsProtocolErrorsNameThePort) {
  auto error = [](compose::PortMapping port) {
    return ConvertError(Project("p", {Service("web", "nginx", {std::move(port)})}));
  };
  std::string message = error(WithProtocolExtension(Port(8080), "grpc"));
  EXPECT_NE(message.find("ports[0]: x-aws-protocol"), std::string::npos) << message;
  EXPECT_NE(message.find("use http, https or tcp"), std::string::npos) << message;
  EXPECT_NE(error(WithProtocolExtension(Port(53, "udp"), "http")).find("needs protocol tcp"),
            std::string::npos);
  compose::PortMapping both = WithProtocolExtension(Port(8080), "tcp");
  both.app_protocol = "http";
  EXPECT_NE(error(both).find("contradicts app_protocol"), std::string::npos);
  compose::PortMapping tls = WithProtocolExtension(Port(8443), "http");
  tls.app_protocol = "https";
  EXPECT_NE(error(tls).find("http contradicts app_protocol https"), std::string::npos);
  compose::PortMapping number = Port(8080);
  number.extensions = {{"x-aws-protocol", 80}};
  EXPECT_NE(error(number).find("must be http, https or tcp"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
