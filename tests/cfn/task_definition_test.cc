// What compose says about a container, in the task definition and its roles.

#include <gtest/gtest.h>

#include <chrono>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::MainContainer;
using testing::Project;
using testing::Props;
using testing::Service;

compose::Service Detailed() {
  compose::Service app = Service("app", "example/app:3");
  app.healthcheck = compose::Healthcheck{};
  app.healthcheck->test = {"CMD-SHELL", "curl -f http://localhost/ || exit 1"};
  app.healthcheck->interval = std::chrono::seconds(30);
  app.healthcheck->timeout = std::chrono::seconds(5);
  app.healthcheck->retries = 3;
  app.healthcheck->start_period = std::chrono::seconds(40);
  app.user = "1000:1000";
  app.working_dir = "/srv";
  app.init = true;
  app.cap_add = {"SYS_PTRACE"};
  app.cap_drop = {"NET_RAW"};
  app.ulimits = {{"nofile", {65535, 65535, true}}};
  app.sysctls = {{"net.core.somaxconn", "1024"}};
  app.stop_grace_period = std::chrono::seconds(45);
  app.labels = {{"team", "payments"}};
  app.logging = compose::Logging{"awslogs", {{"awslogs-datetime-format", "%Y-%m-%d"}}};
  app.read_only = true;
  app.tmpfs = {"/tmp:size=64m"};
  app.extensions = {{"x-aws-policies", {"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}},
                    {"x-aws-role",
                     {{"Version", "2012-10-17"},
                      {"Statement",
                       {{{"Effect", "Allow"},
                         {"Action", "sqs:*"},
                         {"Resource", "arn:aws:sqs:us-east-1:123456789012:q"}}}}}},
                    {"x-aws-pull_credentials",
                     "arn:aws:secretsmanager:us-east-1:123456789012:secret:pull-AbCdEf"}};
  return app;
}

TEST(TaskDefinition, ContainerFromCompose) {
  ordered_json tmpl = ConvertOk(Project("p", {Detailed()}));
  const ordered_json& main = MainContainer(tmpl, "AppTaskDefinition");
  EXPECT_EQ(main["HealthCheck"],
            (ordered_json{{"Command", {"CMD-SHELL", "curl -f http://localhost/ || exit 1"}},
                          {"Interval", 30},
                          {"Retries", 3},
                          {"StartPeriod", 40},
                          {"Timeout", 5}}));
  EXPECT_EQ(main["User"], "1000:1000");
  EXPECT_EQ(main["WorkingDirectory"], "/srv");
  EXPECT_EQ(main["LinuxParameters"]["InitProcessEnabled"], true);
  EXPECT_EQ(main["LinuxParameters"]["Capabilities"]["Add"], (ordered_json{"SYS_PTRACE"}));
  EXPECT_EQ(main["LinuxParameters"]["Capabilities"]["Drop"], (ordered_json{"NET_RAW"}));
  EXPECT_EQ(main["Ulimits"],
            (ordered_json{{{"HardLimit", 65535}, {"Name", "nofile"}, {"SoftLimit", 65535}}}));
  EXPECT_EQ(main["SystemControls"][0]["Namespace"], "net.core.somaxconn");
  EXPECT_EQ(main["StopTimeout"], 45);
  EXPECT_EQ(main["DockerLabels"]["team"], "payments");
  EXPECT_EQ(main["LogConfiguration"]["Options"]["awslogs-datetime-format"], "%Y-%m-%d");
  EXPECT_EQ(main["LogConfiguration"]["Options"]["awslogs-stream-prefix"], "p");
  EXPECT_EQ(main["ReadonlyRootFilesystem"], true);
  EXPECT_EQ(main["RepositoryCredentials"]["CredentialsParameter"],
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:pull-AbCdEf");
  // tmpfs becomes a task-scoped scratch volume (Fargate has no tmpfs mounts).
  EXPECT_EQ(main["MountPoints"][0]["ContainerPath"], "/tmp");
  EXPECT_EQ(Props(tmpl, "AppTaskDefinition")["Volumes"][0]["Name"], "scratch0");

  const ordered_json& role = Props(tmpl, "AppTaskRole");
  EXPECT_EQ(role["ManagedPolicyArns"],
            (ordered_json{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}));
  EXPECT_EQ(role["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"], "sqs:*");
  // The execution role may read the pull credentials.
  EXPECT_NE(Props(tmpl, "AppTaskExecutionRole").dump().find("secret:pull-AbCdEf"),
            std::string::npos);
  ExpectLintClean(tmpl);
}

TEST(TaskDefinition, RejectsWhatFargateCannotDo) {
  compose::Service app = Service("app", "x");
  app.cap_add = {"NET_ADMIN"};
  EXPECT_NE(ConvertError(Project("p", {app})).find("cap_add NET_ADMIN"), std::string::npos);
  app = Service("app", "x");
  app.sysctls = {{"vm.max_map_count", "262144"}};
  EXPECT_NE(ConvertError(Project("p", {app})).find("sysctls.vm.max_map_count"), std::string::npos);
  app = Service("app", "x");
  app.stop_grace_period = std::chrono::minutes(5);
  EXPECT_NE(ConvertError(Project("p", {app})).find("stop_grace_period"), std::string::npos);
  app = Service("app", "x");
  app.privileged = true;
  EXPECT_NE(ConvertError(Project("p", {app})).find("privileged"), std::string::npos);
  app = Service("app", "x");
  app.network_mode = "bridge";
  EXPECT_NE(ConvertError(Project("p", {app})).find("network_mode"), std::string::npos);
}

TEST(TaskDefinition, WhatEcsCannotTakeAsWrittenIsAdaptedWithWarnings) {
  compose::Service db = Service("db", "mysql");
  db.healthcheck = compose::Healthcheck{};
  db.healthcheck->test = {"CMD", "mysqladmin", "ping"};
  db.healthcheck->interval = std::chrono::seconds(3);
  db.healthcheck->retries = 20;
  db.logging = compose::Logging{"loki", {{"loki-url", "http://loki:3100"}}};
  base::Result<Conversion> result = ConvertProject(Project("p", {db}), testing::RealisticNetwork());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ordered_json& main = MainContainer(result->tmpl, "DbTaskDefinition");
  EXPECT_EQ(main["HealthCheck"]["Interval"], 5);
  EXPECT_EQ(main["HealthCheck"]["Retries"], 10);
  EXPECT_EQ(main["LogConfiguration"]["LogDriver"], "awslogs");
  EXPECT_FALSE(main["LogConfiguration"]["Options"].contains("loki-url"));
  ASSERT_EQ(result->warnings.size(), 3u);
  EXPECT_NE(result->warnings[0].find("healthcheck.interval 3s"), std::string::npos);
  EXPECT_NE(result->warnings[1].find("healthcheck.retries 20"), std::string::npos);
  EXPECT_NE(result->warnings[2].find("logging.driver loki"), std::string::npos);
}

TEST(TaskDefinition, BindMountsAreLeftOutWithAWarning) {
  compose::Service web = Service("web", "nginx");
  compose::ServiceVolume bind;
  bind.type = "bind";
  bind.source = "/home/me/site";
  bind.target = "/usr/share/nginx/html";
  web.volumes = {bind};
  compose::Project project = Project("p", {web});
  project.configs["nginx"] = compose::FileObjectConfig{};
  base::Result<Conversion> result = ConvertProject(project, testing::RealisticNetwork());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->warnings.size(), 2u);
  EXPECT_NE(result->warnings[0].find("config \"nginx\""), std::string::npos);
  EXPECT_NE(result->warnings[1].find("service \"web\" (compose.yaml:2:3): volumes[0]"),
            std::string::npos);
  EXPECT_FALSE(MainContainer(result->tmpl, "WebTaskDefinition").contains("MountPoints"));
}

}  // namespace
}  // namespace ecsync::cfn
