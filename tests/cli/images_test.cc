// The external builder end to end: a real git repository with a Dockerfile, the real
// binary, a real registry (docker-registry) that CI "pushes" to, and moto_server as
// CloudFormation. `ecsync images` names the image; reconcile waits for it, then deploys the
// task definition pinned to the pushed digest.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/local_registry.h"
#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;

constexpr char kCompose[] = R"(name: shop
services:
  api:
    build:
      context: ./api
      args:
        VERSION: "1"
    ports:
      - "8080:8080"
  cache:
    image: redis:7-alpine
)";

constexpr char kManifest[] = "application/vnd.docker.distribution.manifest.v2+json";

class ExternalBuilder : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("compose.yaml", kCompose);
    repo_.Write("api/Dockerfile", "FROM busybox:1.36\nCOPY app.sh /app.sh\n");
    repo_.Write("api/app.sh", "echo hello\n");
    repo_.Write("README.md", "shop\n");
  }

  CommandResult Images(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {EcsyncBinary(), "images",
                                     "-f",           repo_.path() + "/compose.yaml",
                                     "--registry",   registry_.host()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, {});
  }

  CommandResult Run(const std::string& command, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {
        EcsyncBinary(),       command, "--repo",    repo_.url(), "--cache-dir", cache_.path(),
        "--poll-interval",    "100ms", "--builder", "external",  "--registry",  registry_.host(),
        "--registry-insecure"};
    if (command == "reconcile") argv.insert(argv.begin() + 2, "--once");
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, moto_.ClientEnv());
  }

  // The one image reference `ecsync images` prints for the api service.
  std::string Reference() {
    CommandResult images = Images();
    EXPECT_EQ(images.exit_code, 0) << images.err;
    std::istringstream lines(images.out);
    std::string service, reference, context, dockerfile;
    lines >> service >> reference >> context >> dockerfile;
    EXPECT_EQ(service, "api") << images.out;
    EXPECT_EQ(context, "api") << images.out;
    EXPECT_EQ(dockerfile, "Dockerfile") << images.out;
    return reference;
  }

  // Pushes a stand-in image at `reference` ("host/repository:tag"); returns its digest.
  std::string Push(const std::string& reference, const std::string& layer) {
    const size_t slash = reference.find('/');
    const size_t colon = reference.rfind(':');
    std::string digest;
    registry_.Push(reference.substr(slash + 1, colon - slash - 1), reference.substr(colon + 1),
                   kManifest, layer, &digest);
    return digest;
  }

  // Every container image of the deployed stack's task definitions.
  std::vector<std::string> DeployedImages() {
    std::string out = moto_.Aws({"cloudformation", "get-template", "--stack-name", "shop"});
    json deployed = json::parse(out);
    json body = deployed["TemplateBody"].is_string()
                    ? json::parse(deployed["TemplateBody"].get<std::string>())
                    : deployed["TemplateBody"];
    EXPECT_TRUE(CfnLint(body.dump()).ok()) << CfnLint(body.dump()).message();
    std::vector<std::string> images;
    for (const auto& [id, resource] : body["Resources"].items()) {
      if (resource["Type"] != "AWS::ECS::TaskDefinition") continue;
      for (const auto& c : resource["Properties"]["ContainerDefinitions"]) {
        if (c["Image"].is_string()) images.push_back(c["Image"].get<std::string>());
      }
    }
    return images;
  }

  LocalRegistry registry_{/*basic_auth=*/false};
  MotoServer moto_;
  GitRepo repo_;
  TempDir cache_;
};

TEST_F(ExternalBuilder, WaitsForTheImageCiPushesThenDeploysItPinnedByDigest) {
  repo_.Commit("shop");
  const std::string reference = Reference();
  ASSERT_EQ(reference.rfind(registry_.host() + "/shop/api:", 0), 0u) << reference;

  // Nothing pushed yet: the revision waits (bounded) and nothing is deployed.
  CommandResult waiting =
      Run("reconcile", {"--image-wait", "1s", "--image-poll-interval", "100ms"});
  EXPECT_NE(waiting.exit_code, 0);
  EXPECT_NE(waiting.err.find("not deployed: waiting for 1 image(s)"), std::string::npos)
      << waiting.err;
  EXPECT_NE(waiting.err.find(reference), std::string::npos) << waiting.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "");

  // The plan names the image and says it is not pushed.
  CommandResult plan = Run("plan");
  EXPECT_NE(plan.out.find("api: " + reference + " (not pushed yet"), std::string::npos)
      << plan.out << plan.err;

  // CI pushes exactly the printed reference: the deploy pins its digest.
  const std::string digest = Push(reference, "api build 1");
  CommandResult deployed = Run("reconcile");
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
  const std::string repository = reference.substr(0, reference.rfind(':'));
  std::vector<std::string> images = DeployedImages();
  EXPECT_NE(std::find(images.begin(), images.end(), repository + "@" + digest), images.end())
      << ::testing::PrintToString(images);
  EXPECT_NE(std::find(images.begin(), images.end(), "redis:7-alpine"), images.end());

  // A commit that changes nothing the build reads keeps the tag and the deployed image.
  repo_.Write("README.md", "shop, now documented\n");
  repo_.Commit("docs");
  EXPECT_EQ(Reference(), reference);
  CommandResult docs = Run("reconcile");
  ASSERT_EQ(docs.exit_code, 0) << docs.err;
  EXPECT_NE(docs.out.find("up to date"), std::string::npos) << docs.out;

  // A change to the build context names a new image.
  repo_.Write("api/app.sh", "echo hello again\n");
  repo_.Commit("api change");
  const std::string changed = Reference();
  EXPECT_NE(changed, reference);
  CommandResult json_images = Images({"--output", "json", "--check", "--registry-insecure"});
  EXPECT_EQ(json_images.exit_code, 1) << json_images.err;  // not pushed yet
  json listed = json::parse(json_images.out);
  ASSERT_EQ(listed.size(), 1u) << json_images.out;
  EXPECT_EQ(listed[0]["reference"], changed);
  EXPECT_EQ(listed[0]["args"]["VERSION"], "1");
  EXPECT_EQ(listed[0]["present"], false);
}

TEST_F(ExternalBuilder, WithoutABuilderBuildIsRefusedNamingBothBuilders) {
  repo_.Commit("shop");
  CommandResult refused = RunCommand(
      {EcsyncBinary(), "reconcile", "--once", "--repo", repo_.url(), "--cache-dir", cache_.path()},
      moto_.ClientEnv());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("services.api.build: ECS cannot build images; set images.builder"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("codebuild"), std::string::npos) << refused.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "");
}

TEST_F(ExternalBuilder, ConvertNamesTheImageByTag) {
  repo_.Commit("shop");
  const std::string reference = Reference();
  CommandResult converted =
      RunCommand({EcsyncBinary(), "convert", "-f", repo_.path() + "/compose.yaml", "--builder",
                  "external", "--registry", registry_.host()},
                 {});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  EXPECT_NE(converted.out.find("\"" + reference + "\""), std::string::npos) << converted.out;
  EXPECT_TRUE(CfnLint(converted.out).ok());

  // Uncommitted changes are not in the image: convert says so.
  repo_.Write("api/app.sh", "echo local edit\n");
  CommandResult dirty = Images();
  EXPECT_NE(dirty.err.find("differ from HEAD"), std::string::npos) << dirty.err;
}

// `ecsync images` run where a developer stands: in the subfolder that holds the compose file,
// naming it by its plain name. The build context is named from the repository's root, and the
// image is the one the same command names from the root.
TEST(ImagesCommand, FromASubfolderOfTheRepositoryNamesTheSameImage) {
  GitRepo repo;
  repo.Write("deploy/compose.yaml", kCompose);
  repo.Write("deploy/api/Dockerfile", "FROM busybox:1.36\nCOPY app.sh /app.sh\n");
  repo.Write("deploy/api/app.sh", "echo hello\n");
  repo.Commit("shop in a subfolder");
  const std::vector<std::string> flags = {"--registry", "registry.example.com", "--output", "json"};
  std::vector<std::string> from_root = {EcsyncBinary(), "images", "-f", "deploy/compose.yaml"};
  from_root.insert(from_root.end(), flags.begin(), flags.end());
  std::vector<std::string> from_subfolder = {EcsyncBinary(), "images", "-f", "compose.yaml"};
  from_subfolder.insert(from_subfolder.end(), flags.begin(), flags.end());

  const CommandResult root = RunCommand(from_root, {}, repo.path());
  ASSERT_EQ(root.exit_code, 0) << root.err;
  const CommandResult subfolder = RunCommand(from_subfolder, {}, repo.path() + "/deploy");
  ASSERT_EQ(subfolder.exit_code, 0) << subfolder.err;
  const json images = json::parse(subfolder.out);
  ASSERT_EQ(images.size(), 1u) << subfolder.out;
  EXPECT_EQ(images[0]["service"], "api");
  EXPECT_EQ(images[0]["context"], "deploy/api");
  EXPECT_EQ(images[0]["dockerfile"], "Dockerfile");
  EXPECT_EQ(images, json::parse(root.out));
}

}  // namespace
}  // namespace ecsync::testing
