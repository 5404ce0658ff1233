// The `images:` section: a top-level default, per-project overrides, and refusals that name
// the file, line and key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "tests/config/parse_text.h"

namespace ecsync::config {
namespace {

using ::testing::HasSubstr;

using testing::ParseText;

std::string Repository(const std::string& project_extra) {
  return "repositories:\n"
         "  - url: https://example.com/acme/shop.git\n"
         "    projects:\n"
         "      - files: compose.yaml\n" +
         project_extra + "      - files: other/compose.yaml\n";
}

TEST(ImagesConfig, TopLevelIsEveryProjectsDefaultAndAProjectOverridesKeys) {
  auto config = ParseText(
      "images:\n"
      "  builder: external\n"
      "  registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n"
      "  wait: 10m\n" +
      Repository("        images:\n"
                 "          registry: registry.example.com:5000\n"
                 "          repositories: {api: team/api}\n"
                 "          insecure: true\n"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  const reconcile::ImageSettings& first = config->repositories[0].projects[0].images;
  EXPECT_EQ(first.builder, "external");
  EXPECT_EQ(first.registry, "registry.example.com:5000");
  EXPECT_EQ(first.repositories.at("api"), "team/api");
  EXPECT_EQ(first.access.scheme, "http");
  EXPECT_EQ(first.wait, std::chrono::minutes(10));
  const reconcile::ImageSettings& second = config->repositories[0].projects[1].images;
  EXPECT_EQ(second.registry, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(second.access.scheme, "https");
  EXPECT_TRUE(second.repositories.empty());
}

TEST(ImagesConfig, AProjectTurnsTheBuilderOff) {
  auto config = ParseText("images: {builder: external, registry: r.example.com}\n" +
                          Repository("        images: {builder: none}\n"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->repositories[0].projects[0].images.enabled());
  EXPECT_TRUE(config->repositories[0].projects[1].images.enabled());
}

TEST(ImagesConfig, CodeBuildTakesAnEcrRegistryAndWhereContextsGo) {
  auto config = ParseText(
      "images:\n"
      "  builder: codebuild\n"
      "  registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n"
      "  context_bucket: acme-build-contexts\n"
      "  build_timeout: 20m\n" +
      Repository("        images: {context_prefix: shop/contexts/}\n"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  const reconcile::ImageSettings& first = config->repositories[0].projects[0].images;
  EXPECT_EQ(first.builder, "codebuild");
  EXPECT_EQ(first.context_bucket, "acme-build-contexts");
  EXPECT_EQ(first.context_prefix, "shop/contexts/");
  EXPECT_EQ(first.build_timeout, std::chrono::minutes(20));
  const reconcile::ImageSettings& second = config->repositories[0].projects[1].images;
  EXPECT_EQ(second.context_prefix, "ecsync/contexts/");  // the default
  // A changed context location or timeout re-runs the project.
  EXPECT_NE(first.Fingerprint(), second.Fingerprint());
}

TEST(ImagesConfig, PasswordIsASecretReference) {
  auto config = ParseText(
      "images:\n"
      "  builder: external\n"
      "  registry: r.example.com\n"
      "  username: ci\n"
      "  password: {env: REGISTRY_PASSWORD}\n" +
          Repository(""),
      {{"HOME", "/home/ci"}, {"REGISTRY_PASSWORD", "s3cret"}});
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->images.access.username, "ci");
  EXPECT_EQ(config->repositories[0].projects[0].images.access.password, "s3cret");
  // The fingerprint that re-runs a project on a change never holds the password.
  EXPECT_THAT(config->images.Fingerprint(), ::testing::Not(HasSubstr("s3cret")));

  auto plain = ParseText(
      "images: {builder: external, registry: r.example.com, username: ci, "
      "password: s3cret}\n" +
      Repository(""));
  ASSERT_FALSE(plain.ok());
  EXPECT_THAT(plain.status().message(), HasSubstr("ecsync.yaml:1: images.password"));
  EXPECT_THAT(plain.status().message(), ::testing::Not(HasSubstr("s3cret")));
}

TEST(ImagesConfig, RefusalsNameTheLineAndKey) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"images: {builder: kaniko, registry: r.example.com}\n",
       "ecsync.yaml:1: images.builder: \"kaniko\" is not a builder; use external"},
      {"images: {builder: codebuild, registry: r.example.com}\n",
       "ecsync.yaml:1: images.registry: \"r.example.com\": the codebuild builder pushes to "
       "Amazon ECR"},
      {"images:\n  context_bucket: b/contexts\n",
       "ecsync.yaml:2: images.context_bucket: is a bucket name; put the folder in context_prefix"},
      {"images:\n  context_prefix: /contexts\n",
       "ecsync.yaml:2: images.context_prefix: write a key prefix"},
      {"images:\n  build_timeout: 0s\n", "ecsync.yaml:2: images.build_timeout"},
      {"images:\n  builder: external\n",
       "ecsync.yaml:2: images.registry: is required with a builder"},
      {"images:\n  registry: https://r.example.com/v2\n",
       "ecsync.yaml:2: images.registry: \"https://r.example.com/v2\" is not a registry host"},
      {"images:\n  repositories: {api: Team/API}\n",
       "ecsync.yaml:2: images.repositories: api: \"Team/API\" is not a repository name"},
      {"images:\n  username: ci\n",
       "ecsync.yaml:2: images.username: give both username and password"},
      {"images:\n  bilder: external\n", "did you mean"},
  };
  for (const Case& c : cases) {
    auto config = ParseText(c.text + Repository(""));
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_THAT(config.status().message(), HasSubstr(c.expected)) << c.text;
  }
  auto project = ParseText(Repository("        images: {builder: external}\n"));
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              HasSubstr("ecsync.yaml:5: repositories[0].projects[0].images.registry: is required"));
}

}  // namespace
}  // namespace ecsync::config
