// The codebuild builder inside a reconcile, against moto (tests/support/moto_codebuild.py
// adds what moto's CodeBuild lacks): a commit whose image is not in ECR has its build context
// archived from the commit and uploaded, the builds stack applied, the image built and then
// deployed pinned by digest; an unchanged commit builds and uploads nothing; a build that
// fails (a stand-in: no emulator fails a docker build) leaves the running stack as it was.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "reconcile/targets.h"
#include "tests/aws/moto_fixture.h"
#include "tests/reconcile/stand_in_codebuild.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr char kBucket[] = "ecsync-templates";
constexpr char kRegistry[] = "123456789012.dkr.ecr.us-east-1.amazonaws.com";  // moto's account

class ImageBuildsTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
    repo_.Write("compose.yaml",
                "name: shop\nservices:\n  api:\n    build: ./api\n  web:\n    image: nginx:1.27\n");
    repo_.Write("api/Dockerfile", "FROM busybox\nCOPY . /app\n");
    repo_.Write("api/.dockerignore", "secrets.txt\n");
    repo_.Write("api/main.sh", "echo hello\n");
    repo_.Write("api/secrets.txt", "not for the image\n");
    repo_.Commit("api");
    targets_ = TargetsFromClients(clients_);
  }

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.wait = {milliseconds(100), milliseconds(60000)};
    options.template_bucket = kBucket;
    options.images.builder = "codebuild";
    options.images.registry = kRegistry;
    options.images.poll_interval = milliseconds(20);
    return options;
  }

  base::Result<ReconcileReport> Run(const Targets& targets) {
    lines_.clear();
    Reconciler reconciler(git_, targets, *base::SystemClock::Get(),
                          [this](const ProgressEvent& e) { lines_.push_back(FormatText(e)); });
    return reconciler.Reconcile(Options());
  }

  std::string ServiceImage(const std::string& resource) {
    auto body = clients_.cloudformation->GetTemplate("shop");
    if (!body.ok()) return "";
    return nlohmann::json::parse(*body)["Resources"][resource]["Properties"]["ContainerDefinitions"]
        .back()["Image"]
        .get<std::string>();
  }

  std::vector<std::string> ContextKeys() {
    auto listing = nlohmann::json::parse(
        moto_->Aws({"s3api", "list-objects-v2", "--bucket", kBucket, "--prefix", "ecsync/"}));
    std::vector<std::string> keys;
    for (const auto& object : listing.value("Contents", nlohmann::json::array())) {
      keys.push_back(object["Key"]);
    }
    return keys;
  }

  size_t Builds() {
    auto ids = clients_.codebuild->RecentBuilds("shop-builds");
    return ids.ok() ? ids->size() : 0;
  }

  bool Said(const std::string& part) const {
    for (const std::string& line : lines_) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }

  testing::TempDir cache_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
  Targets targets_;
  std::vector<std::string> lines_;
};

TEST_F(ImageBuildsTest, MissingImageIsBuiltFromTheCommitThenDeployedPinned) {
  auto report = Run(targets_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(report->action, Action::kCreate);
  EXPECT_EQ(moto_->StackStatus("shop-builds"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_->StackStatus("shop"), "CREATE_COMPLETE");
  // The context went to S3 under its content hash, the build was followed phase by phase,
  // and the task runs the image by digest.
  const std::vector<std::string> keys = ContextKeys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_THAT(keys[0], ::testing::MatchesRegex("ecsync/contexts/[0-9a-f]{64}\\.zip"));
  EXPECT_TRUE(Said("build context of api: 3 files")) << ::testing::PrintToString(lines_);
  EXPECT_TRUE(Said("build api: BUILD")) << ::testing::PrintToString(lines_);
  EXPECT_THAT(ServiceImage("ApiTaskDefinition"),
              ::testing::MatchesRegex(std::string(kRegistry) + "/shop/api@sha256:[0-9a-f]{64}"));
  EXPECT_EQ(ServiceImage("WebTaskDefinition"), "nginx:1.27");
  EXPECT_EQ(Builds(), 1u);

  // The same commit again: the image is there, so nothing is archived, uploaded or built.
  auto again = Run(targets_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone);
  EXPECT_EQ(Builds(), 1u);
  EXPECT_EQ(ContextKeys(), keys);
  EXPECT_FALSE(Said("build context of"));
}

TEST_F(ImageBuildsTest, FailedBuildLeavesTheRunningStackAsItWas) {
  auto first = Run(targets_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string running = ServiceImage("ApiTaskDefinition");
  const std::string revision = moto_->StackTag("shop", kTagRevision);

  repo_.Write("api/main.sh", "echo hello again\n");
  repo_.Commit("change the api");
  StandInCodeBuild failing(*clients_.codebuild);
  failing.fail_in_build = true;
  Targets targets = targets_;
  targets.codebuild = &failing;
  auto failed = Run(targets);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(failed.status().message(), HasSubstr("BUILD"));
  EXPECT_THAT(failed.status().message(), HasSubstr("the deployed stack is left as it is"));
  EXPECT_EQ(failing.starts, 1);
  EXPECT_EQ(ServiceImage("ApiTaskDefinition"), running);
  EXPECT_EQ(moto_->StackTag("shop", kTagRevision), revision);
}

TEST_F(ImageBuildsTest, WithoutABucketForContextsNothingIsBuilt) {
  ReconcileOptions options = Options();
  options.template_bucket.clear();
  Reconciler reconciler(git_, targets_, *base::SystemClock::Get(), nullptr);
  auto report = reconciler.Reconcile(options);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("images.context_bucket"));
  EXPECT_EQ(moto_->StackStatus("shop"), "");
  EXPECT_EQ(moto_->StackStatus("shop-builds"), "");
}

}  // namespace
}  // namespace ecsync::reconcile
