// The schema's `required` keys and patternProperties name rules (compose-spec.json), each an
// error naming the file, line and key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "compose/schema.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {
namespace {

using ::testing::HasSubstr;

std::string SchemaError(const std::string& text) {
  base::Result<YamlNode> root = ParseYaml(text, "compose.yaml");
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  if (!root.ok()) return "<unparsed>";
  base::Status status = ValidateSchema(*root);
  EXPECT_FALSE(status.ok()) << text;
  return status.ok() ? "<valid>" : status.message();
}

base::Status Validate(const std::string& text) {
  base::Result<YamlNode> root = ParseYaml(text, "compose.yaml");
  if (!root.ok()) return root.status();
  return ValidateSchema(*root);
}

TEST(SchemaRequired, ExtendsMappingNeedsService) {
  EXPECT_EQ(SchemaError("services:\n  web:\n    extends:\n      file: base.yaml\n"),
            "compose.yaml:4:7: services.web.extends: missing required key \"service\"; add it");
  EXPECT_TRUE(Validate("services:\n  web:\n    extends: base\n").ok());
}

TEST(SchemaRequired, LongVolumeNeedsType) {
  EXPECT_EQ(SchemaError("services:\n  web:\n    volumes:\n      - source: data\n"
                        "        target: /data\n"),
            "compose.yaml:4:9: services.web.volumes[0]: missing required key \"type\"; add it");
  EXPECT_TRUE(Validate("services:\n  web:\n    volumes:\n      - type: volume\n"
                       "        source: data\n        target: /data\n")
                  .ok());
}

TEST(SchemaRequired, EnvFileItemNeedsPath) {
  EXPECT_THAT(SchemaError("services:\n  web:\n    env_file:\n      - required: false\n"),
              HasSubstr("services.web.env_file[0]: missing required key \"path\""));
}

TEST(SchemaRequired, UlimitMappingNeedsSoftAndHard) {
  EXPECT_EQ(SchemaError("services:\n  web:\n    ulimits:\n      nofile:\n        soft: 1024\n"),
            "compose.yaml:5:9: services.web.ulimits.nofile: missing required key \"hard\"; "
            "add it");
  EXPECT_TRUE(Validate("services:\n  web:\n    ulimits:\n      nproc: 65535\n"
                       "      nofile: {soft: 1, hard: 2}\n")
                  .ok());
}

TEST(SchemaRequired, DevicesHooksProviderAndModels) {
  EXPECT_THAT(
      SchemaError("services:\n  web:\n    deploy:\n      resources:\n        reservations:\n"
                  "          devices:\n            - driver: nvidia\n"),
      HasSubstr("services.web.deploy.resources.reservations.devices[0]: missing "
                "required key \"capabilities\""));
  EXPECT_THAT(SchemaError("services:\n  web:\n    devices:\n      - target: /dev/x\n"),
              HasSubstr("services.web.devices[0]: missing required key \"source\""));
  EXPECT_THAT(SchemaError("services:\n  web:\n    post_start:\n      - user: root\n"),
              HasSubstr("services.web.post_start[0]: missing required key \"command\""));
  EXPECT_THAT(SchemaError("services:\n  web:\n    provider:\n      options: {a: b}\n"),
              HasSubstr("services.web.provider: missing required key \"type\""));
  EXPECT_THAT(SchemaError("services: {}\nmodels:\n  llm:\n    context_size: 10\n"),
              HasSubstr("models.llm: missing required key \"model\""));
}

// docker compose fills in `condition: service_started` before it checks the schema.
TEST(SchemaRequired, DependsOnWithoutConditionIsAccepted) {
  EXPECT_TRUE(Validate("services:\n  web:\n    depends_on:\n      db: {}\n      cache:\n"
                       "        required: false\n")
                  .ok());
}

TEST(SchemaNames, ServiceNamesFollowThePattern) {
  EXPECT_EQ(SchemaError("services:\n  my web:\n    image: a\n"),
            "compose.yaml:2:3: services.my web: invalid name \"my web\"; use only letters, "
            "digits, '.', '_' and '-'");
  EXPECT_TRUE(Validate("services:\n  web-1.a_b:\n    image: a\n").ok());
}

TEST(SchemaNames, TopLevelSectionsFollowThePattern) {
  for (const char* section : {"networks", "volumes", "secrets", "configs"}) {
    EXPECT_THAT(SchemaError(std::string("services: {}\n") + section + ":\n  \"a/b\": {}\n"),
                HasSubstr(std::string("compose.yaml:3:3: ") + section + ".a/b: invalid name"))
        << section;
  }
}

TEST(SchemaNames, ServiceReferencesFollowThePattern) {
  EXPECT_THAT(SchemaError("services:\n  web:\n    depends_on:\n      \"db:x\": {}\n"),
              HasSubstr("compose.yaml:4:7: services.web.depends_on.db:x: invalid name"));
  EXPECT_THAT(SchemaError("services:\n  web:\n    networks:\n      \"front end\":\n"),
              HasSubstr("services.web.networks.front end: invalid name"));
}

TEST(SchemaNames, UlimitNamesAreLowerCase) {
  EXPECT_THAT(SchemaError("services:\n  web:\n    ulimits:\n      NOFILE: 10\n"),
              HasSubstr("compose.yaml:4:7: services.web.ulimits.NOFILE: invalid name \"NOFILE\"; "
                        "use lower-case letters only"));
}

TEST(SchemaNames, MappingKeysMayNotBeEmpty) {
  EXPECT_THAT(SchemaError("services:\n  web:\n    environment:\n      \"\": x\n"),
              HasSubstr("compose.yaml:4:7: services.web.environment: empty key"));
  EXPECT_THAT(SchemaError("services: {}\nvolumes:\n  v:\n    driver_opts:\n      \"\": x\n"),
              HasSubstr("volumes.v.driver_opts: empty key"));
}

}  // namespace
}  // namespace ecsync::compose
