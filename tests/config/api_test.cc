// The `api:` section: operator API tokens kept as SHA-256 digests only, and refusals that name
// the file, line and key without echoing a token.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "base/hash.h"
#include "config/config.h"

namespace ecsync::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Vars = std::map<std::string, std::string>;

constexpr char kAliceToken[] = "alice-0123456789abcdef";
constexpr char kCiToken[] = "ci-token-from-the-environment";

base::Result<Config> ParseApi(const std::string& api, Vars env = {}, Vars files = {}) {
  env.emplace("HOME", "/home/ci");
  const std::string text =
      "repositories:\n"                               // 1
      "  - url: https://example.com/acme/shop.git\n"  // 2
      "    projects:\n"                               // 3
      "      - files: compose.yaml\n" +               // 4
      api;                                            // from line 5
  return ParseConfig(text, "ecsync.yaml", base::EnvFromMap(std::move(env)),
                     [files = std::move(files)](
                         const std::string& path) -> base::Result<std::optional<std::string>> {
                       auto it = files.find(path);
                       if (it == files.end()) return std::optional<std::string>();
                       return std::optional<std::string>(it->second);
                     });
}

std::string ApiErrorOf(const std::string& api, Vars env = {}) {
  base::Result<Config> config = ParseApi(api, std::move(env));
  if (config.ok()) {
    ADD_FAILURE() << "parsed without error:\n" << api;
    return "";
  }
  EXPECT_EQ(config.status().kind(), base::ErrorKind::kInvalid);
  return config.status().message();
}

TEST(ApiConfig, AbsentMeansNoTokensAndClosedReadsFlagOff) {
  base::Result<Config> config = ParseApi("");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->api.tokens.empty());
  EXPECT_FALSE(config->api.open_reads);
}

TEST(ApiConfig, DigestsFromTheFileTheEnvironmentAndFilesAreKeptAsRawBytesOnly) {
  base::Result<Config> config = ParseApi(
      "api:\n"
      "  open_reads: true\n"
      "  tokens:\n"
      "    - name: alice\n"
      "      sha256: " +
          base::Sha256Hex(kAliceToken) +
          "\n"
          "      role: operate\n"
          "    - name: ci\n"
          "      token: {env: CI_TOKEN}\n"
          "      role: read\n"
          "    - name: bot\n"
          "      token: {file: /run/secrets/bot}\n"
          "      role: operate\n",
      {{"CI_TOKEN", kCiToken}}, {{"/run/secrets/bot", "bot-token-0123456789\n"}});
  ASSERT_TRUE(config.ok()) << config.status().message();
  const ApiConfig& api = config->api;
  EXPECT_TRUE(api.open_reads);
  ASSERT_EQ(api.tokens.size(), 3u);
  EXPECT_EQ(api.tokens[0].name, "alice");
  EXPECT_EQ(api.tokens[0].sha256, base::Sha256(kAliceToken));
  EXPECT_EQ(api.tokens[0].role, ApiRole::kOperate);
  EXPECT_EQ(api.tokens[0].line, 8);
  EXPECT_EQ(api.tokens[1].sha256, base::Sha256(kCiToken));
  EXPECT_EQ(api.tokens[1].role, ApiRole::kRead);
  EXPECT_EQ(api.tokens[2].sha256, base::Sha256("bot-token-0123456789"));  // newline stripped
  for (const ApiToken& token : api.tokens) EXPECT_EQ(token.sha256.size(), 32u);
}

TEST(ApiConfig, UpperCaseHexIsAccepted) {
  std::string hex = base::Sha256Hex(kAliceToken);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  base::Result<Config> config =
      ParseApi("api:\n  tokens:\n    - {name: alice, sha256: " + hex + ", role: read}\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->api.tokens[0].sha256, base::Sha256(kAliceToken));
}

TEST(ApiConfig, ABadDigestNamesLineAndKeyWithoutEchoingTheValue) {
  const std::string pasted_token = "this-is-the-token-itself";
  const std::string error = ApiErrorOf(
      "api:\n"
      "  tokens:\n"
      "    - name: alice\n"
      "      sha256: " +
      pasted_token +
      "\n"
      "      role: read\n");
  EXPECT_THAT(error, StartsWith("ecsync.yaml:8: api.tokens[0].sha256: is not 64 hex digits"));
  EXPECT_THAT(error, HasSubstr("sha256sum"));
  EXPECT_THAT(error, Not(HasSubstr(pasted_token)));
  EXPECT_THAT(ApiErrorOf("api:\n  tokens:\n    - {name: a, sha256: " + std::string(64, 'g') +
                         ", role: read}\n"),
              StartsWith("ecsync.yaml:7: api.tokens[0].sha256: is not 64 hex digits"));
}

TEST(ApiConfig, DuplicateNamesAndTokensAreRefused) {
  const std::string a = base::Sha256Hex("first-token-0123456789");
  const std::string b = base::Sha256Hex("second-token-0123456789");
  EXPECT_THAT(ApiErrorOf("api:\n"
                         "  tokens:\n"
                         "    - {name: alice, sha256: " +
                         a +
                         ", role: read}\n"
                         "    - {name: alice, sha256: " +
                         b + ", role: operate}\n"),
              StartsWith("ecsync.yaml:8: api.tokens[1].name: \"alice\" is used already by the "
                         "token at line 7"));
  EXPECT_THAT(ApiErrorOf("api:\n"
                         "  tokens:\n"
                         "    - {name: alice, sha256: " +
                         a +
                         ", role: read}\n"
                         "    - {name: bob, sha256: " +
                         a + ", role: operate}\n"),
              StartsWith("ecsync.yaml:8: api.tokens[1]: is the same token as api.tokens[0] "
                         "(alice)"));
}

TEST(ApiConfig, RolesAndShapesAreChecked) {
  const std::string digest = base::Sha256Hex("first-token-0123456789");
  EXPECT_THAT(
      ApiErrorOf("api:\n  tokens:\n    - {name: alice, sha256: " + digest + ", role: admin}\n"),
      StartsWith("ecsync.yaml:7: api.tokens[0].role: \"admin\" is not a role; write read or "
                 "operate"));
  EXPECT_THAT(ApiErrorOf("api:\n  tokens:\n    - {name: alice, sha256: " + digest + "}\n"),
              StartsWith("ecsync.yaml:7: api.tokens[0]: needs role: read"));
  EXPECT_THAT(ApiErrorOf("api:\n  tokens:\n    - {sha256: " + digest + ", role: read}\n"),
              StartsWith("ecsync.yaml:7: api.tokens[0]: needs a name"));
  EXPECT_THAT(
      ApiErrorOf("api:\n  tokens:\n    - {name: Alice, sha256: " + digest + ", role: read}\n"),
      StartsWith("ecsync.yaml:7: api.tokens[0].name: \"Alice\" is not a valid name"));
  EXPECT_THAT(ApiErrorOf("api:\n  tokens:\n    - {name: alice, role: read}\n"),
              StartsWith("ecsync.yaml:7: api.tokens[0]: needs sha256 or token"));
  EXPECT_THAT(ApiErrorOf("api:\n  tokens:\n    - {name: a, sha256: " + digest +
                             ", token: {env: X}, role: read}\n",
                         {{"X", kCiToken}}),
              StartsWith("ecsync.yaml:7: api.tokens[0]: give only one of sha256 and token"));
  EXPECT_THAT(ApiErrorOf("api:\n  tokens: alice\n"),
              StartsWith("ecsync.yaml:6: api.tokens: must be a list"));
  EXPECT_THAT(ApiErrorOf("api:\n  tokns: []\n"),
              StartsWith("ecsync.yaml:6: api.tokns: unknown key"));
  EXPECT_THAT(ApiErrorOf("api:\n  open_reads: maybe\n"),
              StartsWith("ecsync.yaml:6: api.open_reads"));
}

TEST(ApiConfig, PlainTokensAreRefusedAndShortOnesFromTheEnvironmentToo) {
  const std::string plain =
      ApiErrorOf("api:\n  tokens:\n    - {name: a, token: hunter2, role: read}\n");
  EXPECT_THAT(plain, StartsWith("ecsync.yaml:7: api.tokens[0].token: a secret cannot be written"));
  EXPECT_THAT(plain, Not(HasSubstr("hunter2")));
  const std::string unset =
      ApiErrorOf("api:\n  tokens:\n    - {name: a, token: {env: NOPE}, role: read}\n");
  EXPECT_THAT(unset, HasSubstr("NOPE is not set"));
  const std::string shorter = ApiErrorOf(
      "api:\n  tokens:\n    - {name: a, token: {env: T}, role: read}\n", {{"T", "short"}});
  EXPECT_THAT(shorter, StartsWith("ecsync.yaml:7: api.tokens[0].token: is 5 characters long"));
  EXPECT_THAT(shorter, Not(HasSubstr("short\"")));
}

}  // namespace
}  // namespace ecsync::config
