// A repository's `verify:` section: key files relative to the configuration file, modes,
// fingerprints, and refusals that name the file, line and key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "config/config.h"

namespace ecsync::config {
namespace {

using ::testing::HasSubstr;

constexpr char kFingerprint[] = "0b72bb35c60461d42b85779689d680f93a7f08aa";

// Parses `verify` (indented under the repository) from /etc/ecsync/ecsync.yaml; the files in
// `existing` exist.
base::Result<Config> ParseVerify(const std::string& verify,
                                 const std::set<std::string>& existing = {"/etc/ecsync/keys.gpg",
                                                                          "/etc/ecsync/signers"}) {
  const std::string text =
      "repositories:\n"
      "  - url: https://example.com/acme/shop.git\n"
      "    verify:\n" +
      verify +
      "    projects:\n"
      "      - files: compose.yaml\n";
  return ParseConfig(
      text, "/etc/ecsync/ecsync.yaml", base::EnvFromMap({{"HOME", "/home/ci"}}),
      [existing](const std::string& path) -> base::Result<std::optional<std::string>> {
        if (existing.contains(path)) return std::optional<std::string>("keys");
        return std::optional<std::string>();
      });
}

TEST(VerifyConfig, ReadsEveryKeyWithPathsRelativeToTheConfigurationFile) {
  auto config = ParseVerify(
      "      mode: strict\n"
      "      keyring: keys.gpg\n"
      "      allowed_signers: /etc/ecsync/signers\n"
      "      committers: ['*@example.com', ops@example.org]\n"
      "      keys: ['" +
      std::string(kFingerprint) + "']\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const std::optional<git::SignaturePolicy>& policy = config->repositories[0].verify;
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->mode, git::VerifyMode::kStrict);
  EXPECT_EQ(policy->keyring, "/etc/ecsync/keys.gpg");
  EXPECT_EQ(policy->allowed_signers, "/etc/ecsync/signers");
  EXPECT_EQ(policy->committers, (std::vector<std::string>{"*@example.com", "ops@example.org"}));
  EXPECT_EQ(policy->keys, (std::vector<std::string>{"0B72BB35C60461D42B85779689D680F93A7F08AA"}));
}

TEST(VerifyConfig, DefaultsToHeadAndIsAbsentWithoutTheSection) {
  auto config = ParseVerify("      allowed_signers: signers\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->repositories[0].verify->mode, git::VerifyMode::kHead);
  EXPECT_EQ(config->repositories[0].verify->keyring, "");

  auto none = ParseConfig(
      "repositories:\n  - url: https://example.com/a.git\n    projects: [{files: c.yaml}]\n",
      "ecsync.yaml", base::EnvFromMap({{"HOME", "/home/ci"}}),
      [](const std::string&) -> base::Result<std::optional<std::string>> {
        return std::optional<std::string>();
      });
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_FALSE(none->repositories[0].verify.has_value());
}

TEST(VerifyConfig, RefusalsNameFileLineAndKey) {
  auto mode = ParseVerify("      mode: sometimes\n      keyring: keys.gpg\n");
  ASSERT_FALSE(mode.ok());
  EXPECT_THAT(mode.status().message(),
              HasSubstr("/etc/ecsync/ecsync.yaml:4: repositories[0].verify.mode: \"sometimes\" "
                        "is not a mode; use head, tag or strict"));

  auto missing = ParseVerify("      keyring: nowhere.gpg\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(
      missing.status().message(),
      HasSubstr(":4: repositories[0].verify.keyring: /etc/ecsync/nowhere.gpg: no such file"));

  auto nothing = ParseVerify("      mode: head\n");
  ASSERT_FALSE(nothing.ok());
  EXPECT_THAT(nothing.status().message(),
              HasSubstr("repositories[0].verify: needs keyring (OpenPGP public keys) or "
                        "allowed_signers"));

  auto fingerprint = ParseVerify("      keyring: keys.gpg\n      keys: [ABCD]\n");
  ASSERT_FALSE(fingerprint.ok());
  EXPECT_THAT(fingerprint.status().message(),
              HasSubstr(":5: repositories[0].verify.keys: \"ABCD\" is not an OpenPGP fingerprint"));

  auto misspelt = ParseVerify("      keyring: keys.gpg\n      comitters: [a@b.c]\n");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_THAT(misspelt.status().message(), HasSubstr("committers"));

  auto keys_without_keyring = ParseVerify("      allowed_signers: signers\n      keys: ['" +
                                          std::string(kFingerprint) + "']\n");
  ASSERT_FALSE(keys_without_keyring.ok());
  EXPECT_THAT(keys_without_keyring.status().message(), HasSubstr("no keyring"));
}

}  // namespace
}  // namespace ecsync::config
