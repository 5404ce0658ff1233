// The loader against the reference loader's fixtures (compose-go) and the Compose
// Specification's schema, read in place from ../shared/corpora (Apache-2.0, see its LICENSE).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "compose/dotenv.h"
#include "compose/loader.h"
#include "compose/schema.h"
#include "tests/support/corpus.h"
#include "tests/support/support.h"

namespace ecsync::compose {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

fs::path ComposeCorpus() {
  return (fs::path(ecsync::testing::CorpusDir()) / "compose").lexically_normal();
}
fs::path Testdata() { return ComposeCorpus() / "compose-go" / "loader" / "testdata"; }

// Every test here reads the Compose corpus; without it they skip (see tests/support/corpus.h).
class DotEnvFixtures : public ecsync::testing::CorpusTest {};
class ComposeGoFixtures : public ecsync::testing::CorpusTest {};
class SchemaCorpus : public ecsync::testing::CorpusTest {};

DotEnv ParseFixture(const std::string& name, const std::map<std::string, std::string>& env = {}) {
  const std::string content = ecsync::testing::ReadFileOrDie(
      (ComposeCorpus() / "compose-go" / "dotenv" / "fixtures" / name).string());
  base::Result<DotEnv> vars = ParseDotEnv(content, env);
  EXPECT_TRUE(vars.ok()) << name << ": " << vars.status().ToString();
  return vars.ok() ? *vars : DotEnv{};
}

std::map<std::string, std::string> AsMap(const DotEnv& vars) {
  return std::map<std::string, std::string>(vars.begin(), vars.end());
}

TEST_F(DotEnvFixtures, Plain) {
  EXPECT_THAT(AsMap(ParseFixture("plain.env")),
              ::testing::UnorderedElementsAre(
                  Pair("OPTION_A", "1"), Pair("OPTION_B", "2"), Pair("OPTION_C", "3"),
                  Pair("OPTION_D", "4"), Pair("OPTION_E", "5"), Pair("456", "ABC"),
                  Pair("OPTION_F", ""), Pair("OPTION_G", ""), Pair("OPTION_H", "my string")));
}

TEST_F(DotEnvFixtures, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(AsMap(ParseFixture("utf8-bom.env")), AsMap(ParseFixture("plain.env")));
}

TEST_F(DotEnvFixtures, Quoted) {
  const auto vars = AsMap(ParseFixture("quoted.env"));
  EXPECT_EQ(vars.at("OPTION_A"), "1");
  EXPECT_EQ(vars.at("OPTION_C"), "");
  EXPECT_EQ(vars.at("OPTION_D"), "\\n");  // single quotes: literal
  EXPECT_EQ(vars.at("OPTION_H"), "\n");   // double quotes: escapes
  EXPECT_EQ(vars.at("OPTION_I"), "echo 'asd'");
  EXPECT_EQ(vars.at("OPTION_J"), "first line\nsecond line\nthird line\nand so on");
  EXPECT_EQ(vars.at("OPTION_K"), "Let's go!");
  EXPECT_EQ(vars.at("OPTION_Z"), "last value");
}

TEST_F(DotEnvFixtures, ExportedEqualsSpecialUnquoted) {
  EXPECT_THAT(AsMap(ParseFixture("exported.env")),
              ElementsAre(Pair("OPTION_A", "2"), Pair("OPTION_B", "\\n")));
  EXPECT_EQ(AsMap(ParseFixture("equals.env")).at("OPTION_A"),
            "postgres://localhost:5432/database?sslmode=disable");
  EXPECT_THAT(AsMap(ParseFixture("special.env")),
              ElementsAre(Pair("VAR-WITH-DASHES", "dashes"), Pair("VAR.WITH.DOTS", "dots"),
                          Pair("VAR_WITH_UNDERSCORES", "underscores")));
  const auto unquoted = AsMap(ParseFixture("unquoted.env"));
  EXPECT_EQ(unquoted.at("OPTION_A"), "some quoted phrase");
  EXPECT_EQ(unquoted.at("OPTION_C"), "then another one with an unquoted phrase");
  EXPECT_EQ(unquoted.at("OPTION_D"),
            "then another one with an unquoted phrase special \xC3\xA8 char");
}

TEST_F(DotEnvFixtures, Substitutions) {
  EXPECT_THAT(AsMap(ParseFixture("substitutions.env")),
              ElementsAre(Pair("OPTION_A", "1"), Pair("OPTION_B", "1"), Pair("OPTION_C", "1"),
                          Pair("OPTION_D", "1_1"), Pair("OPTION_E", "")));
  EXPECT_THAT(AsMap(ParseFixture("substitutions-default.env")),
              ElementsAre(Pair("OPTION_A", "1"), Pair("OPTION_B", "1"), Pair("OPTION_C", "1"),
                          Pair("OPTION_D", "1_1"), Pair("OPTION_E", "")));
}

TEST_F(DotEnvFixtures, Inherited) {
  const std::map<std::string, std::string> env = {{"VAR_TO_BE_LOADED_FROM_OS_ENV", "v"}};
  EXPECT_THAT(AsMap(ParseFixture("inherited-single-var.env", env)),
              ElementsAre(Pair("VAR_TO_BE_LOADED_FROM_OS_ENV", "v")));
  EXPECT_THAT(AsMap(ParseFixture("inherited-multi-var.env", env)),
              ElementsAre(Pair("VAR_TO_BE_LOADED_FROM_OS_ENV", "v"), Pair("bar", "baz"),
                          Pair("foo", "bar")));
  EXPECT_TRUE(ParseFixture("inherited-not-found.env").empty());
}

TEST_F(DotEnvFixtures, Invalid1FailsWithTheLineNumber) {
  const std::string content = ecsync::testing::ReadFileOrDie(
      (ComposeCorpus() / "compose-go" / "dotenv" / "fixtures" / "invalid1.env").string());
  base::Result<DotEnv> vars = ParseDotEnv(content, {});
  ASSERT_FALSE(vars.ok());
  EXPECT_EQ(vars.status().message(), "line 7: key cannot contain a space");
}

base::Result<Project> LoadFixture(const fs::path& file, LoadOptions options = {}) {
  DiskFileReader reader;
  options.files = {file.string()};
  if (options.project_name.empty()) options.project_name = "fixture";
  return Load(options, reader);
}

TEST_F(ComposeGoFixtures, DependsOnCyclesFailWithTheReferenceMessage) {
  base::Result<Project> cycle = LoadFixture(Testdata() / "compose-depends-on-cycle.yaml");
  ASSERT_FALSE(cycle.ok());
  EXPECT_THAT(cycle.status().message(),
              HasSubstr("dependency cycle detected: service1 -> service2 -> service3 -> service1"));
  base::Result<Project> self = LoadFixture(Testdata() / "compose-depends-on-self.yaml");
  ASSERT_FALSE(self.ok());
  EXPECT_THAT(self.status().message(),
              HasSubstr("dependency cycle detected: service1 -> service1"));
  EXPECT_THAT(
      self.status().message(),
      ::testing::StartsWith((Testdata() / "compose-depends-on-self.yaml").string() + ":6:"));
}

TEST_F(ComposeGoFixtures, IncludeCycleFails) {
  base::Result<Project> result = LoadFixture(Testdata() / "compose-include-cycle.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("include cycle detected"));
}

TEST_F(ComposeGoFixtures, IncludeMergesTheIncludedServices) {
  base::Result<Project> result = LoadFixture(Testdata() / "compose-include.yaml");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Service* imported = result->FindService("imported");
  ASSERT_NE(imported, nullptr);
  EXPECT_EQ(imported->image, "nginx");
  // env_file is relative to the included file, and feeds the container, not interpolation.
  EXPECT_EQ(imported->environment.at("SOURCE"), "extends");
  EXPECT_EQ(imported->container_name, "imported");
  EXPECT_EQ(result->FindService("bar")->environment.at("FOO"), "BAR");
}

TEST_F(ComposeGoFixtures, ExtendsFromAnotherFileResolvesItsPathsThere) {
  base::Result<Project> result = LoadFixture(Testdata() / "compose-test-extends.yaml");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Service* importer = result->FindService("importer");
  ASSERT_NE(importer, nullptr);
  EXPECT_EQ(importer->image, "nginx");
  EXPECT_EQ(importer->environment.at("SOURCE"), "extends");
  ASSERT_EQ(importer->env_file.size(), 1u);
  EXPECT_EQ(importer->env_file[0].path, (Testdata() / "subdir" / "extra.env").string());
  ASSERT_EQ(importer->volumes.size(), 1u);
  EXPECT_EQ(importer->volumes[0].type, "bind");
}

TEST_F(ComposeGoFixtures, ExtendsInTheSameFileAndReset) {
  base::Result<Project> base = LoadFixture(Testdata() / "extends" / "base.yaml");
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->FindService("another")->image, "base");
  ASSERT_TRUE(base->FindService("with-build")->build.has_value());
  EXPECT_EQ(base->FindService("with-build")->build->context, (Testdata() / "extends").string());
  base::Result<Project> reset = LoadFixture(Testdata() / "extends" / "reset.yaml");
  ASSERT_TRUE(reset.ok()) << reset.status().ToString();
  EXPECT_EQ(reset->FindService("base")->image, "alpine:latest");
  EXPECT_FALSE(reset->FindService("base")->command.has_value());
  EXPECT_THAT(*reset->FindService("init")->command, ElementsAre("sleep", "infinity"));
}

TEST_F(ComposeGoFixtures, EmptyFileFails) {
  base::Result<Project> result = LoadFixture(Testdata() / "empty.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("empty"));
}

// Every other fixture loads, or fails with an error that points at a file position.
TEST_F(ComposeGoFixtures, EveryFixtureLoadsOrFailsWithALocation) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(Testdata())) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 20u);
  size_t loaded = 0;
  for (const fs::path& file : files) {
    LoadOptions options;
    options.working_dir = file.parent_path().string();
    base::Result<Project> result = LoadFixture(file, options);
    if (result.ok()) {
      ++loaded;
      continue;
    }
    std::cout << "[ not loaded ] " << fs::relative(file, Testdata()).string() << ": "
              << result.status().message() << "\n";
    EXPECT_TRUE(
        std::regex_search(result.status().message(), std::regex(R"(\.ya?ml:[0-9]+:[0-9]+: )")))
        << result.status().message();
  }
  std::cout << "[ fixtures ] loaded " << loaded << " of " << files.size() << "\n";
  EXPECT_GE(loaded, files.size() / 2);
}

TEST_F(ComposeGoFixtures, CliTestdataLoads) {
  const fs::path cli = ComposeCorpus() / "compose-go" / "cli" / "testdata";
  base::Result<Project> simple = LoadFixture(cli / "simple" / "compose.yaml");
  EXPECT_TRUE(simple.ok()) << simple.status().ToString();
  LoadOptions options;
  options.working_dir = (cli / "env-file").string();
  options.env_files = {(cli / "env-file" / "env-file.env").string()};
  if (fs::exists(cli / "env-file" / "compose-with-env-file.yaml") &&
      fs::exists(cli / "env-file" / "env-file.env")) {
    base::Result<Project> env =
        LoadFixture(cli / "env-file" / "compose-with-env-file.yaml", options);
    EXPECT_TRUE(env.ok()) << env.status().ToString();
  }
}

// The rules in schema.cc know exactly the keys compose-spec.json defines.
TEST_F(SchemaCorpus, KnowsEveryKeyOfTheSpecification) {
  const nlohmann::json schema = nlohmann::json::parse(ecsync::testing::ReadFileOrDie(
      (ComposeCorpus() / "compose-spec" / "schema" / "compose-spec.json").string()));
  const auto keys = [](const nlohmann::json& properties) {
    std::vector<std::string> out;
    for (const auto& [key, value] : properties.items()) out.push_back(key);
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const nlohmann::json& definitions = schema["definitions"];
  EXPECT_EQ(sorted(KnownKeys("top")), keys(schema["properties"]));
  // Service keys newer than compose-spec.json, taken from the reference loader's schema.
  const nlohmann::json newer = nlohmann::json::parse(ecsync::testing::ReadFileOrDie(
      (ComposeCorpus() / "compose-go" / "schema" / "compose-spec.json").string()));
  const std::vector<std::string> newer_service_keys = {"pre_start"};
  for (const std::string& key : newer_service_keys) {
    EXPECT_TRUE(newer["$defs"]["service"]["properties"].contains(key)) << key;
  }
  for (const char* which :
       {"service", "network", "volume", "secret", "config", "deployment", "healthcheck"}) {
    std::vector<std::string> want = keys(definitions[which]["properties"]);
    if (std::string(which) == "service") {
      want.insert(want.end(), newer_service_keys.begin(), newer_service_keys.end());
    }
    EXPECT_EQ(sorted(KnownKeys(which)), sorted(want)) << which;
  }
}

// A reader that serves /WORKDIR/... from the full example's folder, as the reference
// loader's test did with its working directory. The example depends on services and a volume
// it does not define (the reference test skips that check); extra.yaml defines them.
class WorkdirReader final : public FileReader {
 public:
  base::Result<std::string> Read(const std::string& path) override {
    const std::string prefix = "/WORKDIR/";
    if (path == "/WORKDIR/extra.yaml") {
      return std::string(
          "services: {db: {image: db}, redis: {image: redis}}\nvolumes: {datavolume: {}}\n"
          "networks: {other-other-network: {}}\n");
    }
    if (path.rfind(prefix, 0) != 0) return base::NotFoundError(path + ": no such file");
    return disk_.Read(
        (ComposeCorpus() / "compose-go-full-example" / path.substr(prefix.size())).string());
  }

 private:
  DiskFileReader disk_;
};

class FullExample : public ecsync::testing::CorpusTest {
 protected:
  void SetUp() override {
    CorpusTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    WorkdirReader reader;
    LoadOptions options;
    options.files = {"/WORKDIR/full-example.yml", "/WORKDIR/extra.yaml"};
    options.working_dir = "/WORKDIR";
    options.confine_paths = false;
    options.environment = {
        {"HOME", "/HOMEDIR"}, {"BAR", "this is a secret"}, {"QUX", "qux_from_environment"}};
    base::Result<Project> result = Load(options, reader);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    project_ = *result;
    expected_ = nlohmann::json::parse(ecsync::testing::ReadFileOrDie(
        (ComposeCorpus() / "compose-go-full-example" / "expected-full-example.json").string()));
    foo_ = project_.FindService("foo");
    ASSERT_NE(foo_, nullptr);
    want_ = expected_["services"]["foo"];
  }
  Project project_;
  nlohmann::json expected_;
  nlohmann::json want_;
  const Service* foo_ = nullptr;
};

std::vector<std::string> Strings(const nlohmann::json& j) {
  return j.get<std::vector<std::string>>();
}

std::map<std::string, std::string> StringMap(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) out[key] = value.get<std::string>();
  return out;
}

TEST_F(FullExample, ProjectAndTopLevelResources) {
  EXPECT_EQ(project_.name, expected_["name"]);
  ASSERT_EQ(project_.networks.size(), expected_["networks"].size() + 1);  // + extra.yaml's
  EXPECT_EQ(project_.networks.at("other-external-network").name, "my-cool-network");
  EXPECT_TRUE(project_.networks.at("external-network").external);
  const NetworkConfig& other = project_.networks.at("other-network");
  EXPECT_EQ(other.driver, "overlay");
  EXPECT_EQ(other.driver_opts, StringMap(expected_["networks"]["other-network"]["driver_opts"]));
  ASSERT_EQ(other.ipam_config.size(), 2u);
  EXPECT_EQ(other.ipam_config[0].aux_addresses.at("host2"), "172.28.1.6");
  ASSERT_EQ(project_.volumes.size(), expected_["volumes"].size() + 1);  // + extra.yaml's
  for (const auto& [name, want] : expected_["volumes"].items()) {
    const VolumeConfig& got = project_.volumes.at(name);
    EXPECT_EQ(got.name, want.value("name", "")) << name;
    EXPECT_EQ(got.driver, want.value("driver", "")) << name;
    EXPECT_EQ(got.external, want.value("external", false)) << name;
  }
  for (const char* section : {"secrets", "configs"}) {
    const auto& objects = std::string(section) == "secrets" ? project_.secrets : project_.configs;
    ASSERT_EQ(objects.size(), expected_[section].size());
    for (const auto& [name, want] : expected_[section].items()) {
      const FileObjectConfig& got = objects.at(name);
      EXPECT_EQ(got.file, want.value("file", "")) << name;
      EXPECT_EQ(got.name, want.value("name", "")) << name;
      EXPECT_EQ(got.environment, want.value("environment", "")) << name;
      EXPECT_EQ(got.external, want.value("external", false)) << name;
    }
  }
  EXPECT_EQ(project_.extensions["x-nested"],
            nlohmann::ordered_json({{"bar", "baz"}, {"foo", "bar"}}));
  EXPECT_EQ(project_.extensions["x-foo"], "bar");
}

TEST_F(FullExample, ServiceScalarsAndLists) {
  EXPECT_EQ(foo_->image, want_["image"]);
  EXPECT_EQ(*foo_->command, Strings(want_["command"]));
  EXPECT_EQ(*foo_->entrypoint, Strings(want_["entrypoint"]));
  EXPECT_EQ(foo_->cap_add, Strings(want_["cap_add"]));
  EXPECT_EQ(foo_->cap_drop, Strings(want_["cap_drop"]));
  EXPECT_EQ(foo_->container_name, want_["container_name"]);
  EXPECT_EQ(foo_->dns, Strings(want_["dns"]));
  EXPECT_EQ(foo_->dns_search, Strings(want_["dns_search"]));
  EXPECT_EQ(foo_->domainname, want_["domainname"]);
  EXPECT_EQ(foo_->expose, Strings(want_["expose"]));
  EXPECT_EQ(foo_->external_links, Strings(want_["external_links"]));
  EXPECT_EQ(foo_->hostname, want_["hostname"]);
  EXPECT_EQ(foo_->ipc, want_["ipc"]);
  EXPECT_EQ(foo_->pid, want_["pid"]);
  EXPECT_EQ(foo_->links, Strings(want_["links"]));
  EXPECT_EQ(foo_->network_mode, want_["network_mode"]);
  EXPECT_EQ(foo_->privileged, want_["privileged"]);
  EXPECT_EQ(foo_->read_only, want_["read_only"]);
  EXPECT_EQ(foo_->restart, want_["restart"]);
  EXPECT_EQ(foo_->security_opt, Strings(want_["security_opt"]));
  EXPECT_EQ(foo_->stdin_open, want_["stdin_open"]);
  EXPECT_EQ(foo_->stop_grace_period, std::chrono::seconds(20));
  EXPECT_EQ(foo_->stop_signal, want_["stop_signal"]);
  EXPECT_EQ(foo_->sysctls, StringMap(want_["sysctls"]));
  EXPECT_EQ(foo_->tmpfs, Strings(want_["tmpfs"]));
  EXPECT_EQ(foo_->tty, want_["tty"]);
  EXPECT_EQ(foo_->user, want_["user"]);
  EXPECT_EQ(foo_->working_dir, want_["working_dir"]);
  EXPECT_EQ(foo_->labels, StringMap(want_["labels"]));
  EXPECT_EQ(foo_->annotations, StringMap(want_["annotations"]));
  EXPECT_EQ(foo_->extensions["x-bar"], "baz");
  std::vector<std::string> hosts;
  for (const ExtraHost& host : foo_->extra_hosts) hosts.push_back(host.host + "=" + host.ip);
  EXPECT_EQ(hosts, Strings(want_["extra_hosts"]));
}

TEST_F(FullExample, EnvironmentAndEnvFiles) {
  std::map<std::string, std::string> environment;
  for (const auto& [key, value] : foo_->environment) environment[key] = value.value_or("<unset>");
  EXPECT_EQ(environment, StringMap(want_["environment"]));
  ASSERT_EQ(foo_->env_file.size(), 2u);
  EXPECT_EQ(foo_->env_file[0].path, want_["env_file"][0]["path"]);
  EXPECT_TRUE(foo_->env_file[0].required);
  EXPECT_EQ(foo_->env_file[1].path, want_["env_file"][1]["path"]);
  EXPECT_FALSE(foo_->env_file[1].required);
  EXPECT_EQ(foo_->label_file, Strings(want_["label_file"]));
}

TEST_F(FullExample, PortsVolumesSecretsConfigsNetworks) {
  ASSERT_EQ(foo_->ports.size(), want_["ports"].size());
  for (size_t i = 0; i < foo_->ports.size(); ++i) {
    const nlohmann::json& want = want_["ports"][i];
    EXPECT_EQ(foo_->ports[i].target, want["target"]) << i;
    EXPECT_EQ(foo_->ports[i].host_ip, want.value("host_ip", "")) << i;
    EXPECT_EQ(foo_->ports[i].mode, want["mode"]) << i;
    EXPECT_EQ(foo_->ports[i].protocol, want["protocol"]) << i;
    if (want.contains("published")) {
      EXPECT_EQ(std::to_string(foo_->ports[i].published.value_or(0)), want["published"]) << i;
    } else {
      EXPECT_FALSE(foo_->ports[i].published.has_value()) << i;
    }
  }
  ASSERT_EQ(foo_->volumes.size(), want_["volumes"].size());
  for (size_t i = 0; i < foo_->volumes.size(); ++i) {
    const nlohmann::json& want = want_["volumes"][i];
    EXPECT_EQ(foo_->volumes[i].type, want["type"]) << i;
    EXPECT_EQ(foo_->volumes[i].source, want.value("source", "")) << i;
    EXPECT_EQ(foo_->volumes[i].target, want["target"]) << i;
    EXPECT_EQ(foo_->volumes[i].read_only, want.value("read_only", false)) << i;
    EXPECT_EQ(foo_->volumes[i].consistency, want.value("consistency", "")) << i;
  }
  EXPECT_EQ(foo_->volumes[7].tmpfs_size_bytes, 10000);
  for (const char* section : {"secrets", "configs"}) {
    const auto& refs = std::string(section) == "secrets" ? foo_->secrets : foo_->configs;
    ASSERT_EQ(refs.size(), want_[section].size());
    for (size_t i = 0; i < refs.size(); ++i) {
      const nlohmann::json& want = want_[section][i];
      EXPECT_EQ(refs[i].source, want["source"]);
      EXPECT_EQ(refs[i].target, want.value("target", ""));
      EXPECT_EQ(refs[i].uid, want.value("uid", ""));
      if (want.contains("mode")) {
        EXPECT_EQ(refs[i].mode, 0440u);
      }
    }
  }
  ASSERT_EQ(foo_->networks.size(), want_["networks"].size());
  EXPECT_EQ(foo_->networks.at("some-network").aliases,
            Strings(want_["networks"]["some-network"]["aliases"]));
  EXPECT_EQ(foo_->networks.at("other-network").ipv4_address, "172.16.238.10");
}

TEST_F(FullExample, DeployHealthcheckLoggingUlimitsBuildDependsOn) {
  ASSERT_TRUE(foo_->deploy.has_value());
  const Deploy& deploy = *foo_->deploy;
  EXPECT_EQ(foo_->replicas, want_["deploy"]["replicas"]);
  EXPECT_EQ(deploy.mode, "replicated");
  EXPECT_EQ(deploy.endpoint_mode, "dnsrr");
  EXPECT_EQ(deploy.labels, StringMap(want_["deploy"]["labels"]));
  ASSERT_TRUE(deploy.update_config.has_value());
  EXPECT_EQ(deploy.update_config->parallelism, 3);
  EXPECT_EQ(deploy.update_config->monitor, std::chrono::seconds(60));
  EXPECT_EQ(deploy.update_config->max_failure_ratio, 0.3);
  EXPECT_EQ(deploy.update_config->order, "start-first");
  ASSERT_TRUE(deploy.restart_policy.has_value());
  EXPECT_EQ(deploy.restart_policy->window, std::chrono::seconds(120));
  EXPECT_EQ(deploy.restart_policy->max_attempts, 3);
  EXPECT_EQ(deploy.placement.constraints, Strings(want_["deploy"]["placement"]["constraints"]));
  EXPECT_EQ(deploy.placement.preferences[0].spread, "node.labels.az");
  EXPECT_EQ(deploy.placement.max_replicas_per_node, 5);
  EXPECT_EQ(std::to_string(*foo_->limits.memory_bytes),
            want_["deploy"]["resources"]["limits"]["memory"]);
  EXPECT_EQ(foo_->limits.cpus, want_["deploy"]["resources"]["limits"]["cpus"]);
  ASSERT_EQ(foo_->reservations.generic_resources.size(), 2u);
  EXPECT_EQ(foo_->reservations.generic_resources[0].kind, "gpu");
  EXPECT_EQ(foo_->reservations.generic_resources[0].value, 2);

  ASSERT_TRUE(foo_->healthcheck.has_value());
  EXPECT_EQ(foo_->healthcheck->test, Strings(want_["healthcheck"]["test"]));
  EXPECT_EQ(foo_->healthcheck->interval, std::chrono::seconds(10));
  EXPECT_EQ(foo_->healthcheck->retries, 5);
  EXPECT_EQ(foo_->healthcheck->start_interval, std::chrono::seconds(5));
  ASSERT_TRUE(foo_->logging.has_value());
  EXPECT_EQ(foo_->logging->driver, "syslog");
  EXPECT_EQ(foo_->logging->options, StringMap(want_["logging"]["options"]));
  EXPECT_EQ(foo_->ulimits.at("nproc").soft, 65535);
  EXPECT_TRUE(foo_->ulimits.at("nproc").single);
  EXPECT_EQ(foo_->ulimits.at("nofile").hard, 40000);
  ASSERT_TRUE(foo_->build.has_value());
  EXPECT_EQ(foo_->build->context, want_["build"]["context"]);
  EXPECT_EQ(foo_->build->tags, Strings(want_["build"]["tags"]));
  EXPECT_EQ(foo_->build->additional_contexts.at("foo"), "/WORKDIR/bar");
  EXPECT_EQ(project_.FindService("bar")->build->context, "/WORKDIR");
  EXPECT_THAT(foo_->depends_on, ElementsAre("db", "redis"));
  ASSERT_EQ(foo_->dependencies.size(), 2u);
  EXPECT_EQ(foo_->dependencies[0].condition, "service_started");
  EXPECT_TRUE(foo_->dependencies[0].required);
}

}  // namespace
}  // namespace ecsync::compose
