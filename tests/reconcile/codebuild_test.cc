// The `codebuild` builder against moto (tests/support/moto_codebuild.py adds what moto's
// CodeBuild lacks, on moto's own backends): the client, the builds stack (cfn-lint and a
// deploy), a build followed phase by phase until its image is in ECR, a build that fails
// (a stand-in in front of the real client: no emulator fails a docker build), and an image
// already in the registry, which starts no build.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifacts/registry.h"
#include "aws/codebuild.h"
#include "aws/http.h"
#include "base/clock.h"
#include "cfn/build_stack.h"
#include "git/libgit2_source.h"
#include "reconcile/build_stack.h"
#include "reconcile/codebuild_builder.h"
#include "reconcile/fenced_codebuild.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "tests/aws/moto_fixture.h"
#include "tests/reconcile/stand_in_codebuild.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kStack[] = "shop";
constexpr char kBucket[] = "ecsync-contexts";
constexpr char kRegistry[] = "123456789012.dkr.ecr.us-east-1.amazonaws.com";  // moto's account

class CodeBuildTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
    repo_.Write("api/Dockerfile", "FROM busybox\nCOPY . /app\n");
    repo_.Write("api/main.sh", "echo hello\n");
    commit_ = repo_.Commit("api");
  }

  artifacts::ImageTarget Target(const std::string& tag = "5d0c8f0e2b7a41c39c3be0f1d7a2e915") {
    artifacts::ImageTarget target;
    target.service = "api";
    target.reference = {kRegistry, "shop/api", tag, ""};
    target.inputs.service = "api";
    target.inputs.context = "api";
    target.inputs.dockerfile = "Dockerfile";
    target.inputs.args = {{"VERSION", "1.2"}, {"GREETING", "hello world"}};
    return target;
  }

  BuildStackRequest StackRequest() {
    BuildStackRequest request;
    request.stack = kStack;
    request.source = SourceId(repo_.url(), "compose.yaml");
    request.revision = commit_;
    request.targets = {Target()};
    request.context_bucket = kBucket;
    request.context_prefix = "ecsync/contexts/";
    return request;
  }

  base::Result<ReconcileReport> DeployBuildStack() {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.wait = {milliseconds(100), milliseconds(60000)};  // moto is quick
    Reconciler reconciler(git_, {.cloudformation = clients_.cloudformation.get()},
                          *base::SystemClock::Get(), nullptr);
    return EnsureBuildStack(reconciler, options, StackRequest());
  }

  // The api folder at the commit as a ZIP archive in moto's S3; returns its key.
  std::string UploadContext() {
    const std::string zip = scratch_.path() + "/api.zip";
    repo_.Git({"archive", "--format=zip", "-o", zip, "HEAD:api"});
    std::string key = "ecsync/contexts/api.zip";
    auto put = clients_.s3->PutObject(kBucket, key, testing::ReadFileOrDie(zip), "application/zip");
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    return key;
  }

  ImageBuild Build(const std::string& key) { return {Target(), kBucket, key, "", ""}; }

  CodeBuildBuilderOptions BuilderOptions() {
    CodeBuildBuilderOptions options;
    options.stack = kStack;
    options.project = cfn::BuildStackName(kStack);
    options.poll_interval = milliseconds(1000);
    options.timeout = std::chrono::minutes(10);
    options.clock = &clock_;  // polls cost no time
    return options;
  }

  // The digest moto's ECR holds for shop/api:<tag>, or "".
  std::string EcrDigest(const std::string& tag) {
    const std::string out = moto_->Aws({"ecr", "describe-images", "--repository-name", "shop/api",
                                        "--image-ids", "imageTag=" + tag});
    if (out.empty()) return "";
    return nlohmann::json::parse(out)["imageDetails"][0].value("imageDigest", "");
  }

  std::vector<std::string> lines_;
  ProgressSink sink_ = [this](const ProgressEvent& e) { lines_.push_back(FormatText(e)); };
  base::FakeClock clock_;
  testing::TempDir cache_, scratch_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
  std::string commit_;
};

TEST(BuildStack, TemplatePassesCfnLintWithEveryRepository) {
  cfn::BuildStackOptions options;
  options.stack = kStack;
  options.repositories = {"shop/api", "shop/worker"};
  options.context_bucket = kBucket;
  options.context_prefix = "ecsync/contexts/";
  const nlohmann::ordered_json tmpl = cfn::BuildStackTemplate(options);
  base::Status lint = testing::CfnLint(tmpl.dump(2));
  EXPECT_TRUE(lint.ok()) << lint.ToString();
  const auto& project = tmpl["Resources"]["BuildProject"]["Properties"];
  EXPECT_EQ(project["Name"], "shop-builds");
  EXPECT_EQ(project["Environment"]["PrivilegedMode"], true);
  EXPECT_EQ(project["Source"]["Type"], "S3");
  EXPECT_THAT(project["Source"]["BuildSpec"].get<std::string>(),
              HasSubstr("docker build \"${flags[@]}\" ."));
  // The role pushes to these repositories only, and reads only under the context prefix.
  const std::string role = tmpl["Resources"]["BuildRole"].dump();
  EXPECT_THAT(role, HasSubstr("ecr:PutImage"));
  EXPECT_THAT(role, HasSubstr(":s3:::ecsync-contexts/ecsync/contexts/*"));
  EXPECT_THAT(role, ::testing::Not(HasSubstr("\"ecr:*\"")));
  EXPECT_EQ(cfn::BuildStackTemplate(options), tmpl);  // deterministic
  EXPECT_LE(cfn::BuildStackName(std::string(128, 'a')).size(), 128u);
}

TEST_F(CodeBuildTest, BuildStackIsDeployedAsAManagedStackOfTheProject) {
  auto created = DeployBuildStack();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->succeeded) << created->message;
  EXPECT_EQ(created->action, Action::kCreate);
  EXPECT_EQ(moto_->StackStatus("shop-builds"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_->StackTag("shop-builds", kTagSource), SourceId(repo_.url(), "compose.yaml"));
  EXPECT_EQ(moto_->StackTag("shop-builds", kTagManagedBy), "ecsync");
  EXPECT_NE(moto_->Aws({"ecr", "describe-repositories", "--repository-names", "shop/api"}), "");
  auto projects = nlohmann::json::parse(
      moto_->Aws({"codebuild", "batch-get-projects", "--names", "shop-builds"}));
  ASSERT_EQ(projects["projects"].size(), 1u);
  EXPECT_EQ(projects["projects"][0]["environment"]["privilegedMode"], true);

  auto again = DeployBuildStack();  // nothing changed: nothing done
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone);
  EXPECT_THAT(again->message, HasSubstr("up to date"));

  // A new built service adds its repository by an update of the same stack.
  BuildStackRequest request = StackRequest();
  artifacts::ImageTarget worker = Target();
  worker.service = "worker";
  worker.reference.repository = "shop/worker";
  request.targets.push_back(worker);
  ReconcileOptions options;
  options.repo_url = repo_.url();
  options.wait = {milliseconds(100), milliseconds(60000)};
  Reconciler reconciler(git_, {.cloudformation = clients_.cloudformation.get()},
                        *base::SystemClock::Get(), nullptr);
  auto updated = EnsureBuildStack(reconciler, options, request);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->action, Action::kUpdate);
  EXPECT_TRUE(updated->succeeded) << updated->message;
  EXPECT_NE(moto_->Aws({"ecr", "describe-repositories", "--repository-names", "shop/worker"}), "");
  EXPECT_EQ(moto_->StackTag("shop-builds", kTagTemplateSha),
            RenderBuildStack(request)->template_sha);
}

// Replicas (docs/high-availability.md): a build started for a shard's project carries the
// lease's epoch in its token, so a new owner's start is never taken for the old owner's, and
// none starts once the fence has lapsed.
TEST_F(CodeBuildTest, AFencedStartCarriesTheEpochAndNoneStartsOnceTheFenceLapsed) {
  ASSERT_TRUE(DeployBuildStack().ok());
  StandInCodeBuild counting(*clients_.codebuild);
  std::optional<base::Fence> fence = base::Fence{4, clock_.SteadyNow() + seconds(10)};
  FencedCodeBuild fenced(
      counting, 4, [&] { return fence; }, clock_);
  aws::StartBuildRequest request;
  request.project_name = "shop-builds";
  request.source_type = "S3";
  request.source_location = std::string(kBucket) + "/ecsync/contexts/api.zip";
  request.idempotency_token = "ecsync-shop-build";
  auto started = fenced.StartBuild(request);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(counting.last_request.idempotency_token, "ecsync-shop-build-e4");
  auto followed = fenced.BatchGetBuilds({started->id});  // reads pass
  ASSERT_TRUE(followed.ok()) << followed.status().ToString();
  EXPECT_EQ(followed->builds.size(), 1U);

  clock_.Advance(seconds(10));
  auto late = fenced.StartBuild(request);
  EXPECT_EQ(late.status().kind(), base::ErrorKind::kTransient);
  fence = base::Fence{5, clock_.SteadyNow() + seconds(10)};  // the shard changed hands
  EXPECT_EQ(fenced.StartBuild(request).status().kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(counting.starts, 1);
}

TEST_F(CodeBuildTest, ClientStartsWithOverridesAndTheSameTokenStartsNoSecondBuild) {
  ASSERT_TRUE(DeployBuildStack().ok());
  aws::StartBuildRequest request;
  request.project_name = "shop-builds";
  request.source_type = "S3";
  request.source_location = std::string(kBucket) + "/ecsync/contexts/api.zip";
  request.environment = {{"ECSYNC_IMAGE", std::string(kRegistry) + "/shop/api:t1"}};
  request.idempotency_token = "token-1";
  auto first = clients_.codebuild->StartBuild(request);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_THAT(first->id, ::testing::StartsWith("shop-builds:"));
  EXPECT_EQ(first->status, "IN_PROGRESS");
  EXPECT_FALSE(first->finished());
  auto second = clients_.codebuild->StartBuild(request);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->id, first->id);

  request.environment[0].value += "-other";  // the same token with other parameters
  EXPECT_EQ(clients_.codebuild->StartBuild(request).status().kind(), base::ErrorKind::kInvalid);
  request.project_name = "no-such-project";
  EXPECT_EQ(clients_.codebuild->StartBuild(request).status().kind(), base::ErrorKind::kNotFound);

  auto batch = clients_.codebuild->BatchGetBuilds({first->id, "shop-builds:missing"});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->builds.size(), 1u);
  EXPECT_EQ(batch->not_found, std::vector<std::string>{"shop-builds:missing"});
  const aws::Build& build = batch->builds[0];
  ASSERT_GE(build.phases.size(), 2u);
  EXPECT_EQ(build.phases[0].type, "SUBMITTED");
  EXPECT_EQ(build.phases[0].status, "SUCCEEDED");
  EXPECT_EQ(build.logs.group_name, "/aws/codebuild/shop-builds");
  EXPECT_FALSE(build.logs.stream_name.empty());
  EXPECT_THAT(build.logs.deep_link, HasSubstr("logEvent:group=/aws/codebuild/shop-builds"));
}

TEST_F(CodeBuildTest, ABuildIsFollowedPhaseByPhaseAndItsImageIsPinned) {
  ASSERT_TRUE(DeployBuildStack().ok());
  const std::string key = UploadContext();
  StandInCodeBuild codebuild(*clients_.codebuild);
  Targets targets;
  targets.cloudformation = clients_.cloudformation.get();
  targets.codebuild = &codebuild;
  targets.open_registry = [this](const std::string& host,
                                 const artifacts::RegistryV2Options& access) {
    return artifacts::OpenRegistry(host, access, clients_.client,
                                   std::make_shared<aws::CurlHttpClient>());
  };
  BuildImagesRequest request;
  request.stack = kStack;
  request.settings.builder = "codebuild";
  request.settings.registry = kRegistry;
  request.settings.poll_interval = milliseconds(1000);
  request.builds = {Build(key)};
  request.clock = &clock_;  // polls cost no time

  auto pinned = BuildMissingImages(targets, request, sink_);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  ASSERT_EQ(pinned->size(), 1u);
  const std::string digest = EcrDigest(Target().reference.tag);
  ASSERT_FALSE(digest.empty());
  EXPECT_EQ((*pinned)[0].pinned(), std::string(kRegistry) + "/shop/api@" + digest);

  const std::string text = ::testing::PrintToString(lines_);
  for (const char* phase :
       {"PROVISIONING", "DOWNLOAD_SOURCE", "PRE_BUILD", "BUILD", "POST_BUILD", "COMPLETED"}) {
    EXPECT_THAT(text, HasSubstr(std::string("build api: ") + phase + "\"")) << phase;
  }
  // Phases in the order they ran, each once.
  auto at = [&](const std::string& line) {
    return std::find(lines_.begin(), lines_.end(), line) - lines_.begin();
  };
  EXPECT_LT(at("build api: PROVISIONING"), at("build api: BUILD"));
  EXPECT_LT(at("build api: BUILD"), at("build api: POST_BUILD"));
  EXPECT_EQ(std::count(lines_.begin(), lines_.end(), "build api: BUILD"), 1) << text;

  // What the build was asked to build.
  EXPECT_EQ(codebuild.starts, 1);
  EXPECT_EQ(codebuild.last_request.source_location, std::string(kBucket) + "/" + key);
  EXPECT_EQ(codebuild.last_request.idempotency_token,
            BuildToken(kStack, Target().reference.ToString()));
  std::map<std::string, std::string> variables;
  for (const auto& v : codebuild.last_request.environment) variables[v.name] = v.value;
  EXPECT_EQ(variables[cfn::kBuildImage], Target().reference.ToString());
  EXPECT_EQ(variables[cfn::kBuildRegistry], kRegistry);
  EXPECT_EQ(variables[cfn::kBuildDockerfile], "Dockerfile");
  EXPECT_EQ(variables[cfn::kBuildArgs], "GREETING=hello world\nVERSION=1.2\n");
}

TEST_F(CodeBuildTest, FollowingEndsWhenInterruptedOrPastTheTimeout) {
  ASSERT_TRUE(DeployBuildStack().ok());
  const std::string key = UploadContext();
  std::atomic<bool> interrupted{true};
  CodeBuildBuilderOptions options = BuilderOptions();
  options.interrupted = &interrupted;
  base::Status stopped =
      CodeBuildImageBuilder(*clients_.codebuild, options).Build(Build(key), sink_);
  EXPECT_EQ(stopped.kind(), base::ErrorKind::kTransient) << stopped.ToString();
  EXPECT_THAT(stopped.message(), HasSubstr("interrupted while following build shop-builds:"));

  options = BuilderOptions();
  options.timeout = milliseconds(2500);  // two polls: the build is still running
  base::Status late = CodeBuildImageBuilder(*clients_.codebuild, options).Build(Build(key), sink_);
  EXPECT_EQ(late.kind(), base::ErrorKind::kTransient) << late.ToString();
  EXPECT_THAT(late.message(), HasSubstr("after 2s; log: CloudWatch log group /aws/codebuild/"));
  EXPECT_EQ(EcrDigest(Target().reference.tag), "");
}

TEST_F(CodeBuildTest, ARestartFollowsTheBuildAlreadyRunning) {
  ASSERT_TRUE(DeployBuildStack().ok());
  const std::string key = UploadContext();
  // An earlier process started the build, with a token long expired.
  aws::StartBuildRequest earlier;
  earlier.project_name = "shop-builds";
  earlier.source_type = "S3";
  earlier.source_location = std::string(kBucket) + "/" + key;
  earlier.environment = *BuildVariables(Build(key));
  earlier.idempotency_token = "an-earlier-process";
  auto running = clients_.codebuild->StartBuild(earlier);
  ASSERT_TRUE(running.ok()) << running.status().ToString();

  StandInCodeBuild codebuild(*clients_.codebuild);
  base::Status built = CodeBuildImageBuilder(codebuild, BuilderOptions()).Build(Build(key), sink_);
  ASSERT_TRUE(built.ok()) << built.ToString();
  EXPECT_EQ(codebuild.starts, 0);
  EXPECT_THAT(::testing::PrintToString(lines_),
              HasSubstr("is being built already (build " + running->id + ")"));
  EXPECT_NE(EcrDigest(Target().reference.tag), "");
}

TEST_F(CodeBuildTest, AMissingContextArchiveFailsInDownloadSource) {
  ASSERT_TRUE(DeployBuildStack().ok());
  CodeBuildImageBuilder builder(*clients_.codebuild, BuilderOptions());
  base::Status failed = builder.Build(Build("ecsync/contexts/never-uploaded.zip"), sink_);
  EXPECT_EQ(failed.kind(), base::ErrorKind::kTransient) << failed.ToString();
  EXPECT_THAT(failed.message(), HasSubstr("in phase DOWNLOAD_SOURCE"));
  EXPECT_THAT(failed.message(), HasSubstr("never-uploaded.zip does not exist"));
  EXPECT_EQ(EcrDigest(Target().reference.tag), "");
}

TEST_F(CodeBuildTest, AFailedBuildNamesThePhaseAndTheLogAndPushesNothing) {
  ASSERT_TRUE(DeployBuildStack().ok());
  const std::string key = UploadContext();
  auto ecr = std::make_shared<artifacts::EcrImageRegistry>(clients_.client, "123456789012");
  StandInCodeBuild codebuild(*clients_.codebuild);
  codebuild.fail_in_build = true;
  CodeBuildImageBuilder builder(codebuild, BuilderOptions());

  auto pinned = BuildImages({Build(key)}, *ecr, builder, kStack, sink_);
  ASSERT_FALSE(pinned.ok());
  const base::Status& failed = pinned.status();
  EXPECT_EQ(failed.kind(), base::ErrorKind::kInvalid) << failed.ToString();
  EXPECT_THAT(failed.message(), HasSubstr("building the image of api"));
  EXPECT_THAT(failed.message(), HasSubstr("ended FAILED in phase BUILD"));
  EXPECT_THAT(failed.message(), HasSubstr("COMMAND_EXECUTION_ERROR: Error while executing"));
  EXPECT_THAT(failed.message(),
              HasSubstr("CloudWatch log group /aws/codebuild/shop-builds, stream "));
  EXPECT_THAT(failed.message(), HasSubstr("logEvent:group=/aws/codebuild/shop-builds"));
  EXPECT_EQ(EcrDigest(Target().reference.tag), "");
  EXPECT_THAT(::testing::PrintToString(lines_), ::testing::Not(HasSubstr("POST_BUILD")));
}

TEST_F(CodeBuildTest, AnImageAlreadyInTheRegistryStartsNoBuild) {
  ASSERT_TRUE(DeployBuildStack().ok());
  const std::string key = UploadContext();
  auto ecr = std::make_shared<artifacts::EcrImageRegistry>(clients_.client, "123456789012");
  StandInCodeBuild codebuild(*clients_.codebuild);
  CodeBuildImageBuilder builder(codebuild, BuilderOptions());
  auto first = BuildImages({Build(key)}, *ecr, builder, kStack, sink_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(codebuild.starts, 1);

  lines_.clear();
  auto second = BuildImages({Build(key)}, *ecr, builder, kStack, sink_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(codebuild.starts, 1);  // inputs that did not change cost no build
  EXPECT_EQ((*second)[0].pinned(), (*first)[0].pinned());
  EXPECT_THAT(::testing::PrintToString(lines_), HasSubstr("is already built"));
}

TEST(BuildVariables, RefuseWhatTheBuildspecCannotPass) {
  ImageBuild build;
  build.target.service = "api";
  build.target.reference = {kRegistry, "shop/api", "t", ""};
  build.target.inputs.dockerfile = "Dockerfile";
  build.target.inputs.args = {{"MOTD", "two\nlines"}};
  EXPECT_THAT(BuildVariables(build).status().message(), HasSubstr("build.args.MOTD"));
  build.target.inputs.args.clear();
  build.target.inputs.additional_contexts = {{"base", "tree:abc"}};
  EXPECT_THAT(BuildVariables(build).status().message(), HasSubstr("additional_contexts"));
  build.target.inputs.additional_contexts.clear();
  build.target.inputs.dockerfile = "inline";
  build.dockerfile_inline = "FROM busybox\n";
  auto variables = BuildVariables(build);
  ASSERT_TRUE(variables.ok()) << variables.status().ToString();
  bool found = false;
  for (const auto& v : *variables) {
    found |= v.name == cfn::kBuildDockerfileInline && v.value == "RlJPTSBidXN5Ym94Cg==";
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ecsync::reconcile
