#include "compose/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/compose/memory_file_reader.h"
#include "tests/support/support.h"

namespace ecsync::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

base::Result<Project> LoadText(const std::string& text,
                               std::map<std::string, std::string> environment = {}) {
  MemoryFileReader reader(Files{{"compose.yaml", text}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.project_name = "test";
  options.environment = std::move(environment);
  return Load(options, reader);
}

Project MustLoad(const std::string& text, std::map<std::string, std::string> environment = {}) {
  base::Result<Project> result = LoadText(text, std::move(environment));
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : Project{};
}

std::string LoadError(const std::string& text, std::map<std::string, std::string> env = {}) {
  base::Result<Project> result = LoadText(text, std::move(env));
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "<loaded>";
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  return result.status().message();
}

// A copy, so callers may pass a temporary Project.
Service Only(const Project& project) {
  EXPECT_EQ(project.services.size(), 1u);
  return project.services.empty() ? Service{} : project.services[0];
}

TEST(Load, MinimalServiceAndSortedServices) {
  const Project project = MustLoad(
      "services:\n"
      "  web:\n"
      "    image: nginx:1.25\n"
      "  api:\n"
      "    image: api\n");
  EXPECT_EQ(project.name, "test");
  EXPECT_THAT(project.files, ElementsAre("compose.yaml"));
  ASSERT_EQ(project.services.size(), 2u);
  EXPECT_EQ(project.services[0].name, "api");
  EXPECT_EQ(project.services[1].name, "web");
  EXPECT_EQ(project.services[1].image, "nginx:1.25");
  EXPECT_EQ(project.services[1].location.ToString(), "compose.yaml:2:3");
  EXPECT_FALSE(project.services[1].command.has_value());
  EXPECT_FALSE(project.services[1].replicas.has_value());
  ASSERT_NE(project.FindService("api"), nullptr);
  EXPECT_EQ(project.FindService("api")->image, "api");
  EXPECT_EQ(project.FindService("nope"), nullptr);
}

TEST(Load, BuildOnlyServiceHasEmptyImage) {
  const Service& web = Only(MustLoad("services:\n  web:\n    build: .\n"));
  EXPECT_EQ(web.image, "");
}

TEST(Load, ServiceWithoutBodyIsEmpty) {
  const Service& web = Only(MustLoad("services:\n  web:\n"));
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.image, "");
}

TEST(Load, KeysTheModelDoesNotUseAndExtensionsLoad) {
  const Project project = MustLoad(
      "version: '3.8'\n"
      "x-anything: {a: [1, 2]}\n"
      "networks: {front: {}}\n"
      "volumes: {data: {}}\n"
      "services:\n"
      "  web:\n"
      "    image: nginx\n"
      "    restart: always\n"
      "    healthcheck: {test: [CMD, 'true']}\n"
      "    x-aws-role: {}\n");
  EXPECT_EQ(Only(project).image, "nginx");
}

TEST(Load, CommandAndEntrypointAsStringOrList) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    image: x\n"
                    "    command: sh -c 'echo \"hello world\"'\n"
                    "    entrypoint: [/bin/tini, --]\n"));
  EXPECT_THAT(*web.command, ElementsAre("sh", "-c", "echo \"hello world\""));
  EXPECT_THAT(*web.entrypoint, ElementsAre("/bin/tini", "--"));
}

TEST(Load, EmptyCommandListIsKept) {
  const Service& web = Only(MustLoad("services:\n  web:\n    command: []\n"));
  ASSERT_TRUE(web.command.has_value());
  EXPECT_TRUE(web.command->empty());
}

TEST(Load, CommandWithUnterminatedQuoteFails) {
  EXPECT_THAT(LoadError("services:\n  web:\n    command: echo 'hi\n"),
              StartsWith("compose.yaml:3:14: services.web.command: unterminated single quote"));
}

TEST(Load, EnvironmentListForm) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    environment:\n"
                    "      - A=1\n"
                    "      - B=x=y\n"
                    "      - C=\n"
                    "      - D\n"));
  EXPECT_THAT(web.environment, ElementsAre(Pair("A", "1"), Pair("B", "x=y"), Pair("C", ""),
                                           Pair("D", std::nullopt)));
}

TEST(Load, EnvironmentMapFormConvertsScalarsToStrings) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    environment:\n"
                    "      PORT: 8080\n"
                    "      DEBUG: true\n"
                    "      RATIO: 0.5\n"
                    "      EMPTY: ''\n"
                    "      UNSET:\n"
                    "      TILDE: ~\n"));
  EXPECT_THAT(
      web.environment,
      ElementsAre(Pair("DEBUG", "true"), Pair("EMPTY", ""), Pair("PORT", "8080"),
                  Pair("RATIO", "0.5"), Pair("TILDE", std::nullopt), Pair("UNSET", std::nullopt)));
}

TEST(Load, EnvironmentRejectsNestedValues) {
  EXPECT_THAT(LoadError("services:\n  web:\n    environment:\n      A: [1]\n"),
              StartsWith("compose.yaml:4:10: services.web.environment.A: must be"));
  EXPECT_THAT(LoadError("services:\n  web:\n    environment:\n      - =x\n"),
              StartsWith("compose.yaml:4:9: services.web.environment: an entry has an empty "
                         "variable name"));
  EXPECT_THAT(LoadError("services:\n  web:\n    environment: A=1\n"),
              StartsWith("compose.yaml:3:18: services.web.environment: must be"));
}

TEST(Load, PortsShortSyntaxIncludingIntegersAndRanges) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    ports:\n"
                    "      - 80\n"
                    "      - \"8080:80\"\n"
                    "      - 127.0.0.1:8443:443\n"
                    "      - 53/udp\n"
                    "      - 3000-3001\n"));
  ASSERT_EQ(web.ports.size(), 6u);
  EXPECT_EQ(web.ports[0].target, 80u);
  EXPECT_FALSE(web.ports[0].published.has_value());
  EXPECT_EQ(web.ports[1].published, 8080u);
  EXPECT_EQ(web.ports[2].host_ip, "127.0.0.1");
  EXPECT_EQ(web.ports[2].target, 443u);
  EXPECT_EQ(web.ports[3].protocol, "udp");
  EXPECT_EQ(web.ports[4].target, 3000u);
  EXPECT_EQ(web.ports[5].target, 3001u);
}

// The issue's case: a port whose host part is a variable nobody set.
TEST(Load, AnUnsetHostPortVariableLeavesTheContainerPort) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    image: example/web\n"
                    "    ports:\n"
                    "      - \"${HTTP_PORT}:8000\"\n"
                    "      - \"127.0.0.1:${ADMIN_PORT}:9000\"\n"));
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[0].target, 8000u);
  EXPECT_FALSE(web.ports[0].published.has_value());
  EXPECT_EQ(web.ports[1].target, 9000u);
  EXPECT_FALSE(web.ports[1].published.has_value());
  EXPECT_EQ(web.ports[1].HostScope(), PortMapping::Scope::kProjectOnly);
}

TEST(Load, PortsLongSyntax) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    ports:\n"
                    "      - target: 80\n"
                    "        published: \"8080\"\n"
                    "        host_ip: 0.0.0.0\n"
                    "        protocol: UDP\n"
                    "        mode: host\n"
                    "      - target: 443\n"));
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[0].target, 80u);
  EXPECT_EQ(web.ports[0].published, 8080u);
  EXPECT_EQ(web.ports[0].host_ip, "0.0.0.0");
  EXPECT_EQ(web.ports[0].protocol, "udp");
  EXPECT_EQ(web.ports[1].target, 443u);
  EXPECT_FALSE(web.ports[1].published.has_value());
  EXPECT_EQ(web.ports[1].protocol, "tcp");
}

TEST(Load, InvalidPortErrorNamesFileLineColumnAndKey) {
  EXPECT_EQ(LoadError("services:\n  web:\n    ports:\n    - \"80:abc\"\n"),
            "compose.yaml:4:7: services.web.ports[0]: invalid port \"80:abc\"; "
            "use [HOST:]CONTAINER[/PROTOCOL]");
}

TEST(Load, LongPortErrors) {
  EXPECT_THAT(LoadError("services:\n  web:\n    ports:\n      - published: 80\n"),
              StartsWith("compose.yaml:4:9: services.web.ports[0]: a port mapping needs"));
  EXPECT_THAT(LoadError("services:\n  web:\n    ports:\n      - target: 99999\n"),
              StartsWith("compose.yaml:4:17: services.web.ports[0].target: invalid port number"));
  EXPECT_THAT(LoadError("services:\n  web:\n    ports:\n      - {target: 80, protocol: sctp}\n"),
              HasSubstr("services.web.ports[0].protocol: invalid protocol \"sctp\""));
  EXPECT_THAT(LoadError("services:\n  web:\n    ports: 80\n"),
              StartsWith("compose.yaml:3:12: services.web.ports: must be a list"));
}

TEST(Load, DeployReplicasAndResources) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    deploy:\n"
                    "      replicas: 3\n"
                    "      resources:\n"
                    "        limits: {cpus: '0.5', memory: 1.5g}\n"
                    "        reservations: {cpus: 0.25, memory: 512M}\n"));
  EXPECT_EQ(web.replicas, 3);
  EXPECT_EQ(web.limits.cpus, 0.5);
  EXPECT_EQ(web.limits.memory_bytes, 1610612736);
  EXPECT_EQ(web.reservations.cpus, 0.25);
  EXPECT_EQ(web.reservations.memory_bytes, 536870912);
}

TEST(Load, DeployErrors) {
  EXPECT_THAT(LoadError("services:\n  web:\n    deploy:\n      replicas: two\n"),
              StartsWith("compose.yaml:4:17: services.web.deploy.replicas: invalid number"));
  EXPECT_THAT(
      LoadError("services:\n  web:\n    deploy:\n      resources:\n        limits:\n"
                "          memory: 12parsecs\n"),
      StartsWith("compose.yaml:6:19: services.web.deploy.resources.limits.memory: invalid byte"));
  EXPECT_THAT(LoadError("services:\n  web:\n    deploy: [1]\n"),
              StartsWith("compose.yaml:3:13: services.web.deploy: must be a mapping"));
}

TEST(Load, DependsOnListAndMapAreSortedAndDeduplicated) {
  const Project project = MustLoad(
      "services:\n"
      "  web:\n"
      "    depends_on: [db, cache, db]\n"
      "  worker:\n"
      "    depends_on:\n"
      "      db: {condition: service_healthy}\n"
      "      cache:\n"
      "  db: {image: postgres}\n"
      "  cache: {image: redis}\n");
  EXPECT_THAT(project.FindService("web")->depends_on, ElementsAre("cache", "db"));
  EXPECT_THAT(project.FindService("worker")->depends_on, ElementsAre("cache", "db"));
  EXPECT_TRUE(project.FindService("db")->depends_on.empty());
}

TEST(Load, DependsOnUnknownServiceFails) {
  EXPECT_THAT(LoadError("services:\n  web:\n    depends_on:\n      - db\n"),
              StartsWith("compose.yaml:4:9: services.web.depends_on.db: unknown service \"db\""));
  EXPECT_THAT(LoadError("services:\n  web:\n    depends_on:\n      db: {}\n"),
              StartsWith("compose.yaml:4:7: services.web.depends_on.db: unknown service"));
}

TEST(Load, WrongValueTypesOfKnownKeys) {
  EXPECT_THAT(LoadError("services:\n  web:\n    image: [a]\n"),
              StartsWith("compose.yaml:3:12: services.web.image: must be a string, found a list"));
  EXPECT_THAT(LoadError("services:\n  web:\n    command: {a: b}\n"),
              StartsWith("compose.yaml:3:14: services.web.command: must be"));
  EXPECT_THAT(LoadError("services:\n  web:\n    command: [a, [b]]\n"),
              StartsWith("compose.yaml:3:18: services.web.command[1]: must be a string"));
  EXPECT_THAT(LoadError("services:\n  web: nginx\n"),
              StartsWith("compose.yaml:2:8: services.web: must be a mapping"));
  EXPECT_THAT(LoadError("services: [web]\n"),
              StartsWith("compose.yaml:1:11: services: must be a mapping"));
}

TEST(Load, TopLevelMustBeAMappingWithServices) {
  EXPECT_THAT(LoadError("- a\n- b\n"), StartsWith("compose.yaml:1:1: the top level must be"));
  EXPECT_THAT(LoadError(""), StartsWith("compose.yaml:1:1: the file is empty"));
  EXPECT_THAT(LoadError("name: x\n"), StartsWith("compose.yaml:1:1: no \"services\""));
}

TEST(Load, YamlSyntaxErrorNamesFileAndLine) {
  EXPECT_THAT(LoadError("services: [not a map\n"),
              ::testing::MatchesRegex("compose\\.yaml:[0-9]+:[0-9]+: invalid YAML: .*"));
}

TEST(Load, MissingFileIsNotFound) {
  MemoryFileReader reader(Files{});
  LoadOptions options;
  options.files = {"compose.yaml"};
  base::Result<Project> result = Load(options, reader);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kNotFound);
}

TEST(Load, NoFilesAndNoneToDiscoverIsNotFound) {
  MemoryFileReader reader(Files{});
  base::Result<Project> result = Load(LoadOptions{}, reader);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("create compose.yaml or pass -f FILE"));
}

TEST(Load, AnchorsAndMergeKeysShareSettings) {
  const Project project = MustLoad(
      "x-common: &common\n"
      "  image: base:1\n"
      "  environment: {LOG: info, MODE: a}\n"
      "  deploy: {replicas: 2}\n"
      "x-ports: &ports [\"80\"]\n"
      "services:\n"
      "  a:\n"
      "    <<: *common\n"
      "    ports: *ports\n"
      "  b:\n"
      "    <<: *common\n"
      "    image: other:2\n");
  const Service* a = project.FindService("a");
  const Service* b = project.FindService("b");
  EXPECT_EQ(a->image, "base:1");
  EXPECT_EQ(a->replicas, 2);
  EXPECT_THAT(a->environment, ElementsAre(Pair("LOG", "info"), Pair("MODE", "a")));
  ASSERT_EQ(a->ports.size(), 1u);
  EXPECT_EQ(b->image, "other:2");
  EXPECT_EQ(b->replicas, 2);
}

TEST(Load, InterpolatesEveryScalarValue) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    image: app:${TAG:-latest}\n"
                    "    command: [serve, --port, $PORT]\n"
                    "    environment:\n"
                    "      - GREETING=${GREETING-hi}\n"
                    "      - LITERAL=$$HOME\n"
                    "    ports: [\"${PORT}:${PORT}\"]\n"
                    "    deploy: {replicas: '${REPLICAS:-1}'}\n",
                    {{"PORT", "9000"}, {"REPLICAS", "4"}}));
  EXPECT_EQ(web.image, "app:latest");
  EXPECT_THAT(*web.command, ElementsAre("serve", "--port", "9000"));
  EXPECT_EQ(web.replicas, 4);
  ASSERT_EQ(web.ports.size(), 1u);
  EXPECT_EQ(web.ports[0].published, 9000u);
  EXPECT_EQ(web.environment.at("GREETING"), "hi");
  EXPECT_EQ(web.environment.at("LITERAL"), "$HOME");
}

TEST(Load, InterpolationAppliesToValuesNotKeys) {
  const Service& web =
      Only(MustLoad("services:\n"
                    "  web:\n"
                    "    environment:\n"
                    "      $KEY: kept\n",
                    {{"KEY", "no"}}));
  EXPECT_THAT(web.environment, ElementsAre(Pair("$KEY", "kept")));
}

TEST(Load, MissingRequiredVariableNamesLocationAndVariable) {
  const std::string message = LoadError(
      "services:\n"
      "  db:\n"
      "    environment:\n"
      "      PASSWORD: ${DB_PASSWORD:?database password is required}\n");
  EXPECT_THAT(message, StartsWith("compose.yaml:4:17: services.db.environment.PASSWORD: "));
  EXPECT_THAT(message, HasSubstr("DB_PASSWORD"));
  EXPECT_THAT(message, HasSubstr("database password is required"));
}

TEST(Load, InvalidInterpolationIsAnError) {
  EXPECT_THAT(LoadError("services:\n  web:\n    image: ${TAG/a/b}\n"),
              StartsWith("compose.yaml:3:12: services.web.image: invalid interpolation"));
}

TEST(Load, ProjectNameOptionWinsOverNameKey) {
  MemoryFileReader reader(Files{{"dir/compose.yaml", "name: FromFile\nservices: {}\n"}});
  LoadOptions options;
  options.files = {"dir/compose.yaml"};
  options.project_name = "My.Project!";
  EXPECT_EQ(Load(options, reader)->name, "myproject");
  options.project_name = "";
  EXPECT_EQ(Load(options, reader)->name, "fromfile");
}

TEST(Load, ProjectNameFromInterpolatedNameKey) {
  MemoryFileReader reader(Files{{"compose.yaml", "name: ${STACK:-shop}-Prod\nservices: {}\n"}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  EXPECT_EQ(Load(options, reader)->name, "shop-prod");
}

TEST(Load, ProjectNameFromWorkingDirOrFirstFilesFolder) {
  MemoryFileReader reader(Files{{"/srv/My_App/compose.yaml", "services: {}\n"}});
  LoadOptions options;
  options.files = {"/srv/My_App/compose.yaml"};
  EXPECT_EQ(Load(options, reader)->name, "my_app");
  options.working_dir = "/work/Other-Dir/";
  EXPECT_EQ(Load(options, reader)->name, "other-dir");
}

TEST(Load, DefaultProjectNameReplacesTheFolderButNotTheNameKey) {
  MemoryFileReader reader(Files{{"compose.yaml", "services: {}\n"}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.default_project_name = "Shop.Repo";
  EXPECT_EQ(Load(options, reader)->name, "shoprepo");
  MemoryFileReader named(Files{{"compose.yaml", "name: billing\nservices: {}\n"}});
  EXPECT_EQ(Load(options, named)->name, "billing");
}

TEST(Load, ProjectNameFromCurrentDirectoryForBareFileName) {
  MemoryFileReader reader(Files{{"compose.yaml", "services: {}\n"}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  base::Result<Project> result = Load(options, reader);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::string expected;
  for (char c : std::filesystem::current_path().filename().string()) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') expected += c;
  }
  EXPECT_EQ(result->name, expected);
}

TEST(Load, ProjectNameThatNormalizesToEmptyFails) {
  MemoryFileReader reader(Files{{"compose.yaml", "name: '***'\nservices: {}\n"}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  base::Result<Project> result = Load(options, reader);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(result.status().message(), StartsWith("compose.yaml:1:7: name: "));
  options.project_name = "!!";
  EXPECT_FALSE(Load(options, reader).ok());
}

TEST(Load, MultipleFilesMergeInOrder) {
  MemoryFileReader reader(Files{
      {"compose.yaml",
       "services:\n"
       "  web:\n"
       "    image: web:1\n"
       "    command: serve\n"
       "    environment: [A=1, B=1]\n"
       "    ports: ['80']\n"
       "    depends_on: [db]\n"
       "    deploy:\n"
       "      replicas: 1\n"
       "      resources: {limits: {cpus: 1, memory: 1g}}\n"
       "  db: {image: postgres}\n"},
      {"override.yaml",
       "name: merged\n"
       "services:\n"
       "  web:\n"
       "    image: web:2\n"
       "    environment: {B: 2, C: 3}\n"
       "    ports: ['443']\n"
       "    depends_on: {cache: {}, db: {}}\n"
       "    deploy:\n"
       "      resources: {limits: {memory: 2g}}\n"
       "  cache: {image: redis}\n"},
  });
  LoadOptions options;
  options.files = {"compose.yaml", "override.yaml"};
  base::Result<Project> result = Load(options, reader);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->name, "merged");
  EXPECT_THAT(result->files, ElementsAre("compose.yaml", "override.yaml"));
  ASSERT_EQ(result->services.size(), 3u);
  const Service* web = result->FindService("web");
  EXPECT_EQ(web->image, "web:2");
  EXPECT_THAT(*web->command, ElementsAre("serve"));
  EXPECT_THAT(web->environment, ElementsAre(Pair("A", "1"), Pair("B", "2"), Pair("C", "3")));
  ASSERT_EQ(web->ports.size(), 2u);
  EXPECT_EQ(web->ports[0].target, 80u);
  EXPECT_EQ(web->ports[1].target, 443u);
  EXPECT_THAT(web->depends_on, ElementsAre("cache", "db"));
  EXPECT_EQ(web->replicas, 1);
  EXPECT_EQ(web->limits.cpus, 1.0);
  EXPECT_EQ(web->limits.memory_bytes, 2LL << 30);
  EXPECT_EQ(web->location.ToString(), "compose.yaml:2:3");
}

TEST(Load, LaterFileReplacesCommandAndEntrypoint) {
  MemoryFileReader reader(Files{
      {"a.yaml", "services:\n  web: {image: x, command: [a, b], entrypoint: sh}\n"},
      {"b.yaml", "services:\n  web: {command: c}\n"},
  });
  LoadOptions options;
  options.files = {"a.yaml", "b.yaml"};
  options.project_name = "p";
  base::Result<Project> result = Load(options, reader);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(*result->services[0].command, ElementsAre("c"));
  EXPECT_THAT(*result->services[0].entrypoint, ElementsAre("sh"));
  EXPECT_EQ(result->services[0].image, "x");
}

TEST(Load, ErrorsInLaterFilesNameThatFile) {
  MemoryFileReader reader(Files{
      {"a.yaml", "services:\n  web: {image: x}\n"},
      {"b.yaml", "services:\n  web:\n    ports: ['nope']\n"},
  });
  LoadOptions options;
  options.files = {"a.yaml", "b.yaml"};
  options.project_name = "p";
  base::Result<Project> result = Load(options, reader);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), StartsWith("b.yaml:3:13: services.web.ports[0]: "));
}

TEST(DiskFileReader, ReadsFilesAndReportsMissingOnes) {
  ecsync::testing::TempDir dir;
  const std::string path = dir.WriteFile("Shop/compose.yaml", "services:\n  web: {image: x}\n");
  DiskFileReader reader;
  base::Result<std::string> content = reader.Read(path);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(*content, "services:\n  web: {image: x}\n");

  base::Result<std::string> missing = reader.Read(dir.path() + "/nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kNotFound);
  EXPECT_FALSE(reader.Read(dir.path()).ok());

  LoadOptions options;
  options.files = {path};
  base::Result<Project> project = Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->name, "shop");
}

TEST(Load, LongPortKeepsItsExtensions) {
  Project project = MustLoad(R"(
services:
  web:
    image: nginx
    ports:
      - target: 8080
        x-aws-protocol: http
      - "9090:9090"
)");
  ASSERT_EQ(project.services[0].ports.size(), 2u);
  EXPECT_EQ(project.services[0].ports[0].extensions["x-aws-protocol"], "http");
  EXPECT_TRUE(project.services[0].ports[1].extensions.is_null());
  // Other unknown keys on a port are still refused.
  EXPECT_NE(LoadError(R"(
services:
  web:
    image: nginx
    ports:
      - target: 8080
        aws-protocol: http
)")
                .find("aws-protocol"),
            std::string::npos);
}

}  // namespace
}  // namespace ecsync::compose
