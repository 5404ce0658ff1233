// The newer compose keys: gpus and pre_start load into the model; the lifecycle and
// development keys ECS cannot honour are reported with their file:line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compose/loader.h"
#include "compose/project_json.h"
#include "tests/compose/ecs_check_helpers.h"

namespace ecsync::compose {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::Errors;
using ::testing::HasSubstr;
using testing::LoadChecked;
using ::testing::Not;
using testing::OnlyService;
using testing::Warnings;

TEST(LifecycleKeys, GpusAllIsOneRequestForEveryGpu) {
  const Service ml = OnlyService("services:\n  ml:\n    image: m\n    gpus: all\n");
  ASSERT_EQ(ml.gpus.size(), 1u);
  EXPECT_THAT(ml.gpus[0].capabilities, ElementsAre("gpu"));
  EXPECT_EQ(ml.gpus[0].count, -1);
}

TEST(LifecycleKeys, GpusListKeepsCountsAndDeviceIds) {
  const Service ml = OnlyService(
      "services:\n  ml:\n    image: m\n    gpus:\n"
      "      - {driver: nvidia, count: 2}\n"
      "      - {device_ids: ['0', '3']}\n");
  ASSERT_EQ(ml.gpus.size(), 2u);
  EXPECT_EQ(ml.gpus[0].count, 2);
  EXPECT_EQ(ml.gpus[0].driver, "nvidia");
  EXPECT_THAT(ml.gpus[0].capabilities, ElementsAre("gpu"));
  EXPECT_THAT(ml.gpus[1].device_ids, ElementsAre("0", "3"));
}

TEST(LifecycleKeys, GpusRejectsOtherStrings) {
  const std::string error = Errors("services:\n  ml:\n    image: m\n    gpus: some\n");
  EXPECT_THAT(error, HasSubstr("compose.yaml:4:11"));
  EXPECT_THAT(error, HasSubstr("\"all\""));
}

TEST(LifecycleKeys, PreStartStepsLoadInOrder) {
  const Service app = OnlyService(
      "services:\n  app:\n    image: app:1\n    pre_start:\n"
      "      - command: [\"./manage.py\", \"migrate\"]\n"
      "        environment: {MODE: migrate}\n"
      "        user: \"1000\"\n"
      "      - image: busybox\n"
      "        command: sh -c 'chown -R 1000 /data'\n"
      "        working_dir: /data\n"
      "        per_replica: true\n");
  ASSERT_EQ(app.pre_start.size(), 2u);
  EXPECT_THAT(*app.pre_start[0].command, ElementsAre("./manage.py", "migrate"));
  EXPECT_EQ(app.pre_start[0].environment.at("MODE"), "migrate");
  EXPECT_EQ(app.pre_start[0].user, "1000");
  EXPECT_EQ(app.pre_start[0].location.line, 5);
  EXPECT_EQ(app.pre_start[1].image, "busybox");
  EXPECT_THAT(*app.pre_start[1].command, ElementsAre("sh", "-c", "chown -R 1000 /data"));
  EXPECT_EQ(app.pre_start[1].working_dir, "/data");
  EXPECT_TRUE(app.pre_start[1].per_replica);
}

// `ecsync config` prints what was loaded.
TEST(LifecycleKeys, ConfigOutputShowsGpusAndPreStart) {
  base::Result<Project> project = LoadChecked(
      "services:\n  app:\n    image: a\n    gpus: all\n    pre_start:\n"
      "      - {command: migrate, environment: [MODE=migrate], user: \"0\"}\n");
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const nlohmann::ordered_json json = ProjectToJson(*project);
  const nlohmann::ordered_json& app = json["services"]["app"];
  EXPECT_EQ(app["gpus"][0]["count"], "all");
  EXPECT_EQ(app["pre_start"][0]["command"][0], "migrate");
  EXPECT_EQ(app["pre_start"][0]["environment"]["MODE"], "migrate");
  EXPECT_EQ(app["pre_start"][0]["user"], "0");
}

TEST(LifecycleKeys, HooksAndDevelopmentKeysAreWarnedAtTheirLine) {
  const std::vector<std::string> warnings = Warnings(
      "services:\n  web:\n    image: nginx\n"
      "    post_start:\n      - command: echo hi\n"
      "    pre_stop:\n      - command: echo bye\n"
      "    develop:\n      watch:\n        - {path: ./src, action: sync, target: /src}\n"
      "    models:\n      - llm\n");
  for (const char* want :
       {"compose.yaml:4:5: services.web.post_start:", "compose.yaml:6:5: services.web.pre_stop:",
        "compose.yaml:8:5: services.web.develop:", "compose.yaml:11:5: services.web.models:"}) {
    EXPECT_THAT(warnings, Contains(HasSubstr(want)));
  }
}

TEST(LifecycleKeys, ProviderAndApiSocketAreErrors) {
  EXPECT_THAT(Errors("services:\n  db:\n    provider:\n      type: awesomecloud\n"),
              HasSubstr("compose.yaml:3:5: services.db.provider:"));
  EXPECT_THAT(Errors("services:\n  ci:\n    image: docker\n    use_api_socket: true\n"),
              HasSubstr("compose.yaml:4:5: services.ci.use_api_socket:"));
  EXPECT_TRUE(LoadChecked("services:\n  ci:\n    image: docker\n    use_api_socket: false\n").ok());
}

TEST(LifecycleKeys, PrivilegedPreStartIsAnError) {
  EXPECT_THAT(Errors("services:\n  app:\n    image: a\n    pre_start:\n"
                     "      - {command: id, privileged: true}\n"),
              HasSubstr("compose.yaml:5:9: services.app.pre_start[0].privileged:"));
}

TEST(LifecycleKeys, PreStartOfAScaledServiceRunsPerTask) {
  const std::string compose =
      "services:\n  app:\n    image: a\n    deploy: {replicas: 3}\n    pre_start:\n"
      "      - command: migrate\n";
  EXPECT_THAT(Warnings(compose),
              Contains(HasSubstr("compose.yaml:6:9: services.app.pre_start[0]: runs once per "
                                 "task")));
  EXPECT_THAT(Warnings(compose + "        per_replica: true\n"),
              Not(Contains(HasSubstr("pre_start"))));
}

TEST(LifecycleKeys, RestartMapsAndOnlyItsRetryLimitIsWarned) {
  EXPECT_THAT(Warnings("services:\n  web:\n    image: nginx\n    restart: on-failure\n"),
              Not(Contains(HasSubstr("restart"))));
  EXPECT_THAT(Warnings("services:\n  web:\n    image: nginx\n    restart: on-failure:5\n"),
              Contains(HasSubstr("compose.yaml:4:5: services.web.restart: the retry limit 5")));
}

TEST(LifecycleKeys, StartIntervalIsWarnedAtItsLine) {
  EXPECT_THAT(Warnings("services:\n  web:\n    image: nginx\n    healthcheck:\n"
                       "      test: [CMD, \"true\"]\n      start_interval: 2s\n"),
              Contains(HasSubstr("compose.yaml:6:7: services.web.healthcheck.start_interval:")));
}

}  // namespace
}  // namespace ecsync::compose
