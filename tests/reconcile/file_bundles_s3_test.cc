// Repository files too large to travel inline in a task definition go through the template
// bucket (docs/files.md, "Large bundles"). Against moto through the real AWS clients, from a
// real git repository: the bundle lands under its content-addressed key, the task role may
// read that key only, the template passes cfn-lint and deploys, the init containers' own
// scripts (the AWS CLI fetching from moto's S3, busybox checking and unpacking) put every file
// in place, and unchanged files cost no upload.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/observer.h"
#include "base/env.h"
#include "base/hash.h"
#include "cfn/task_files.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using testing::ReadFileOrDie;
using testing::RunCommand;

constexpr char kBucket[] = "ecsync-templates";
constexpr char kStack[] = "site";
constexpr char kBusybox[] = "/usr/bin/busybox";

constexpr char kCompose[] = R"(services:
  web:
    image: nginx:1.27
    environment:
      RELEASE: "${RELEASE:-1}"
    volumes:
      - ./site:/usr/share/nginx/html:ro
)";

// Counts AWS calls by "Service Operation".
class CountingObserver : public aws::CallObserver {
 public:
  void OnCall(const aws::CallRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[record.service + " " + record.operation];
  }
  std::map<std::string, int> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(calls_, {});
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

int S3Calls(const std::map<std::string, int>& calls) {
  int n = 0;
  for (const auto& [call, count] : calls) {
    if (call.rfind("S3 ", 0) == 0) n += count;
  }
  return n;
}

const ordered_json* Container(const ordered_json& definitions, const std::string& name) {
  for (const ordered_json& container : definitions) {
    if (container.at("Name") == name) return &container;
  }
  return nullptr;
}

class FileBundlesS3Test : public aws::MotoClientsTest {
 protected:
  FileBundlesS3Test() { observer_ = counter_; }

  void SetUp() override {
    MotoClientsTest::SetUp();
    ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
  }

  // A site of 60,000 bytes: 80,000 in base64, well over what travels inline.
  void WriteSite(char fill = 'a') {
    repo_.Write("compose.yaml", kCompose);
    for (int i = 0; i < 3; ++i) {
      repo_.Write("site/page" + std::to_string(i) + ".html", std::string(20'000, fill));
    }
    repo_.Write("site/bin/run.sh", "#!/bin/sh\necho run\n");
    fs::permissions(repo_.path() + "/site/bin/run.sh", fs::perms(0755));
  }

  ReconcileOptions Options(const std::string& release = "1") const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = kStack;
    options.template_bucket = kBucket;
    options.environment = {{"RELEASE", release}};
    options.wait = {milliseconds(100), milliseconds(60000)};  // moto is quick
    return options;
  }

  Targets MakeTargets() const {
    return {.cloudformation = clients_.cloudformation.get(),
            .ec2 = clients_.ec2.get(),
            .s3 = clients_.s3.get()};
  }

  Reconciler MakeReconciler() {
    return Reconciler(git_, MakeTargets(), *base::SystemClock::Get(), nullptr);
  }

  base::Result<Desired> Render(const ReconcileOptions& options) {
    return RenderDesired(options, git_, MakeTargets(), nullptr);
  }

  // The keys in the template bucket below <prefix>files/, sorted.
  std::vector<std::string> BundleKeys() const {
    auto listed = nlohmann::json::parse(
        moto_->Aws({"s3api", "list-objects-v2", "--bucket", kBucket, "--prefix", "ecsync/files/"}));
    std::vector<std::string> keys;
    for (const auto& object : listed.value("Contents", nlohmann::json::array())) {
      keys.push_back(object["Key"].get<std::string>());
    }
    return keys;
  }

  std::shared_ptr<CountingObserver> counter_ = std::make_shared<CountingObserver>();
  testing::TempDir cache_, scratch_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
};

TEST_F(FileBundlesS3Test, ALargeBundleIsFetchedFromItsKeyWhichTheTaskRoleAloneMayRead) {
  WriteSite();
  repo_.Commit("site");
  base::Result<Desired> desired = Render(Options());
  ASSERT_TRUE(desired.ok()) << desired.status().ToString();
  ASSERT_EQ(desired->file_bundles.size(), 1u);
  const FileBundle& bundle = desired->file_bundles[0];
  EXPECT_GT(cfn::Base64Size(bundle.archive.size()), cfn::kMaxInlineBundleBytes);
  EXPECT_EQ(bundle.key, "ecsync/files/" + base::Sha256Hex(bundle.archive) + ".tar");
  ASSERT_EQ(desired->shipped_files.size(), 1u);
  EXPECT_THAT(desired->shipped_files[0],
              HasSubstr("through s3://" + std::string(kBucket) + "/" + bundle.key));
  base::Status lint = testing::CfnLint(desired->template_body);
  EXPECT_TRUE(lint.ok()) << lint.ToString();

  const ordered_json resources = ordered_json::parse(desired->template_body)["Resources"];
  const ordered_json& containers =
      resources["WebTaskDefinition"]["Properties"]["ContainerDefinitions"];
  const ordered_json* fetcher = Container(containers, "Web_FilesFetch_InitContainer");
  const ordered_json* writer = Container(containers, "Web_Files_InitContainer");
  ASSERT_NE(fetcher, nullptr);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ((*fetcher)["Image"], cfn::kDefaultFilesFetchImage);
  EXPECT_EQ((*fetcher)["Essential"], false);
  EXPECT_THAT((*fetcher)["Environment"].dump(), HasSubstr(bundle.key));
  // The writer waits for the fetch, carries the SHA-256 and no inline bundle.
  EXPECT_THAT(
      (*writer)["DependsOn"].dump(),
      HasSubstr(R"({"Condition":"SUCCESS","ContainerName":"Web_FilesFetch_InitContainer"})"));
  EXPECT_THAT((*writer)["Environment"].dump(), HasSubstr(base::Sha256Hex(bundle.archive)));
  EXPECT_THAT((*writer)["Environment"].dump(),
              ::testing::Not(HasSubstr(std::string("\"") + cfn::kFilesBundleVariable + "\"")));
  // One statement: GetObject on exactly that key.
  const ordered_json& policies = resources["WebTaskRole"]["Properties"]["Policies"];
  ASSERT_EQ(policies.size(), 1u);
  const ordered_json& statements = policies[0]["PolicyDocument"]["Statement"];
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0]["Action"], "s3:GetObject");
  EXPECT_EQ(statements[0]["Resource"],
            ordered_json::parse(R"({"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::)" +
                                std::string(kBucket) + "/" + bundle.key + R"("]]})"));
  EXPECT_EQ(resources["WebTaskDefinition"]["Properties"]["TaskRoleArn"],
            ordered_json::parse(R"({"Fn::GetAtt":["WebTaskRole","Arn"]})"));

  // Deployed: the bundle is in the bucket before the stack, byte for byte.
  Reconciler reconciler = MakeReconciler();
  auto report = reconciler.Reconcile(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");
  EXPECT_EQ(BundleKeys(), std::vector<std::string>{bundle.key});
  const std::string fetched = scratch_.path() + "/bundle.tar";
  ASSERT_NE(moto_->Aws({"s3api", "get-object", "--bucket", kBucket, "--key", bundle.key, fetched}),
            "");
  EXPECT_EQ(base::Sha256Hex(ReadFileOrDie(fetched)), base::Sha256Hex(bundle.archive));
}

// The containers' own scripts, run here as the task would run them.
TEST_F(FileBundlesS3Test, TheFetcherAndWriterScriptsPutEveryFileInPlaceAndRefuseOtherBytes) {
  if (!fs::exists(kBusybox)) GTEST_SKIP() << "no " << kBusybox;
  WriteSite();
  repo_.Commit("site");
  Reconciler reconciler = MakeReconciler();
  auto report = reconciler.Reconcile(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  base::Result<Desired> desired = Render(Options());
  ASSERT_TRUE(desired.ok()) << desired.status().ToString();
  const ordered_json containers =
      ordered_json::parse(desired->template_body)["Resources"]["WebTaskDefinition"]["Properties"]
                                                 ["ContainerDefinitions"];
  const ordered_json* fetcher = Container(containers, "Web_FilesFetch_InitContainer");
  const ordered_json* writer = Container(containers, "Web_Files_InitContainer");
  ASSERT_NE(fetcher, nullptr);
  ASSERT_NE(writer, nullptr);

  testing::TempDir task;
  const std::string bundle_dir = task.path() + "/bundle";
  const std::string volumes = task.path() + "/volumes";
  fs::create_directories(bundle_dir);
  fs::create_directories(volumes + "/0");

  // The fetcher: the AWS CLI (here the machine's, pointed at moto) with its variables.
  std::map<std::string, std::string> env = moto_->ClientEnv();
  env.erase("AWS_SESSION_TOKEN");
  env.erase("AWS_PROFILE");
  env["PATH"] = base::EnvFromProcess()("PATH").value_or("/usr/bin:/bin");
  env[cfn::kFilesBundleDirVariable] = bundle_dir;
  for (const ordered_json& variable : (*fetcher)["Environment"]) {
    if (variable["Value"].is_string()) env[variable["Name"]] = variable["Value"];
  }
  ASSERT_EQ((*fetcher)["EntryPoint"], ordered_json::parse(R"(["sh","-c"])"));
  testing::CommandResult fetched =
      RunCommand({"sh", "-c", (*fetcher)["Command"][0].get<std::string>()}, env);
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;

  // The writer: busybox's applets only, as in its image.
  const std::string bin = task.path() + "/bin";
  fs::create_directories(bin);
  for (const char* applet : {"sh", "tar", "sha256sum"}) {
    fs::create_symlink(kBusybox, bin + "/" + applet);
  }
  std::map<std::string, std::string> writer_env = {{"PATH", bin},
                                                   {cfn::kFilesRootVariable, volumes},
                                                   {cfn::kFilesBundleDirVariable, bundle_dir}};
  for (const ordered_json& variable : (*writer)["Environment"]) {
    writer_env[variable["Name"]] = variable["Value"];
  }
  const std::string script = (*writer)["Command"][0];
  testing::CommandResult written = RunCommand({kBusybox, "sh", "-c", script}, writer_env);
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(ReadFileOrDie(volumes + "/0/page1.html"), std::string(20'000, 'a'));
  EXPECT_EQ(ReadFileOrDie(volumes + "/0/bin/run.sh"), "#!/bin/sh\necho run\n");
  struct stat st;
  ASSERT_EQ(stat((volumes + "/0/bin/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  // Other bytes under that key (replaced or cut short): the writer fails and unpacks nothing.
  std::string tampered = ReadFileOrDie(bundle_dir + "/bundle.tar");
  tampered.resize(tampered.size() / 2);
  task.WriteFile("bundle/bundle.tar", tampered);
  fs::remove_all(volumes);
  fs::create_directories(volumes + "/0");
  testing::CommandResult refused = RunCommand({kBusybox, "sh", "-c", script}, writer_env);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(fs::is_empty(volumes + "/0"));
}

TEST_F(FileBundlesS3Test, UnchangedFilesCostNoUploadAndAChangedFileOneObject) {
  WriteSite();
  repo_.Commit("site");
  {
    Reconciler reconciler = MakeReconciler();
    auto created = reconciler.Reconcile(Options());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(created->succeeded) << created->message;
  }
  std::map<std::string, int> first = counter_->Take();
  EXPECT_EQ(first["S3 PutObject"], 1);
  EXPECT_EQ(first["S3 HeadObject"], 1);

  // A commit that touches nothing deployed: no S3 call at all (a new reconciler each time,
  // as after a restart: nothing is remembered in memory).
  repo_.Write("README.md", "not mounted\n");
  repo_.Commit("readme");
  {
    Reconciler reconciler = MakeReconciler();
    auto same = reconciler.Reconcile(Options());
    ASSERT_TRUE(same.ok()) << same.status().ToString();
    EXPECT_EQ(same->action, Action::kNone);
  }
  EXPECT_EQ(S3Calls(counter_->Take()), 0);

  // The template changes, the files do not: one HeadObject, no upload.
  {
    Reconciler reconciler = MakeReconciler();
    auto updated = reconciler.Reconcile(Options("2"));
    ASSERT_TRUE(updated.ok()) << updated.status().ToString();
    EXPECT_EQ(updated->action, Action::kUpdate);
    ASSERT_TRUE(updated->succeeded) << updated->message;
  }
  std::map<std::string, int> release = counter_->Take();
  EXPECT_EQ(release["S3 HeadObject"], 1);
  EXPECT_EQ(release["S3 PutObject"], 0);
  EXPECT_EQ(BundleKeys().size(), 1u);

  // A changed file: a new object under its own key, and the service rolls.
  WriteSite('b');
  repo_.Commit("new pages");
  {
    Reconciler reconciler = MakeReconciler();
    auto changed = reconciler.Reconcile(Options("2"));
    ASSERT_TRUE(changed.ok()) << changed.status().ToString();
    EXPECT_EQ(changed->action, Action::kUpdate);
    ASSERT_TRUE(changed->succeeded) << changed->message;
  }
  EXPECT_EQ(counter_->Take()["S3 PutObject"], 1);
  EXPECT_EQ(BundleKeys().size(), 2u);
}

TEST_F(FileBundlesS3Test, WithoutABucketALargeBundleIsRefusedNamingTheSetting) {
  WriteSite();
  repo_.Commit("site");
  ReconcileOptions options = Options();
  options.template_bucket.clear();
  Reconciler reconciler = MakeReconciler();
  auto report = reconciler.Reconcile(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(report.status().message(), HasSubstr("compose.yaml:7:9: services.web.volumes[0]"));
  EXPECT_THAT(report.status().message(), HasSubstr("set aws.template_bucket"));
  EXPECT_EQ(moto_->StackStatus(kStack), "");
  EXPECT_EQ(S3Calls(counter_->Take()), 0);
}

}  // namespace
}  // namespace ecsync::reconcile
