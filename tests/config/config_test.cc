#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Vars = std::map<std::string, std::string>;

// Files the tests' secret references may name.
config::ReadFileFn FilesFromMap(Vars files) {
  return [files = std::move(files)](
             const std::string& path) -> base::Result<std::optional<std::string>> {
    auto it = files.find(path);
    if (it == files.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
}

base::Result<config::Config> Parse(const std::string& text, Vars env = {{"HOME", "/home/tester"}},
                                   Vars files = {}) {
  return config::ParseConfig(text, "ecsync.yaml", base::EnvFromMap(std::move(env)),
                             FilesFromMap(std::move(files)));
}

// The error message of parsing `text`, which must fail with kInvalid.
std::string ErrorOf(const std::string& text, Vars env = {{"HOME", "/home/tester"}},
                    Vars files = {}) {
  const base::Result<config::Config> config = Parse(text, std::move(env), std::move(files));
  if (config.ok()) {
    ADD_FAILURE() << "parsed without error:\n" << text;
    return "";
  }
  EXPECT_EQ(config.status().kind(), base::ErrorKind::kInvalid);
  return config.status().message();
}

// The smallest valid file, with `extra` appended to the first repository (indented by 4).
std::string Minimal(const std::string& extra = "") {
  return "repositories:\n"                               // 1
         "  - url: https://example.com/acme/shop.git\n"  // 2
         "    projects:\n"                               // 3
         "      - files: compose.yaml\n"                 // 4
         + extra;
}

TEST(ConfigExample, ParsesWithExpectedValues) {
  const std::string text = testing::ReadFileOrDie(testing::SourceDir() + "/examples/ecsync.yaml");
  const base::Result<config::Config> config = Parse(text, {{"ECSYNC_WEBHOOK_SECRET", "hook-secret"},
                                                           {"SHOP_HOOK_SECRET", "shop-secret"},
                                                           {"GITHUB_TOKEN", "ghp_token"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, "ecsync.yaml");
  EXPECT_EQ(config->concurrency, 4);
  EXPECT_EQ(config->poll_concurrency, 4);
  EXPECT_EQ(config->cache_dir, "/var/cache/ecsync/git");
  EXPECT_EQ(config->drift_interval, minutes(30));
  EXPECT_EQ(config->server.listen, "0.0.0.0:8080");
  EXPECT_EQ(config->server.admin_listen, "127.0.0.1:8081");
  EXPECT_EQ(config->server.metrics_listen, "127.0.0.1:9090");
  EXPECT_EQ(config->server.request_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config->server.max_connections_per_client, 64);
  EXPECT_EQ(config->webhooks.secret, "hook-secret");
  EXPECT_EQ(config->webhooks.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->webhooks.requests_per_second, 10);
  EXPECT_EQ(config->webhooks.burst, 50);
  EXPECT_EQ(config->aws.region, "eu-west-1");
  EXPECT_EQ(config->aws.profile, "prod");
  EXPECT_EQ(config->aws.role_arn, "arn:aws:iam::123456789012:role/ecsync");
  EXPECT_EQ(config->aws.endpoint_url, "");
  EXPECT_EQ(config->aws.stack_dir, "");
  EXPECT_EQ(config->aws.requests_per_second, 20);
  EXPECT_EQ(config->aws.burst, 40);

  ASSERT_EQ(config->repositories.size(), 2u);
  const config::RepositoryConfig& shop = config->repositories[0];
  EXPECT_EQ(shop.name, "shop");
  EXPECT_EQ(shop.url, "https://github.com/acme/shop.git");
  EXPECT_EQ(shop.ref_kind, config::RefKind::kBranch);
  EXPECT_EQ(shop.ref, "main");
  EXPECT_EQ(shop.poll_interval, minutes(1));
  EXPECT_EQ(shop.timeout, minutes(30));
  EXPECT_FALSE(shop.allow_prune_all);
  EXPECT_EQ(shop.webhook_secret, "shop-secret");
  EXPECT_EQ(shop.auth.username, "x-access-token");
  EXPECT_EQ(shop.auth.password, "ghp_token");
  EXPECT_GT(shop.line, 0);
  ASSERT_EQ(shop.projects.size(), 2u);
  const config::ProjectConfig& web = shop.projects[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.files,
            (std::vector<std::string>{"deploy/compose.yaml", "deploy/compose.prod.yaml"}));
  EXPECT_EQ(web.glob, "");
  EXPECT_EQ(web.stack_name, "shop-web");
  EXPECT_EQ(web.profiles, std::vector<std::string>{"prod"});
  EXPECT_EQ(web.variables, (Vars{{"TAG", "1.2"}}));
  EXPECT_EQ(web.env_file, "deploy/prod.env");
  EXPECT_TRUE(web.prune);
  EXPECT_FALSE(web.suspend);
  EXPECT_EQ(web.timeout, minutes(45));
  EXPECT_FALSE(web.self_heal);
  const config::ProjectConfig& services = shop.projects[1];
  EXPECT_EQ(services.glob, "services/*/compose.yaml");
  EXPECT_TRUE(services.files.empty());
  EXPECT_EQ(services.name, "");
  EXPECT_GT(services.line, web.line);

  const config::RepositoryConfig& platform = config->repositories[1];
  EXPECT_EQ(platform.name, "platform");
  EXPECT_EQ(platform.ref_kind, config::RefKind::kTag);
  EXPECT_EQ(platform.ref, "v2.4.0");
  EXPECT_EQ(platform.auth.ssh_private_key_path, "/keys/id_ed25519");
  EXPECT_EQ(platform.auth.known_hosts_path, "/keys/known_hosts");
  EXPECT_EQ(platform.auth.password, "");
  ASSERT_EQ(platform.projects.size(), 1u);
  EXPECT_EQ(platform.projects[0].name, "platform");
  EXPECT_EQ(platform.projects[0].files, std::vector<std::string>{"compose.yaml"});
}

TEST(ConfigExample, NeedsItsSecrets) {
  const std::string text = testing::ReadFileOrDie(testing::SourceDir() + "/examples/ecsync.yaml");
  EXPECT_THAT(ErrorOf(text, {}), HasSubstr("webhooks.secret.env: environment variable "
                                           "ECSYNC_WEBHOOK_SECRET is not set"));
}

TEST(ConfigWebhooks, RateLimitsPerRepositorySenderAndRefusal) {
  const base::Result<config::Config> config = Parse(
      "webhooks:\n  requests_per_second: 2\n  burst: 3\n  source_requests_per_second: 5\n"
      "  source_burst: 9\n  refused_requests_per_second: 0.5\n  refused_burst: 4\n" +
          Minimal(),
      {{"HOME", "/home/tester"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->webhooks.requests_per_second, 2);
  EXPECT_EQ(config->webhooks.burst, 3);
  EXPECT_EQ(config->webhooks.source_requests_per_second, 5);
  EXPECT_EQ(config->webhooks.source_burst, 9);
  EXPECT_EQ(config->webhooks.refused_requests_per_second, 0.5);
  EXPECT_EQ(config->webhooks.refused_burst, 4);
  EXPECT_THAT(ErrorOf("webhooks:\n  refused_burst: 0\n" + Minimal()), HasSubstr("refused_burst"));
}

TEST(ConfigDefaults, FillEverythingNotWritten) {
  const base::Result<config::Config> config = Parse(Minimal(), {{"XDG_CACHE_HOME", "/xdg"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->concurrency, 4);
  EXPECT_EQ(config->cache_dir, "/xdg/ecsync/git");
  EXPECT_EQ(config->drift_interval, milliseconds(0));
  EXPECT_EQ(config->server.listen, "0.0.0.0:8080");
  EXPECT_EQ(config->server.metrics_listen, "");
  EXPECT_EQ(config->webhooks.secret, "");
  EXPECT_EQ(config->webhooks.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->webhooks.requests_per_second, 10);
  EXPECT_EQ(config->webhooks.burst, 50);
  EXPECT_EQ(config->aws.region, "");
  EXPECT_EQ(config->aws.requests_per_second, 20);
  EXPECT_EQ(config->aws.burst, 40);
  ASSERT_EQ(config->repositories.size(), 1u);
  const config::RepositoryConfig& repo = config->repositories[0];
  EXPECT_EQ(repo.name, "shop");
  EXPECT_EQ(repo.ref_kind, config::RefKind::kBranch);
  EXPECT_EQ(repo.ref, "main");
  EXPECT_EQ(repo.poll_interval, minutes(1));
  EXPECT_EQ(repo.timeout, minutes(30));
  EXPECT_TRUE(repo.auth.empty());
  EXPECT_EQ(repo.webhook_secret, "");
  EXPECT_FALSE(repo.allow_prune_all);
  EXPECT_EQ(repo.line, 2);
  ASSERT_EQ(repo.projects.size(), 1u);
  const config::ProjectConfig& project = repo.projects[0];
  EXPECT_EQ(project.name, "shop");  // a root file takes the repository's name
  EXPECT_EQ(project.stack_name, "");
  EXPECT_TRUE(project.prune);
  EXPECT_FALSE(project.suspend);
  EXPECT_FALSE(project.self_heal);
  EXPECT_FALSE(project.timeout.has_value());
  EXPECT_TRUE(project.profiles.empty());
  EXPECT_TRUE(project.variables.empty());
  EXPECT_EQ(project.env_file, "");
  EXPECT_EQ(project.line, 4);
}

TEST(ConfigDefaults, CacheDirFallsBackToHome) {
  const base::Result<config::Config> config = Parse(Minimal(), {{"HOME", "/home/u"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->cache_dir, "/home/u/.cache/ecsync/git");
  EXPECT_THAT(ErrorOf(Minimal(), {}), StartsWith("ecsync.yaml:1: cache_dir: is not set"));
}

TEST(ConfigDefaults, NullValuesCountAsNotGiven) {
  const base::Result<config::Config> config = Parse("concurrency:\naws:\nserver: ~\n" + Minimal());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->concurrency, 4);
  EXPECT_EQ(config->server.listen, "0.0.0.0:8080");
}

TEST(ConfigDefaults, ProjectNameFromFolderOfFirstFile) {
  const base::Result<config::Config> config = Parse(
      "repositories:\n"
      "  - url: https://example.com/Acme/My.Repo.git/\n"
      "    projects:\n"
      "      - files: [deploy/Web.App/compose.yaml, other/compose.yaml]\n"
      "      - files: [./compose.yaml]\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->repositories[0].name, "my-repo");
  EXPECT_EQ(config->repositories[0].projects[0].name, "web-app");
  EXPECT_EQ(config->repositories[0].projects[1].name, "my-repo");
}

TEST(ConfigDefaults, ExtensionKeysAreIgnored) {
  const base::Result<config::Config> config =
      Parse("x-common: &common {prune: false}\n" + Minimal() + "        <<: *common\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->repositories[0].projects[0].prune);
}

TEST(ConfigValues, CommitTagAndBranch) {
  const std::string commit = "0123456789ABCDEF0123456789abcdef01234567";
  base::Result<config::Config> config = Parse(Minimal("    commit: " + commit + "\n"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->repositories[0].ref_kind, config::RefKind::kCommit);
  EXPECT_EQ(config->repositories[0].ref, "0123456789abcdef0123456789abcdef01234567");
  config = Parse(Minimal("    tag: 1.2\n"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->repositories[0].ref_kind, config::RefKind::kTag);
  EXPECT_EQ(config->repositories[0].ref, "1.2");
  config = Parse(Minimal("    branch: release/2\n"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->repositories[0].ref, "release/2");
}

TEST(ConfigValues, SizesDurationsAndNumbers) {
  const base::Result<config::Config> config = Parse(
      "drift_interval: 90\n"
      "concurrency: 64\n"
      "poll_concurrency: 2\n"
      "webhooks: {max_body_bytes: 512k, requests_per_second: 0.5, burst: 1}\n"
      "aws: {requests_per_second: 2.5}\n" +
      Minimal("    poll_interval: 1m30s\n    timeout: 500ms\n"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->drift_interval, seconds(90));
  EXPECT_EQ(config->concurrency, 64);
  EXPECT_EQ(config->poll_concurrency, 2);
  EXPECT_EQ(config->webhooks.max_body_bytes, 512u * 1024);
  EXPECT_EQ(config->webhooks.requests_per_second, 0.5);
  EXPECT_EQ(config->webhooks.burst, 1);
  EXPECT_EQ(config->aws.requests_per_second, 2.5);
  EXPECT_EQ(config->repositories[0].poll_interval, seconds(90));
  EXPECT_EQ(config->repositories[0].timeout, milliseconds(500));
  const base::Result<config::Config> plain =
      Parse("webhooks: {max_body_bytes: 2048}\n" + Minimal());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->webhooks.max_body_bytes, 2048u);
}

TEST(ConfigValues, ProjectSettings) {
  const base::Result<config::Config> config = Parse(
      "repositories:\n"
      "  - url: https://example.com/shop\n"
      "    projects:\n"
      "      - files: a/../compose.yaml\n"
      "        profiles: debug\n"
      "        variables: {N: 3, ON: true, EMPTY: \"\"}\n"
      "        suspend: true\n"
      "        self_heal: True\n"
      "        prune: false\n"
      "      - glob: \"**/compose.yaml\"\n"
      "        name: svc\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const config::ProjectConfig& project = config->repositories[0].projects[0];
  EXPECT_EQ(project.files, std::vector<std::string>{"a/../compose.yaml"});
  EXPECT_EQ(project.profiles, std::vector<std::string>{"debug"});
  EXPECT_EQ(project.variables, (Vars{{"N", "3"}, {"ON", "true"}, {"EMPTY", ""}}));
  EXPECT_TRUE(project.suspend);
  EXPECT_TRUE(project.self_heal);
  EXPECT_FALSE(project.prune);
  EXPECT_EQ(config->repositories[0].projects[1].name, "svc");
  EXPECT_EQ(config->repositories[0].projects[1].glob, "**/compose.yaml");
}

TEST(ConfigValues, ProjectApprovalIsAutoOrManual) {
  const std::string head =
      "repositories:\n"
      "  - url: https://example.com/shop\n"
      "    projects:\n"
      "      - files: compose.yaml\n";
  const base::Result<config::Config> manual = Parse(head + "        approval: manual\n");
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  EXPECT_TRUE(manual->repositories[0].projects[0].manual_approval);
  const base::Result<config::Config> automatic = Parse(head + "        approval: auto\n");
  ASSERT_TRUE(automatic.ok()) << automatic.status().ToString();
  EXPECT_FALSE(automatic->repositories[0].projects[0].manual_approval);
  const base::Result<config::Config> unset = Parse(head);
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  EXPECT_FALSE(unset->repositories[0].projects[0].manual_approval);
  EXPECT_EQ(ErrorOf(head + "        approval: always\n"),
            "ecsync.yaml:5: repositories[0].projects[0].approval: must be auto or manual, not "
            "'always'");
}

TEST(ConfigSecrets, FromEnvironmentAndFiles) {
  const base::Result<config::Config> config = Parse(
      "webhooks:\n"
      "  secret: {file: /run/secrets/hook}\n" +
          Minimal("    auth:\n"
                  "      basic:\n"
                  "        username: bob\n"
                  "        password: {env: GIT_PASSWORD}\n"),
      {{"HOME", "/h"}, {"GIT_PASSWORD", "pa55"}}, {{"/run/secrets/hook", "hook-value\r\n"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->webhooks.secret, "hook-value");
  EXPECT_EQ(config->repositories[0].auth.username, "bob");
  EXPECT_EQ(config->repositories[0].auth.password, "pa55");
}

TEST(ConfigSecrets, SshKeyWithPassphraseFromFile) {
  const base::Result<config::Config> config = Parse(
      "repositories:\n"
      "  - url: ssh://git@example.com/acme/shop.git\n"
      "    auth:\n"
      "      ssh:\n"
      "        private_key: /keys/id\n"
      "        public_key: /keys/id.pub\n"
      "        passphrase: {file: keys/pass}\n"
      "        username: deploy\n"
      "    projects: [{files: compose.yaml}]\n",
      {{"HOME", "/h"}}, {{"keys/pass", "open sesame\n"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const git::Credentials& auth = config->repositories[0].auth;
  EXPECT_EQ(auth.ssh_private_key_path, "/keys/id");
  EXPECT_EQ(auth.ssh_public_key_path, "/keys/id.pub");
  EXPECT_EQ(auth.ssh_passphrase, "open sesame");
  EXPECT_EQ(auth.username, "deploy");
}

TEST(ConfigSecrets, TokenWithUserName) {
  const base::Result<config::Config> config = Parse(
      Minimal("    auth: {token: {env: T}, username: oauth2}\n"), {{"HOME", "/h"}, {"T", "tok"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->repositories[0].auth.username, "oauth2");
  EXPECT_EQ(config->repositories[0].auth.password, "tok");
}

TEST(ConfigSecrets, PlainStringIsRefusedWithoutEchoingIt) {
  const std::string message = ErrorOf(Minimal("    webhook_secret: hunter2-value\n"));
  EXPECT_THAT(message, StartsWith("ecsync.yaml:5: repositories[0].webhook_secret: a secret "
                                  "cannot be written in the configuration file"));
  EXPECT_THAT(message, HasSubstr("{env: NAME}"));
  EXPECT_THAT(message, HasSubstr("{file: /path}"));
  EXPECT_THAT(message, Not(HasSubstr("hunter2")));
  EXPECT_THAT(ErrorOf(Minimal("    auth: {token: ghp_abc123}\n")),
              AllOf(StartsWith("ecsync.yaml:5: repositories[0].auth.token: a secret cannot"),
                    Not(HasSubstr("ghp_abc123"))));
}

TEST(ConfigSecrets, MissingVariableNamesKeyAndVariableButNoValue) {
  const std::string message = ErrorOf("webhooks:\n  secret: {env: HOOK_SECRET}\n" + Minimal(),
                                      {{"HOME", "/h"}, {"OTHER", "leaky-value"}});
  EXPECT_EQ(message,
            "ecsync.yaml:2: webhooks.secret.env: environment variable HOOK_SECRET is not set; "
            "set it in ecsync's environment");
  EXPECT_THAT(message, Not(HasSubstr("leaky-value")));
  EXPECT_THAT(ErrorOf("webhooks:\n  secret: {env: HOOK_SECRET}\n" + Minimal(),
                      {{"HOME", "/h"}, {"HOOK_SECRET", ""}}),
              StartsWith("ecsync.yaml:2: webhooks.secret.env: environment variable HOOK_SECRET "
                         "is empty"));
}

TEST(ConfigSecrets, FileProblems) {
  EXPECT_THAT(ErrorOf(Minimal("    webhook_secret: {file: /nope}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].webhook_secret.file: file /nope does "
                         "not exist"));
  EXPECT_THAT(ErrorOf(Minimal("    webhook_secret: {file: /empty}\n"), {{"HOME", "/h"}},
                      {{"/empty", "\n"}}),
              StartsWith("ecsync.yaml:5: repositories[0].webhook_secret.file: file /empty is "
                         "empty"));
}

TEST(ConfigSecrets, ReferenceShape) {
  EXPECT_THAT(ErrorOf(Minimal("    webhook_secret: {env: A, file: /b}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].webhook_secret: needs exactly one of "
                         "env and file"));
  EXPECT_THAT(ErrorOf(Minimal("    webhook_secret: {envv: A}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].webhook_secret.envv: unknown key; did "
                         "you mean \"env\"?"));
  EXPECT_THAT(ErrorOf(Minimal("    webhook_secret: {env: 1BAD}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].webhook_secret.env: \"1BAD\" is not an "
                         "environment variable name"));
  EXPECT_THAT(ErrorOf(Minimal("    webhook_secret: [a]\n")),
              StartsWith("ecsync.yaml:5: repositories[0].webhook_secret: a secret cannot be "
                         "written in the configuration file (found a list)"));
}

TEST(ConfigErrors, EmptyAndCommentOnlyFiles) {
  EXPECT_THAT(ErrorOf(""), StartsWith("ecsync.yaml:1: repositories: no repositories"));
  EXPECT_THAT(ErrorOf("# nothing yet\n\n# still nothing\n"),
              StartsWith("ecsync.yaml:1: repositories: no repositories"));
  EXPECT_THAT(ErrorOf("concurrency: 2\n"),
              StartsWith("ecsync.yaml:1: repositories: no repositories"));
  EXPECT_THAT(ErrorOf("concurrency: 2\nrepositories: []\n"),
              StartsWith("ecsync.yaml:2: repositories: no repositories"));
  EXPECT_THAT(ErrorOf("- a\n- b\n"),
              StartsWith("ecsync.yaml:1: the file must be a mapping of settings"));
}

TEST(ConfigErrors, YamlSyntaxAndDuplicateKeys) {
  EXPECT_THAT(ErrorOf("concurrency: 2\nrepositories: [\n"), StartsWith("ecsync.yaml:"));
  EXPECT_THAT(ErrorOf("concurrency: 2\nrepositories: [\n"), HasSubstr("invalid YAML"));
  EXPECT_THAT(ErrorOf("concurrency: 2\nconcurrency: 3\n" + Minimal()),
              AllOf(StartsWith("ecsync.yaml:2:"), HasSubstr("duplicate key \"concurrency\"")));
  EXPECT_THAT(ErrorOf("a: *nowhere\n"), StartsWith("ecsync.yaml:1:"));
}

TEST(ConfigErrors, MisspeltKeysGetSuggestions) {
  EXPECT_EQ(ErrorOf("concurency: 2\n" + Minimal()),
            "ecsync.yaml:1: concurency: unknown key; did you mean \"concurrency\"?");
  EXPECT_EQ(ErrorOf(Minimal("    brnch: main\n")),
            "ecsync.yaml:5: repositories[0].brnch: unknown key; did you mean \"branch\"?");
  EXPECT_EQ(ErrorOf(Minimal("        stack_nam: x\n")),
            "ecsync.yaml:5: repositories[0].projects[0].stack_nam: unknown key; did you mean "
            "\"stack_name\"?");
  EXPECT_EQ(ErrorOf("aws:\n  regoin: eu-west-1\n" + Minimal()),
            "ecsync.yaml:2: aws.regoin: unknown key; did you mean \"region\"?");
  EXPECT_EQ(ErrorOf("server:\n  metrics: 1.2.3.4:9\n" + Minimal()),
            "ecsync.yaml:2: server.metrics: unknown key; remove it (the keys here are: listen, "
            "admin_listen, metrics_listen, request_timeout, idle_timeout, max_connections, "
            "max_connections_per_client)");
  EXPECT_THAT(ErrorOf(Minimal("    auth: {tokn: {env: T}}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].auth.tokn: unknown key; did you mean "
                         "\"token\"?"));
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_THAT(ErrorOf("concurrency: four\n" + Minimal()),
              StartsWith("ecsync.yaml:1: concurrency: must be a whole number (1..64), found a "
                         "string"));
  EXPECT_THAT(ErrorOf("server: [a]\n" + Minimal()),
              StartsWith("ecsync.yaml:1: server: must be a mapping of settings, found a list"));
  EXPECT_THAT(ErrorOf(Minimal("        prune: \"yes\"\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].prune: must be true or "
                         "false, found a string"));
  EXPECT_THAT(
      ErrorOf("repositories:\n  - url: https://e/x\n    projects:\n      - files: {a: b}\n"),
      StartsWith("ecsync.yaml:4: repositories[0].projects[0].files: must be a string or "
                 "a list of strings, found a mapping"));
  EXPECT_THAT(
      ErrorOf("repositories:\n  - url: https://e/x\n    projects:\n      - files: [a, [b]]\n"),
      StartsWith("ecsync.yaml:4: repositories[0].projects[0].files[1]: must be a string, "
                 "found a list"));
  EXPECT_THAT(ErrorOf("repositories: {url: x}\n"),
              StartsWith("ecsync.yaml:1: repositories: must be a list of repositories, found a "
                         "mapping"));
  EXPECT_THAT(ErrorOf("repositories:\n  - https://e/x\n"),
              StartsWith("ecsync.yaml:2: repositories[0]: must be a mapping with at least url "
                         "and projects, found a string"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: https://e/x\n    projects: x.yaml\n"),
              StartsWith("ecsync.yaml:3: repositories[0].projects: must be a list of projects"));
  EXPECT_THAT(ErrorOf(Minimal("        variables: {A: [1]}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].variables.A: must be a "
                         "string, found a list"));
  EXPECT_THAT(ErrorOf(Minimal("        variables: {A: }\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].variables.A: must be a "
                         "string, found nothing"));
  EXPECT_THAT(ErrorOf(Minimal("        variables: {1A: x}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].variables.1A: is not a "
                         "variable name"));
}

TEST(ConfigErrors, Durations) {
  EXPECT_THAT(ErrorOf(Minimal("    poll_interval: 5 minutes\n")),
              StartsWith("ecsync.yaml:5: repositories[0].poll_interval: invalid duration"));
  EXPECT_THAT(ErrorOf(Minimal("    poll_interval: -1m\n")),
              StartsWith("ecsync.yaml:5: repositories[0].poll_interval: must not be negative"));
  EXPECT_THAT(ErrorOf(Minimal("    timeout: 0s\n")),
              StartsWith("ecsync.yaml:5: repositories[0].timeout: must be longer than 0"));
  EXPECT_THAT(ErrorOf(Minimal("        timeout: 0\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].timeout: must be longer "
                         "than 0"));
  EXPECT_THAT(ErrorOf("drift_interval: true\n" + Minimal()),
              StartsWith("ecsync.yaml:1: drift_interval: must be a duration"));
  EXPECT_THAT(ErrorOf("drift_interval: 99999999999999999999h\n" + Minimal()),
              StartsWith("ecsync.yaml:1: drift_interval: \"99999999999999999999h\" is too long"));
  const base::Result<config::Config> off = Parse("drift_interval: 0\n" + Minimal());
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->drift_interval, milliseconds(0));
}

TEST(ConfigErrors, NumbersOutOfRange) {
  EXPECT_THAT(ErrorOf("concurrency: 0\n" + Minimal()),
              StartsWith("ecsync.yaml:1: concurrency: must be between 1 and 64, found 0"));
  EXPECT_THAT(ErrorOf("concurrency: 65\n" + Minimal()),
              StartsWith("ecsync.yaml:1: concurrency: must be between 1 and 64, found 65"));
  EXPECT_THAT(ErrorOf("concurrency: -3\n" + Minimal()),
              StartsWith("ecsync.yaml:1: concurrency: must be between 1 and 64"));
  EXPECT_THAT(ErrorOf("poll_concurrency: 0\n" + Minimal()),
              StartsWith("ecsync.yaml:1: poll_concurrency: must be between 1 and 64, found 0"));
  EXPECT_THAT(ErrorOf("webhooks:\n  max_body_bytes: 0\n" + Minimal()),
              StartsWith("ecsync.yaml:2: webhooks.max_body_bytes: must be at least 1 byte"));
  EXPECT_THAT(ErrorOf("webhooks:\n  max_body_bytes: lots\n" + Minimal()),
              StartsWith("ecsync.yaml:2: webhooks.max_body_bytes: must be a byte count"));
  EXPECT_THAT(ErrorOf("webhooks:\n  requests_per_second: 0\n" + Minimal()),
              StartsWith("ecsync.yaml:2: webhooks.requests_per_second: must be a number greater "
                         "than 0, found 0"));
  EXPECT_THAT(ErrorOf("aws:\n  requests_per_second: -1.5\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.requests_per_second: must be a number greater than "
                         "0"));
  EXPECT_THAT(ErrorOf("aws:\n  burst: 0\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.burst: must be between 1 and"));
}

TEST(ConfigErrors, ListenAddresses) {
  EXPECT_THAT(ErrorOf("server:\n  listen: \"8080\"\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.listen: \"8080\" has no port"));
  EXPECT_THAT(ErrorOf("server:\n  listen: 0.0.0.0:99999\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.listen: \"0.0.0.0:99999\" has an invalid port"));
  EXPECT_THAT(ErrorOf("server:\n  listen: \":8080\"\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.listen: \":8080\" has no host"));
  EXPECT_THAT(ErrorOf("server:\n  listen: \"::1:8080\"\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.listen: \"::1:8080\": write an IPv6 host in "
                         "brackets"));
  EXPECT_THAT(ErrorOf("server:\n  metrics_listen: 0.0.0.0:8080\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.metrics_listen: is the same address as "
                         "server.listen"));
  EXPECT_THAT(ErrorOf("server:\n  admin_listen: 0.0.0.0:8080\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.admin_listen: uses the same address as "
                         "server.listen"));
  EXPECT_THAT(ErrorOf("server:\n  admin_listen: 127.0.0.1:8080\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.admin_listen: uses the same address as "
                         "server.listen"));
  EXPECT_THAT(ErrorOf("server:\n  metrics_listen: 127.0.0.1:8081\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.metrics_listen: is the same address as "
                         "server.admin_listen"));
  EXPECT_THAT(ErrorOf("server:\n  admin_listen: \"\"\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.admin_listen: \"\" has no port"));
  const base::Result<config::Config> config =
      Parse("server: {listen: \"[::1]:8080\", metrics_listen: localhost:9090}\n" + Minimal());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen, "[::1]:8080");
  EXPECT_EQ(config->server.admin_listen, "127.0.0.1:8081");
}

TEST(Config, ServerLimits) {
  const base::Result<config::Config> defaults = Parse(Minimal());
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->server.request_timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults->server.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(defaults->server.max_connections, 512);
  EXPECT_EQ(defaults->server.max_connections_per_client, 64);
  const base::Result<config::Config> config = Parse(
      "server:\n  admin_listen: 0.0.0.0:9000\n  request_timeout: 5s\n"
      "  idle_timeout: 2m\n  max_connections: 100\n  max_connections_per_client: 10\n" +
      Minimal());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.admin_listen, "0.0.0.0:9000");
  EXPECT_EQ(config->server.request_timeout, std::chrono::seconds(5));
  EXPECT_EQ(config->server.idle_timeout, std::chrono::minutes(2));
  EXPECT_EQ(config->server.max_connections, 100);
  EXPECT_EQ(config->server.max_connections_per_client, 10);
  EXPECT_THAT(ErrorOf("server:\n  max_connections: 0\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.max_connections: must be between 1 and"));
  EXPECT_THAT(ErrorOf("server:\n  request_timeout: 0s\n" + Minimal()),
              StartsWith("ecsync.yaml:2: server.request_timeout:"));
}

TEST(ConfigErrors, RepositoryUrl) {
  EXPECT_THAT(ErrorOf("repositories:\n  - projects: [{files: a.yaml}]\n"),
              StartsWith("ecsync.yaml:2: repositories[0].url: is required"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: \"\"\n    projects: [{files: a.yaml}]\n"),
              StartsWith("ecsync.yaml:2: repositories[0].url: is required"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: \"https://e/a b\"\n    projects: [{files: a}]\n"),
              StartsWith("ecsync.yaml:2: repositories[0].url: contains blanks"));
  const std::string password = ErrorOf(
      "repositories:\n  - url: https://bob:s3cr3t@e.com/x.git\n    projects: [{files: a}]\n");
  EXPECT_THAT(password, StartsWith("ecsync.yaml:2: repositories[0].url: contains a password"));
  EXPECT_THAT(password, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: https://e.com/.git\n    projects: [{files: a}]\n"),
              StartsWith("ecsync.yaml:2: repositories[0].url: no repository name can be derived"));
}

TEST(ConfigErrors, DuplicateRepositoryNames) {
  EXPECT_EQ(ErrorOf(Minimal() + "  - url: https://example.com/other/shop.git\n"
                                "    projects: [{files: a.yaml}]\n"),
            "ecsync.yaml:5: repositories[1].name: repository name \"shop\" (derived from the "
            "URL) is already used by repositories[0] (line 2); give one of them another name");
  EXPECT_THAT(ErrorOf(Minimal() + "  - url: https://example.com/other/x.git\n"
                                  "    projects: [{files: a.yaml}]\n"
                                  "    name: shop\n"),
              StartsWith("ecsync.yaml:7: repositories[1].name: repository name \"shop\" is "
                         "already used by repositories[0] (line 2)"));
}

TEST(ConfigErrors, DuplicateProjectNames) {
  EXPECT_EQ(ErrorOf("repositories:\n"
                    "  - url: https://e/x\n"
                    "    projects:\n"
                    "      - files: web/compose.yaml\n"
                    "      - files: other/compose.yaml\n"
                    "        name: web\n"),
            "ecsync.yaml:6: repositories[0].projects[1].name: project name \"web\" is already "
            "used by repositories[0].projects[0] (line 4); give one of them another name");
  EXPECT_THAT(ErrorOf("repositories:\n"
                      "  - url: https://e/x\n"
                      "    projects:\n"
                      "      - files: a/web/compose.yaml\n"
                      "      - files: b/web/compose.yaml\n"),
              StartsWith("ecsync.yaml:5: repositories[0].projects[1].name: project name \"web\" "
                         "(derived from its first file) is already used"));
  // The same project name in two repositories is fine.
  const base::Result<config::Config> config =
      Parse(Minimal() +
            "  - url: https://e/other\n"
            "    projects: [{files: compose.yaml, name: shop}]\n");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
}

TEST(ConfigErrors, Names) {
  EXPECT_THAT(ErrorOf(Minimal("        name: Web\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].name: \"Web\" is not a "
                         "valid project name; use only lower-case letters, digits, _ and -"));
  EXPECT_THAT(ErrorOf(Minimal("    name: my repo\n")),
              StartsWith("ecsync.yaml:5: repositories[0].name: \"my repo\" is not a valid "
                         "repository name"));
  EXPECT_THAT(ErrorOf(Minimal("        stack_name: 1-web\n")),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].stack_name: \"1-web\" is "
                         "not a CloudFormation stack name"));
  EXPECT_THAT(ErrorOf(Minimal("        stack_name: s\n") +
                      "      - files: b/c.yaml\n        stack_name: s\n"),
              StartsWith("ecsync.yaml:7: repositories[0].projects[1].stack_name: stack \"s\" is "
                         "already used by repositories[0].projects[0].stack_name"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: https://e/x\n    projects:\n"
                      "      - {glob: \"*/c.yaml\", stack_name: s}\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0].stack_name: cannot be set "
                         "for a glob"));
}

TEST(ConfigErrors, FilesOrGlob) {
  EXPECT_EQ(ErrorOf("repositories:\n  - url: https://e/x\n    projects:\n"
                    "      - files: a.yaml\n        glob: \"*/a.yaml\"\n"),
            "ecsync.yaml:4: repositories[0].projects[0]: give only one of files and glob");
  EXPECT_THAT(ErrorOf("repositories:\n  - url: https://e/x\n    projects:\n"
                      "      - name: web\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0]: needs files (a list of "
                         "compose files) or glob"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: https://e/x\n    projects:\n      - files: []\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0].files: is empty"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: https://e/x\n"),
              StartsWith("ecsync.yaml:2: repositories[0].projects: no projects"));
}

TEST(ConfigErrors, FilesStayInsideTheRepository) {
  const std::string head = "repositories:\n  - url: https://e/x\n    projects:\n";
  EXPECT_THAT(
      ErrorOf(head + "      - files:\n          - ok.yaml\n          - /etc/compose.yaml\n"),
      StartsWith("ecsync.yaml:6: repositories[0].projects[0].files[1]: "
                 "\"/etc/compose.yaml\" is absolute; write it relative to the repository "
                 "root"));
  EXPECT_THAT(ErrorOf(head + "      - files: ../x/compose.yaml\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0].files: \"../x/compose.yaml\" "
                         "climbs out of the repository"));
  EXPECT_THAT(ErrorOf(head + "      - files: [a/../../compose.yaml]\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0].files[0]: "
                         "\"a/../../compose.yaml\" climbs out"));
  EXPECT_THAT(ErrorOf(head + "      - glob: ../*/compose.yaml\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0].glob: \"../*/compose.yaml\" "
                         "climbs out"));
  EXPECT_THAT(ErrorOf(head + "      - files: a.yaml\n        env_file: /etc/env\n"),
              StartsWith("ecsync.yaml:5: repositories[0].projects[0].env_file: \"/etc/env\" is "
                         "absolute"));
  EXPECT_THAT(ErrorOf(head + "      - files: [\"\"]\n"),
              StartsWith("ecsync.yaml:4: repositories[0].projects[0].files[0]: the path is empty"));
}

TEST(ConfigErrors, Refs) {
  EXPECT_EQ(ErrorOf(Minimal("    branch: main\n    tag: v1\n")),
            "ecsync.yaml:6: repositories[0].tag: is given together with branch; keep exactly one "
            "of branch, tag and commit");
  EXPECT_THAT(ErrorOf(Minimal("    commit: abc123\n")),
              StartsWith("ecsync.yaml:5: repositories[0].commit: \"abc123\" is not a full commit "
                         "hash; write all 40 hexadecimal digits"));
  EXPECT_THAT(ErrorOf(Minimal("    commit: " + std::string(39, 'a') + "g\n")),
              StartsWith("ecsync.yaml:5: repositories[0].commit:"));
  EXPECT_THAT(ErrorOf(Minimal("    branch: \"\"\n")),
              StartsWith("ecsync.yaml:5: repositories[0].branch: must be a branch name"));
}

TEST(ConfigErrors, Auth) {
  EXPECT_THAT(ErrorOf(Minimal("    auth: {token: {env: T}, basic: {username: u}}\n"),
                      {{"HOME", "/h"}, {"T", "t"}}),
              StartsWith("ecsync.yaml:5: repositories[0].auth: give only one of token, basic and "
                         "ssh"));
  EXPECT_THAT(ErrorOf(Minimal("    auth: {}\n")),
              StartsWith("ecsync.yaml:5: repositories[0].auth: needs one of token, basic and "
                         "ssh"));
  EXPECT_THAT(ErrorOf(Minimal("    auth:\n      username: bob\n      basic: {username: bob}\n")),
              StartsWith("ecsync.yaml:6: repositories[0].auth.username: goes with token only"));
  EXPECT_THAT(ErrorOf(Minimal("    auth:\n      basic: {username: bob}\n")),
              StartsWith("ecsync.yaml:6: repositories[0].auth.basic: needs a password"));
  EXPECT_THAT(ErrorOf(Minimal("    auth:\n      basic: {password: {env: P}}\n"),
                      {{"HOME", "/h"}, {"P", "p"}}),
              StartsWith("ecsync.yaml:6: repositories[0].auth.basic.username: is required"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: ssh://git@e.com/x.git\n"
                      "    auth: {ssh: {public_key: /k.pub}}\n    projects: [{files: a}]\n"),
              StartsWith("ecsync.yaml:3: repositories[0].auth.ssh: needs private_key"));
  EXPECT_THAT(ErrorOf(Minimal("    auth:\n      ssh: {private_key: /k}\n")),
              StartsWith("ecsync.yaml:6: repositories[0].auth.ssh: ssh authentication needs an "
                         "ssh:// or user@host:path URL"));
  EXPECT_THAT(ErrorOf("repositories:\n  - url: git@e.com:a/x.git\n    auth: {token: {env: T}}\n"
                      "    projects: [{files: a}]\n",
                      {{"HOME", "/h"}, {"T", "t"}}),
              StartsWith("ecsync.yaml:3: repositories[0].auth.token: token authentication needs "
                         "an https:// (or http://) URL"));
}

TEST(ConfigErrors, Aws) {
  for (const std::string arn :
       {"arn:aws:iam::12345:role/x", "arn:aws:iam::123456789012:user/x",
        "arn:aws:sts::123456789012:role/x", "role/x", "arn:aws:iam::123456789012:role/"}) {
    EXPECT_THAT(ErrorOf("aws:\n  role_arn: \"" + arn + "\"\n" + Minimal()),
                StartsWith("ecsync.yaml:2: aws.role_arn: \"" + arn +
                           "\" is not an IAM role ARN; write arn:aws:iam::123456789012:role/NAME"))
        << arn;
  }
  const base::Result<config::Config> config =
      Parse("aws:\n  role_arn: arn:aws-cn:iam::123456789012:role/path/ecsync\n" + Minimal());
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(ErrorOf("aws:\n  endpoint_url: 127.0.0.1:5000\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.endpoint_url: \"127.0.0.1:5000\" is not an http://"));
  EXPECT_THAT(ErrorOf("aws:\n  region: EU West\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.region: \"EU West\" is not a region name"));
}

TEST(ConfigErrors, NetworkAndTemplateBucket) {
  const base::Result<config::Config> config = Parse(
      "aws:\n  vpc_id: vpc-0abc\n  subnet_ids: [subnet-1, subnet-2]\n  template_bucket: acme-t\n" +
      Minimal());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->aws.vpc_id, "vpc-0abc");
  EXPECT_EQ(config->aws.subnet_ids, (std::vector<std::string>{"subnet-1", "subnet-2"}));
  EXPECT_EQ(config->aws.template_bucket, "acme-t");
  EXPECT_THAT(ErrorOf("aws:\n  vpc_id: 0abc\n  subnet_ids: [subnet-1]\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.vpc_id: \"0abc\" is not a VPC id"));
  EXPECT_THAT(ErrorOf("aws:\n  vpc_id: vpc-1\n  subnet_ids: [sn-1]\n" + Minimal()),
              StartsWith("ecsync.yaml:3: aws.subnet_ids: \"sn-1\" is not a subnet id"));
  EXPECT_THAT(ErrorOf("aws:\n  vpc_id: vpc-1\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.vpc_id: set both vpc_id and subnet_ids"));
  EXPECT_THAT(
      ErrorOf("aws:\n  stack_dir: /tmp/s\n" + Minimal()),
      StartsWith("ecsync.yaml:2: aws.stack_dir: stack files cannot look up the default VPC"));
  EXPECT_THAT(ErrorOf("aws:\n  template_bucket: s3://x\n" + Minimal()),
              StartsWith("ecsync.yaml:2: aws.template_bucket:"));
}

TEST(ConfigErrors, WebhooksOnlyNeedsASecret) {
  EXPECT_THAT(ErrorOf(Minimal("    poll_interval: 0\n")),
              StartsWith("ecsync.yaml:5: repositories[0].poll_interval: is 0 (webhooks only) but "
                         "no webhook secret is set"));
  const base::Result<config::Config> config =
      Parse("webhooks: {secret: {env: S}}\n" + Minimal("    poll_interval: 0s\n"),
            {{"HOME", "/h"}, {"S", "s"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->repositories[0].poll_interval, milliseconds(0));
}

TEST(LoadConfig, ReadsFileAndSecretsFromDisk) {
  testing::TempDir dir;
  const std::string secret = dir.WriteFile("secret", "from-disk\n");
  const std::string path =
      dir.WriteFile("ecsync.yaml", "webhooks: {secret: {file: " + secret + "}}\n" + Minimal());
  const base::Result<config::Config> config =
      config::LoadConfig(path, base::EnvFromMap({{"HOME", "/h"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, path);
  EXPECT_EQ(config->webhooks.secret, "from-disk");
}

TEST(LoadConfig, MissingFileAndBadContent) {
  testing::TempDir dir;
  const base::Result<config::Config> missing =
      config::LoadConfig(dir.path() + "/nope.yaml", base::EnvFromMap({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.yaml: no such configuration file"));

  const base::Result<config::Config> directory =
      config::LoadConfig(dir.path(), base::EnvFromMap({}));
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("it is a directory"));

  const std::string path = dir.WriteFile("bad.yaml", "\n\nconcurrency: 100\n" + Minimal());
  const base::Result<config::Config> bad =
      config::LoadConfig(path, base::EnvFromMap({{"HOME", "/h"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), StartsWith(path + ":3: concurrency: must be between"));
}

TEST(GlobMatch, SingleStarStaysInOneSegment) {
  EXPECT_TRUE(config::GlobMatch("services/*/compose.yaml", "services/web/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("services/*/compose.yaml", "services/a/b/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("services/*/compose.yaml", "services/compose.yaml"));
  EXPECT_TRUE(config::GlobMatch("*.yaml", "compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("*.yaml", "dir/compose.yaml"));
  EXPECT_TRUE(config::GlobMatch("compose.*.yaml", "compose.prod.yaml"));
  EXPECT_TRUE(config::GlobMatch("a*b*c", "abc"));
  EXPECT_TRUE(config::GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(config::GlobMatch("a*b*c", "aXbYcZ"));
  EXPECT_TRUE(config::GlobMatch("*", ".hidden"));
  EXPECT_TRUE(config::GlobMatch("services/*", "services/x"));
  EXPECT_FALSE(config::GlobMatch("services/*", "services"));
}

TEST(GlobMatch, QuestionMarkIsOneCharacter) {
  EXPECT_TRUE(config::GlobMatch("app?/compose.yaml", "app1/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("app?/compose.yaml", "app/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("app?/compose.yaml", "app12/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("a?b", "a/b"));
}

TEST(GlobMatch, DoubleStarSpansAnyNumberOfSegments) {
  EXPECT_TRUE(config::GlobMatch("**/compose.yaml", "compose.yaml"));
  EXPECT_TRUE(config::GlobMatch("**/compose.yaml", "a/compose.yaml"));
  EXPECT_TRUE(config::GlobMatch("**/compose.yaml", "a/b/c/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("**/compose.yaml", "a/b/other.yaml"));
  EXPECT_TRUE(config::GlobMatch("deploy/**/compose.yaml", "deploy/compose.yaml"));
  EXPECT_TRUE(config::GlobMatch("deploy/**/compose.yaml", "deploy/x/y/compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("deploy/**/compose.yaml", "other/x/compose.yaml"));
  EXPECT_TRUE(config::GlobMatch("deploy/**", "deploy/a/b"));
  EXPECT_TRUE(config::GlobMatch("**", "anything/at/all"));
  EXPECT_TRUE(config::GlobMatch("a/**/b/**/c.yaml", "a/b/c.yaml"));
  EXPECT_TRUE(config::GlobMatch("a/**/b/**/c.yaml", "a/x/b/y/z/c.yaml"));
  EXPECT_FALSE(config::GlobMatch("a/**/b/**/c.yaml", "a/x/y/c.yaml"));
  EXPECT_TRUE(config::GlobMatch("**/*.compose.yaml", "x/web.compose.yaml"));
}

TEST(GlobMatch, EverythingElseIsLiteral) {
  EXPECT_TRUE(config::GlobMatch("compose.yaml", "compose.yaml"));
  EXPECT_FALSE(config::GlobMatch("compose.yaml", "compose.yml"));
  EXPECT_FALSE(config::GlobMatch("[ab].yaml", "a.yaml"));
  EXPECT_TRUE(config::GlobMatch("[ab].yaml", "[ab].yaml"));
  EXPECT_FALSE(config::GlobMatch("a/b", "a/b/c"));
  EXPECT_FALSE(config::GlobMatch("", "a"));
}

TEST(GlobMatch, ManyDoubleStarsStayFast) {
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "**/";
  pattern += "x";
  std::string path;
  for (int i = 0; i < 200; ++i) path += "d/";
  EXPECT_FALSE(config::GlobMatch(pattern, path + "y"));
  EXPECT_TRUE(config::GlobMatch(pattern, path + "x"));
  EXPECT_FALSE(config::GlobMatch(std::string(50, '*') + "b", std::string(5000, 'a')));
}

TEST(ProjectNameForFile, UsesTheFolderAndPrefix) {
  EXPECT_EQ(config::ProjectNameForFile("", "services/web/compose.yaml", "shop"), "web");
  EXPECT_EQ(config::ProjectNameForFile("svc", "services/Web_API/compose.yaml", "shop"),
            "svc-web_api");
  EXPECT_EQ(config::ProjectNameForFile("", "compose.yaml", "shop"), "shop");
  EXPECT_EQ(config::ProjectNameForFile("svc", "compose.yaml", "shop"), "svc");
  EXPECT_EQ(config::ProjectNameForFile("", "./a/../compose.yaml", "shop"), "shop");
}

}  // namespace
}  // namespace ecsync::controller
