// Every template shape Convert produces must pass the real cfn-lint with no errors.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cfn/convert.h"
#include "tests/cfn/projects.h"
#include "tests/support/support.h"
#include "tests/support/zygotes.h"

namespace ecsync::cfn {
namespace {

// cfn-lint checks ID formats, so these are shaped like real ones.
const ConvertOptions kRealisticNetwork{"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};

void ExpectLintClean(const compose::Project& project, const ConvertOptions& options, bool yaml) {
  base::Result<nlohmann::ordered_json> tmpl = Convert(project, options);
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();
  std::string text = yaml ? ToYaml(*tmpl) : ToJson(*tmpl);
  base::Status lint = ecsync::testing::CfnLint(text);
  EXPECT_TRUE(lint.ok()) << lint.ToString() << "\n" << text;
}

TEST(CfnLint, SingleServiceWithVpcParameters) {
  ExpectLintClean(testing::SimpleSingleService(), {}, /*yaml=*/false);
}

TEST(CfnLint, SingleServiceWithGivenVpcAsYaml) {
  ExpectLintClean(testing::SimpleSingleService(), kRealisticNetwork, /*yaml=*/true);
}

TEST(CfnLint, MultipleServicesNetworkLoadBalancer) {
  ExpectLintClean(testing::MultiServiceNetworkLb(), kRealisticNetwork, /*yaml=*/false);
}

TEST(CfnLint, MultipleServicesApplicationLoadBalancerWithParametersAsYaml) {
  ExpectLintClean(testing::MultiServiceApplicationLb(), {}, /*yaml=*/true);
}

TEST(CfnLint, UdpAndNoLoadBalancer) {
  ExpectLintClean(testing::Project("dns", {testing::Service("resolver", "coredns/coredns",
                                                            {testing::Port(53, "udp")})}),
                  kRealisticNetwork, /*yaml=*/false);
  ExpectLintClean(testing::Project("batch", {testing::Service("job", "busybox")}), {},
                  /*yaml=*/false);
}

// Each deployment strategy behind an HTTPS listener with the HTTP redirect, as YAML: the
// alternate target groups, listener rules, deployment role, hooks and the approval function.
TEST(CfnLint, DeploymentStrategiesBehindHttpsAsYaml) {
  for (const char* strategy : {"rolling", "blue_green", "linear", "canary"}) {
    compose::PortMapping https = testing::Port(8080);
    https.published = 443;
    compose::Service web = testing::Service("web", "ghcr.io/acme/web:1.4", {https});
    nlohmann::ordered_json deployment = {{"strategy", strategy}, {"alarms", {"web-5xx"}}};
    if (std::string(strategy) != "rolling") {
      deployment["bake_minutes"] = 15;
      deployment["approval"] = "manual";
      deployment["hooks"] = {{{"function", "arn:aws:lambda:us-east-1:123456789012:function:check"},
                              {"stages", {"PRE_SCALE_UP", "POST_PRODUCTION_TRAFFIC_SHIFT"}}}};
    }
    web.extensions = {{"x-aws-deployment", deployment}};
    compose::Project project = testing::Project("shop", {web});
    project.extensions = {
        {"x-ecsync-certificate",
         "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc"},
        {"x-ecsync-redirect_http", true}};
    SCOPED_TRACE(strategy);
    ExpectLintClean(project, kRealisticNetwork, /*yaml=*/true);
  }
}

// Service Connect, port names and app protocols, restart policies, pre_start init
// containers, ARM64, version consistency and AZ rebalancing in one project; and the GPU path
// reached through the service-level `gpus` key.
TEST(CfnLint, ModernMapping) {
  compose::PortMapping grpc = testing::Port(50051);
  grpc.name = "rpc";
  grpc.app_protocol = "grpc";
  compose::PortMapping http = testing::Port(80);
  http.app_protocol = "http";
  compose::Service api = testing::Service("api", "example/api:1", {grpc, http});
  api.restart = "on-failure";
  api.platform = "linux/arm64";
  compose::PreStartHook migrate;
  migrate.command = std::vector<std::string>{"migrate", "up"};
  migrate.environment = {{"MODE", "migrate"}};
  api.pre_start = {migrate};
  api.extensions = {{"x-aws-version-consistency", "disabled"}, {"x-aws-az-rebalancing", "ENABLED"}};
  compose::Service worker = testing::Service("worker", "example/worker:1");
  worker.restart = "always";
  compose::Project project = testing::Project("modern", {api, worker});
  project.extensions = {{"x-aws-service-connect", {{"enabled", true}}}};
  ExpectLintClean(project, kRealisticNetwork, /*yaml=*/false);

  compose::Service learner = testing::Service("learner", "tensorflow/tensorflow:latest-gpu");
  compose::DeviceRequest all;
  all.capabilities = {"gpu"};
  all.count = -1;
  learner.gpus = {all};
  ExpectLintClean(testing::Project("ml", {learner}), kRealisticNetwork, /*yaml=*/true);
}

// The check has teeth: Docker's own golden values (vpc-123, subnet1) are not valid IDs.
TEST(CfnLint, ReportsErrors) {
  base::Result<nlohmann::ordered_json> tmpl =
      Convert(testing::SimpleSingleService(), {"vpc-123", {"subnet1", "subnet2"}});
  ASSERT_TRUE(tmpl.ok());
  base::Status lint = ecsync::testing::CfnLint(ToJson(*tmpl));
  EXPECT_FALSE(lint.ok());
  EXPECT_NE(lint.message().find("vpc-123"), std::string::npos) << lint.ToString();
}

// Under ctest the lint runs in the cfn-lint zygote (docs/testing.md): what it finds must be
// what the cfn-lint command finds, byte for byte, for a clean template and a faulty one.
TEST(CfnLint, TheZygoteFindsWhatTheCommandFinds) {
  base::Result<nlohmann::ordered_json> clean =
      Convert(testing::MultiServiceApplicationLb(), kRealisticNetwork);
  base::Result<nlohmann::ordered_json> faulty =
      Convert(testing::SimpleSingleService(), {"vpc-123", {"subnet1", "subnet2"}});
  ASSERT_TRUE(clean.ok() && faulty.ok());
  ecsync::testing::TempDir dir;
  // Each run of the command costs two CPU-seconds: a clean JSON template, a faulty YAML one.
  const std::vector<std::string> paths = {dir.WriteFile("clean.json", ToJson(*clean)),
                                          dir.WriteFile("faulty.yaml", ToYaml(*faulty))};
  if (!ecsync::testing::CfnLintInZygote(paths[0]).has_value()) {
    GTEST_SKIP() << "no cfn-lint zygote: run under ctest";
  }
  for (const std::string& path : paths) {
    std::optional<ecsync::testing::CommandResult> zygote = ecsync::testing::CfnLintInZygote(path);
    ecsync::testing::CommandResult command =
        ecsync::testing::RunCommand({"cfn-lint", "--format", "parseable", "--", path});
    ASSERT_TRUE(zygote.has_value()) << path;
    EXPECT_EQ(zygote->exit_code, command.exit_code) << path;
    EXPECT_EQ(zygote->out, command.out) << path;
  }
  // The faulty one has findings (a zygote that answered nothing would match nothing above).
  EXPECT_NE(ecsync::testing::CfnLintInZygote(paths[1])->out.find(":E"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
