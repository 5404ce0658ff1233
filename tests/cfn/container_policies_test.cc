// restart as the container's RestartPolicy, pre_start steps as init containers, service-level
// gpus, x-aws-version-consistency and x-aws-az-rebalancing.

#include <gtest/gtest.h>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::MainContainer;
using testing::Project;
using testing::Props;
using testing::Service;

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
