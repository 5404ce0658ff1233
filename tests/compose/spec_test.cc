// Compose Specification behaviour the loader implements: variable sources, merging, !reset and
// !override, extends, include, profiles, schema errors, path confinement, the ECS check.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "compose/loader.h"
#include "compose/project_json.h"
#include "tests/compose/memory_file_reader.h"

namespace ecsync::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

using MemoryReader = MemoryFileReader;

base::Result<Project> LoadFiles(Files files, LoadOptions options) {
  MemoryReader reader(std::move(files));
  if (options.project_name.empty()) options.project_name = "p";
  return Load(options, reader);
}

// Fails the test (and returns a project with one empty service, so callers may index it)
// when the files do not load.
Project MustLoad(Files files, LoadOptions options = {}) {
  base::Result<Project> result = LoadFiles(std::move(files), std::move(options));
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (result.ok()) return *result;
  Project empty;
  empty.services.emplace_back();
  return empty;
}

std::string LoadError(Files files, LoadOptions options = {}) {
  base::Result<Project> result = LoadFiles(std::move(files), std::move(options));
  EXPECT_FALSE(result.ok());
  return result.ok() ? "<loaded>" : result.status().message();
}

TEST(Variables, ExplicitBeatsDotEnvAndDotEnvFeedsInterpolation) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.environment = {{"TAG", "explicit"}};
  const Project project = MustLoad(
      {{"compose.yaml",
        "services:\n  web:\n    image: app:${TAG}\n    environment:\n      - R=${REGION}\n"},
       {".env", "TAG=from-dotenv\nREGION=eu-west-1\n"}},
      options);
  EXPECT_EQ(project.services[0].image, "app:explicit");
  EXPECT_EQ(project.services[0].environment.at("R"), "eu-west-1");
}

TEST(Variables, EnvFilesReplaceDotEnvLaterFilesWin) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.env_files = {"a.env", "b.env"};
  const Project project =
      MustLoad({{"compose.yaml", "services:\n  web:\n    image: ${IMG}:${TAG}\n"},
                {".env", "IMG=ignored\nTAG=ignored\n"},
                {"a.env", "IMG=nginx\nTAG=1\n"},
                {"b.env", "TAG=2\n"}},
               options);
  EXPECT_EQ(project.services[0].image, "nginx:2");
}

TEST(Variables, MissingRequiredVariableNamesFileLineAndKey) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_THAT(LoadError({{"compose.yaml", "services:\n  web:\n    image: ${IMG:?set the image}\n"}},
                        options),
              StartsWith("compose.yaml:3:12: services.web.image: required variable IMG is "
                         "missing a value: set the image"));
}

TEST(Variables, ProjectNameFromEnvironmentAndInterpolation) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.project_name = "";
  options.environment = {{"COMPOSE_PROJECT_NAME", "From_Env"}};
  MemoryReader reader(Files{
      {"compose.yaml", "name: ignored\nservices:\n  web:\n    image: ${COMPOSE_PROJECT_NAME}\n"}});
  base::Result<Project> result = Load(options, reader);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->name, "from_env");
  options.environment.clear();
  result = Load(options, reader);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->name, "ignored");
  EXPECT_EQ(result->services[0].image, "ignored");
}

TEST(Merge, FollowsTheSpecificationRules) {
  LoadOptions options;
  options.files = {"a.yaml", "b.yaml"};
  const Project project =
      MustLoad({{"a.yaml",
                 "services:\n  web:\n    image: a\n    command: [echo, a]\n    ports: ['80:80']\n"
                 "    environment: [A=1, B=1]\n    labels: {x: '1'}\n    volumes: [data:/data]\n"
                 "    dns: [1.1.1.1]\nvolumes: {data: {}, other: {}}\n"},
                {"b.yaml",
                 "services:\n  web:\n    image: b\n    command: [echo, b]\n    ports: ['81:81']\n"
                 "    environment: {B: 2, C: 3}\n    labels: [y=2]\n    volumes: [other:/data]\n"
                 "    dns: [8.8.8.8]\n"}},
               options);
  const Service& web = project.services[0];
  EXPECT_EQ(web.image, "b");
  EXPECT_THAT(*web.command, ElementsAre("echo", "b"));
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_THAT(web.environment, ElementsAre(Pair("A", "1"), Pair("B", "2"), Pair("C", "3")));
  EXPECT_THAT(web.labels, ElementsAre(Pair("x", "1"), Pair("y", "2")));
  ASSERT_EQ(web.volumes.size(), 1u);  // same target: the later one wins
  EXPECT_EQ(web.volumes[0].source, "other");
  EXPECT_THAT(web.dns, ElementsAre("1.1.1.1", "8.8.8.8"));
}

TEST(Merge, ResetAndOverrideTags) {
  LoadOptions options;
  options.files = {"a.yaml", "b.yaml"};
  const Project project =
      MustLoad({{"a.yaml",
                 "services:\n  web:\n    image: a\n    ports: ['8080:80']\n"
                 "    environment: {FOO: bar, KEEP: 'yes'}\n    dns: [1.1.1.1]\n"},
                {"b.yaml",
                 "services:\n  web:\n    ports: !reset []\n    environment:\n"
                 "      FOO: !reset null\n    dns: !override [9.9.9.9]\n"}},
               options);
  const Service& web = project.services[0];
  EXPECT_TRUE(web.ports.empty());
  EXPECT_THAT(web.environment, ElementsAre(Pair("KEEP", "yes")));
  EXPECT_THAT(web.dns, ElementsAre("9.9.9.9"));
}

TEST(Discovery, ComposeYamlAndItsOverride) {
  LoadOptions options;
  const Project project = MustLoad({{"compose.yaml", "services:\n  web:\n    image: a\n"},
                                    {"compose.override.yaml", "services:\n  web:\n    image: b\n"},
                                    {"docker-compose.yml", "services:\n  web:\n    image: c\n"}},
                                   options);
  EXPECT_THAT(project.files, ElementsAre("compose.yaml", "compose.override.yaml"));
  EXPECT_EQ(project.services[0].image, "b");
  const Project legacy =
      MustLoad({{"docker-compose.yml", "services:\n  web:\n    image: c\n"}}, options);
  EXPECT_THAT(legacy.files, ElementsAre("docker-compose.yml"));
}

TEST(Profiles, OnlyActiveProfilesAndComposeProfiles) {
  const Files files = {{"compose.yaml",
                        "services:\n  web: {image: a}\n  debug: {image: b, profiles: [dev]}\n"
                        "  tools: {image: c, profiles: [ops]}\n"}};
  LoadOptions options;
  options.files = {"compose.yaml"};
  Project project = MustLoad(files, options);
  ASSERT_EQ(project.services.size(), 1u);
  EXPECT_THAT(project.disabled_services, ElementsAre("debug", "tools"));
  options.profiles = {"dev"};
  EXPECT_EQ(MustLoad(files, options).services.size(), 2u);
  options.profiles.clear();
  options.environment = {{"COMPOSE_PROFILES", "dev,ops"}};
  EXPECT_EQ(MustLoad(files, options).services.size(), 3u);
}

TEST(Profiles, DependingOnADisabledServiceFails) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_THAT(LoadError({{"compose.yaml",
                          "services:\n  web: {image: a, depends_on: [db]}\n"
                          "  db: {image: b, profiles: [data]}\n"}},
                        options),
              HasSubstr("not enabled by the active profiles"));
}

TEST(DependsOn, LongSyntaxAndOptionalMissingDependency) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  const Project project =
      MustLoad({{"compose.yaml",
                 "services:\n  web:\n    image: a\n    depends_on:\n"
                 "      db: {condition: service_healthy, restart: true}\n"
                 "      cache: {condition: service_started, required: false}\n  db: {image: b}\n"}},
               options);
  const Service* web = project.FindService("web");
  EXPECT_THAT(web->depends_on, ElementsAre("db"));
  ASSERT_EQ(web->dependencies.size(), 1u);
  EXPECT_EQ(web->dependencies[0].condition, "service_healthy");
  EXPECT_TRUE(web->dependencies[0].restart);
  ASSERT_EQ(project.warnings.size(), 1u);
  EXPECT_THAT(project.warnings[0].ToString(), HasSubstr("services.web.depends_on.cache"));
}

TEST(Schema, UnknownKeyIsAnErrorWithDidYouMean) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_EQ(LoadError({{"compose.yaml", "services:\n  web:\n    imgae: nginx\n"}}, options),
            "compose.yaml:3:5: services.web.imgae: unknown key; did you mean \"image\"?");
  EXPECT_THAT(LoadError({{"compose.yaml", "services:\n  web:\n    image: a\n    frobnicate: 1\n"}},
                        options),
              HasSubstr("services.web.frobnicate: unknown key; remove it, or prefix it with x-"));
  EXPECT_THAT(LoadError({{"compose.yaml", "servics:\n  web: {image: a}\n"}}, options),
              HasSubstr("did you mean \"services\"?"));
}

TEST(Schema, WrongTypesAndEnums) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_EQ(
      LoadError({{"compose.yaml", "services:\n  web:\n    image: a\n    ports: 80\n"}}, options),
      "compose.yaml:4:12: services.web.ports: must be a list, found a whole number");
  EXPECT_THAT(LoadError({{"compose.yaml",
                          "services:\n  web:\n    image: a\n    depends_on:\n"
                          "      db: {condition: service_helthy}\n  db: {}\n"}},
                        options),
              HasSubstr("did you mean \"service_healthy\"?"));
  EXPECT_THAT(LoadError({{"compose.yaml", "services:\n  web:\n    image: a\n    read_only: [x]\n"}},
                        options),
              HasSubstr("services.web.read_only: must be a string or a boolean, found a list"));
}

TEST(Schema, InterpolatedNumbersAreAccepted) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.environment = {{"N", "3"}};
  const Project project = MustLoad(
      {{"compose.yaml", "services:\n  web:\n    image: a\n    deploy:\n      replicas: ${N}\n"}},
      options);
  EXPECT_EQ(project.services[0].replicas, 3);
}

TEST(Paths, FilesOutsideTheProjectAreRefused) {
  LoadOptions options;
  options.files = {"app/compose.yaml"};
  EXPECT_EQ(LoadError({{"app/compose.yaml",
                        "services:\n  web:\n    image: a\n"
                        "    env_file: ../secrets.env\n"}},
                      options),
            "app/compose.yaml:4:15: services.web.env_file: \"../secrets.env\" is outside the "
            "project directory; compose files may only name files inside it");
  EXPECT_THAT(LoadError({{"app/compose.yaml",
                          "services:\n  web:\n    image: a\n"
                          "    env_file: /etc/passwd\n"}},
                        options),
              HasSubstr("\"/etc/passwd\" is an absolute path"));
  EXPECT_THAT(
      LoadError({{"app/compose.yaml", "include: [../other.yaml]\nservices: {}\n"}}, options),
      HasSubstr("include[0].path: \"../other.yaml\" is outside the project directory"));
  EXPECT_THAT(LoadError({{"app/compose.yaml",
                          "services:\n  web:\n    extends: {file: ../b.yaml, service: x}\n"}},
                        options),
              HasSubstr("services.web.extends.file"));
  EXPECT_THAT(
      LoadError({{"app/compose.yaml", "services: {}\nsecrets:\n  s: {file: ~/.ssh/id_rsa}\n"}},
                options),
      HasSubstr("secrets.s.file"));
}

TEST(Paths, EnvFileRelativeToTheProjectAndOptionalMissing) {
  LoadOptions options;
  options.files = {"app/compose.yaml"};
  const Project project =
      MustLoad({{"app/compose.yaml",
                 "services:\n  web:\n    image: a\n    environment: [B=own]\n"
                 "    env_file: [web.env, {path: missing.env, required: false}]\n"},
                {"app/web.env", "A=1\nB=from-file\n"}},
               options);
  EXPECT_THAT(project.services[0].environment, ElementsAre(Pair("A", "1"), Pair("B", "own")));
  ASSERT_EQ(project.warnings.size(), 1u);
  EXPECT_THAT(project.warnings[0].message, HasSubstr("optional env file app/missing.env"));
}

TEST(Include, ConflictingServiceFails) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_THAT(LoadError({{"compose.yaml", "include: [other.yaml]\nservices:\n  web: {image: a}\n"},
                         {"other.yaml", "services:\n  web: {image: b}\n"}},
                        options),
              HasSubstr("services.web: also defined by the included file other.yaml"));
}

TEST(Extends, CycleFails) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_THAT(
      LoadError({{"compose.yaml", "services:\n  a: {extends: b}\n  b: {extends: a}\n"}}, options),
      HasSubstr("extends cycle detected: a -> b -> a"));
}

TEST(Ecs, ErrorsForWhatChangesBehaviourWarningsForTheRest) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.ecs_check = true;
  const std::string error = LoadError({{"compose.yaml",
                                        "services:\n  web:\n    image: a\n    ports: ['8080:80']\n"
                                        "    volumes: ['/srv/data:/data']\n    network_mode: host\n"
                                        "  builder:\n    build: .\n"}},
                                      options);
  EXPECT_THAT(error, HasSubstr("compose.yaml:5:15: services.web.volumes[0]: bind mount of "
                               "/srv/data: a path on the host"));
  EXPECT_THAT(error, HasSubstr("services.web.network_mode: network_mode \"host\""));
  EXPECT_THAT(error, HasSubstr("services.builder.build: ECS cannot build images"));

  // A published port other than the target keeps its meaning through the load balancer:
  // a warning that says how, not an error. Placement and restart are mapped by the converter:
  // no warning.
  const Project project =
      MustLoad({{"compose.yaml",
                 "services:\n  web:\n    image: a\n    container_name: w\n"
                 "    restart: always\n    deploy: {placement: {constraints: [x]}}\n"
                 "    ports: ['8080:80']\n"}},
               options);
  ASSERT_EQ(project.warnings.size(), 2u);
  EXPECT_EQ(project.warnings[0].ToString(),
            "compose.yaml:7:13: services.web.ports[0]: published port 8080 differs from target "
            "80; the load balancer listens on 8080 and forwards to the container's 80");
  EXPECT_EQ(project.warnings[1].ToString(),
            "compose.yaml:4:5: services.web.container_name: ignored on ECS: ECS names tasks "
            "itself");
}

TEST(ProjectJson, PrintsTheNormalizedModel) {
  LoadOptions options;
  options.files = {"compose.yaml"};
  const Project project = MustLoad({{"compose.yaml",
                                     "services:\n  web:\n    image: a\n    ports: ['80']\n"
                                     "    healthcheck: {test: curl x, interval: 90s}\n"}},
                                   options);
  const nlohmann::ordered_json json = ProjectToJson(project);
  EXPECT_EQ(json["services"]["web"]["ports"][0]["target"], 80);
  EXPECT_EQ(json["services"]["web"]["healthcheck"]["interval"], "1m30s");
  EXPECT_EQ(json["services"]["web"]["healthcheck"]["test"][0], "CMD-SHELL");
}

}  // namespace
}  // namespace ecsync::compose
