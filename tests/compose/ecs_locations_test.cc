// ECS check diagnostics point at the line of the key they are about, not the service's line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compose/loader.h"
#include "tests/compose/ecs_check_helpers.h"
#include "tests/compose/memory_file_reader.h"

namespace ecsync::compose {
namespace {

using ::testing::Contains;
using testing::Errors;
using ::testing::HasSubstr;
using testing::Warnings;

TEST(EcsLocations, ScalarWarningsPointAtTheirKey) {
  const std::vector<std::string> warnings = Warnings(
      "services:\n"
      "  web:\n"
      "    image: nginx\n"
      "    hostname: web\n"
      "    container_name: web\n"
      "    restart: always\n"
      "    stop_signal: SIGINT\n"
      "    pull_policy: always\n"
      "    logging:\n"
      "      driver: json-file\n"
      "    deploy:\n"
      "      replicas: 1\n"
      "      restart_policy: {condition: any, max_attempts: 3}\n"
      "      endpoint_mode: vip\n"
      "    healthcheck:\n"
      "      test: [CMD, \"true\"]\n"
      "      start_interval: 1s\n");
  EXPECT_THAT(warnings, Contains(HasSubstr("compose.yaml:4:5: services.web.hostname:")));
  EXPECT_THAT(warnings, Contains(HasSubstr("compose.yaml:5:5: services.web.container_name:")));
  EXPECT_THAT(warnings, Contains(HasSubstr("compose.yaml:6:5: services.web.restart:")));
  EXPECT_THAT(warnings, Contains(HasSubstr("compose.yaml:7:5: services.web.stop_signal:")));
  EXPECT_THAT(warnings, Contains(HasSubstr("compose.yaml:8:5: services.web.pull_policy:")));
  EXPECT_THAT(warnings, Contains(HasSubstr("compose.yaml:10:7: services.web.logging.driver:")));
  EXPECT_THAT(
      warnings,
      Contains(HasSubstr("compose.yaml:13:7: services.web.deploy.restart_policy.max_attempts:")));
  EXPECT_THAT(warnings,
              Contains(HasSubstr("compose.yaml:14:7: services.web.deploy.endpoint_mode:")));
  EXPECT_THAT(warnings,
              Contains(HasSubstr("compose.yaml:17:7: services.web.healthcheck.start_interval:")));
}

TEST(EcsLocations, ErrorsPointAtTheirKey) {
  EXPECT_THAT(Errors("services:\n  web:\n    image: nginx\n\n    network_mode: host\n"),
              HasSubstr("compose.yaml:5:5: services.web.network_mode:"));
  EXPECT_THAT(Errors("services:\n  web:\n    image: nginx\n    cap_add: [NET_ADMIN]\n"),
              HasSubstr("compose.yaml:4:5: services.web.cap_add:"));
  EXPECT_THAT(Errors("services:\n  web:\n    image: nginx\n    deploy:\n      mode: global\n"),
              HasSubstr("compose.yaml:5:7: services.web.deploy.mode:"));
}

// A port bound to a loopback address means "not public": on ECS it stays inside the project
// (no listener), said once with the key's line. Another single address cannot be honoured on
// Fargate, so it is an error. The any-address forms are what ECS does anyway: no message.
TEST(EcsLocations, HostIpsAreScopedOrRefused) {
  const std::vector<std::string> warnings = Warnings(
      "services:\n  web:\n    image: nginx\n    ports:\n"
      "      - \"127.0.0.1:80:80\"\n"
      "      - {target: 81, host_ip: localhost}\n");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("compose.yaml:5:9: services.web.ports[0]: host IP 127.0.0.1 "
                                     "keeps port 80 inside the project"));
  EXPECT_THAT(warnings[1], HasSubstr("compose.yaml:6:9: services.web.ports[1]: host IP localhost"));
  std::string error = Errors(
      "services:\n  web:\n    image: nginx\n    ports:\n"
      "      - \"10.1.2.3:8080:80\"\n");
  EXPECT_THAT(error, HasSubstr("compose.yaml:5:9: services.web.ports[0]: host IP 10.1.2.3"));
  EXPECT_THAT(error, HasSubstr("mode: host"));
  EXPECT_THAT(Warnings("services:\n  web:\n    image: nginx\n    ports:\n"
                       "      - \"0.0.0.0:80:80\"\n"
                       "      - {target: 81, host_ip: \"::\"}\n"),
              ::testing::IsEmpty());
}

TEST(EcsLocations, KeysFromAnOverrideFilePointIntoIt) {
  MemoryFileReader reader({{"compose.yaml", "services:\n  web:\n    image: nginx\n"},
                           {"override.yaml", "services:\n  web:\n    hostname: h\n"}});
  LoadOptions options;
  options.files = {"compose.yaml", "override.yaml"};
  options.project_name = "p";
  options.ecs_check = true;
  base::Result<Project> project = Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  ASSERT_FALSE(project->warnings.empty());
  EXPECT_THAT(project->warnings[0].ToString(),
              HasSubstr("override.yaml:3:5: services.web.hostname:"));
}

}  // namespace
}  // namespace ecsync::compose
