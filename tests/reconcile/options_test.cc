// ReconcileOptions beyond the basics: extra compose files, profiles, an env file, a
// pre-fetched commit, force, and a shared snapshot of stacks. Git is a real repository; the
// stacks live in the stack-files target, behind a wrapper that counts CloudFormation calls.

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "aws/stack_files.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kShop[] = "name: shop\nservices:\n  web:\n    image: nginx:1.27\n";
constexpr char kShopTwoReplicas[] =
    "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    deploy:\n      replicas: 2\n";

// Counts Fetch calls; everything else goes to the real source.
class CountingGitSource : public git::GitSource {
 public:
  explicit CountingGitSource(git::GitSource& real) : real_(real) {}
  std::atomic<int> fetches{0};

  base::Result<std::string> Fetch(const std::string& url, const std::string& ref) override {
    ++fetches;
    return real_.Fetch(url, ref);
  }
  base::Result<std::optional<std::string>> ReadFile(const std::string& url,
                                                    const std::string& commit,
                                                    const std::string& path) override {
    return real_.ReadFile(url, commit, path);
  }

 private:
  git::GitSource& real_;
};

class OptionsTest : public ::testing::Test {
 protected:
  OptionsTest()
      : stacks_(files_.path() + "/stacks", clock_),
        cfn_(stacks_),
        libgit2_(cache_.path()),
        git_(libgit2_) {}

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
    options.wait = {milliseconds(5000), milliseconds(60000)};
    return options;
  }

  base::Result<ReconcileReport> Run(const ReconcileOptions& options) {
    Reconciler reconciler(git_, {.cloudformation = &cfn_}, clock_,
                          [this](const ProgressEvent& e) { lines_.push_back(FormatText(e)); });
    return reconciler.Reconcile(options);
  }

  // Reconciles and expects success.
  void Deploy(const ReconcileOptions& options) {
    auto report = Run(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->succeeded) << report->message;
  }

  // The deployed template of `stack`, parsed.
  nlohmann::json Template(const std::string& stack = "shop") {
    auto body = stacks_.GetTemplate(stack);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    if (!body.ok()) return nlohmann::json::object();
    return nlohmann::json::parse(*body);
  }

  int DesiredCount(const std::string& stack = "shop") {
    nlohmann::json tmpl = Template(stack);
    auto count = tmpl["Resources"]["WebService"]["Properties"]["DesiredCount"];
    return count.is_number() ? count.get<int>() : -1;
  }

  std::map<std::string, aws::Stack> Snapshot() {
    std::map<std::string, aws::Stack> snapshot;
    auto stacks = stacks_.DescribeStacks();
    EXPECT_TRUE(stacks.ok()) << stacks.status().ToString();
    if (stacks.ok()) {
      for (const aws::Stack& stack : *stacks) snapshot[stack.name] = stack;
    }
    return snapshot;
  }

  base::FakeClock clock_;
  testing::TempDir files_, cache_;
  testing::GitRepo repo_;
  aws::StackFiles stacks_;
  fakes::ForwardingCloudFormation cfn_;
  git::LibGit2Source libgit2_;
  CountingGitSource git_;
  std::vector<std::string> lines_;
};

TEST_F(OptionsTest, ExtraFilesAreMergedOverTheComposeFile) {
  repo_.Write("compose.yaml", kShop);
  repo_.Write("compose.prod.yaml", "services:\n  web:\n    deploy:\n      replicas: 3\n");
  repo_.Commit("prod override");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  EXPECT_EQ(DesiredCount(), 1);

  ReconcileOptions options = Options();
  options.extra_files = {"compose.prod.yaml"};
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kUpdate) << report->message;
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(DesiredCount(), 3);
}

TEST_F(OptionsTest, ExtraFilesOutsideTheRepositoryAreRefused) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ReconcileOptions options = Options();
  options.extra_files = {"../elsewhere/compose.yaml"};
  auto report = Run(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(cfn_.calls(), 0);
}

TEST_F(OptionsTest, AServiceUnderAProfileIsDeployedOnlyWhenItIsActive) {
  repo_.Write("compose.yaml",
              std::string(kShop) + "  debug:\n    image: busybox:1.36\n    profiles: [debug]\n");
  repo_.Commit("with a debug service");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  EXPECT_TRUE(Template()["Resources"].contains("WebService"));
  EXPECT_FALSE(Template()["Resources"].contains("DebugService"));

  ReconcileOptions options = Options();
  options.profiles = {"debug"};
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kUpdate) << report->message;
  EXPECT_TRUE(Template()["Resources"].contains("WebService"));
  EXPECT_TRUE(Template()["Resources"].contains("DebugService"));
}

TEST_F(OptionsTest, AnEnvFileReplacesTheDotEnvForInterpolation) {
  repo_.Write("compose.yaml", "name: shop\nservices:\n  web:\n    image: nginx:${TAG:-1.27}\n");
  repo_.Write(".env", "TAG=1.26\n");
  repo_.Write("config/prod.env", "TAG=1.27-alpine\n");
  repo_.Commit("tags from env files");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  EXPECT_NE(Template().dump().find("nginx:1.26"), std::string::npos);

  ReconcileOptions options = Options();
  options.env_file = "config/prod.env";
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kUpdate) << report->message;
  const std::string body = Template().dump();
  EXPECT_NE(body.find("nginx:1.27-alpine"), std::string::npos) << body;
  EXPECT_EQ(body.find("nginx:1.26"), std::string::npos) << body;
}

TEST_F(OptionsTest, AnEnvFileOutsideTheRepositoryIsRefused) {
  repo_.Write("compose.yaml", "name: shop\nservices:\n  web:\n    image: nginx:${TAG:-1.27}\n");
  repo_.Commit("shop");
  ReconcileOptions options = Options();
  options.env_file = "../x";
  auto report = Run(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid) << report.status().ToString();
  EXPECT_EQ(cfn_.calls(), 0);
  EXPECT_FALSE(stacks_.DescribeStack("shop").ok());
}

TEST_F(OptionsTest, AMissingEnvFileIsInvalid) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ReconcileOptions options = Options();
  options.env_file = "config/missing.env";
  auto report = Run(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid) << report.status().ToString();
  EXPECT_NE(report.status().message().find("missing.env"), std::string::npos)
      << report.status().message();
  EXPECT_EQ(cfn_.calls(), 0);
}

TEST_F(OptionsTest, AGivenCommitIsDeployedWithoutFetching) {
  repo_.Write("compose.yaml", kShop);
  const std::string first = repo_.Commit("one replica");
  repo_.Write("compose.yaml", kShopTwoReplicas);
  const std::string second = repo_.Commit("two replicas");
  // The caller fetched once for the repository (as the controller does).
  ASSERT_TRUE(libgit2_.Fetch(repo_.url(), "main").ok());

  ReconcileOptions options = Options();
  options.ref = "no-such-branch";  // unused when the commit is given
  options.commit = first;
  ASSERT_NO_FATAL_FAILURE(Deploy(options));
  EXPECT_EQ(git_.fetches, 0);
  auto stack = stacks_.DescribeStack("shop");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(stack->tags[kTagRevision], first);
  EXPECT_EQ(DesiredCount(), 1);

  options.commit = second;
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kUpdate);
  EXPECT_EQ(report->revision, second);
  EXPECT_EQ(git_.fetches, 0);
  EXPECT_EQ(stacks_.DescribeStack("shop")->tags[kTagRevision], second);
  EXPECT_EQ(DesiredCount(), 2);
}

TEST_F(OptionsTest, WithoutACommitTheRefIsFetched) {
  repo_.Write("compose.yaml", kShop);
  const std::string head = repo_.Commit("shop");
  auto report = Run(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(git_.fetches, 1);
  EXPECT_EQ(report->revision, head);
}

TEST_F(OptionsTest, ForceAsksCloudFormationEvenWhenTheTagsSayUpToDate) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  const aws::Stack before = *stacks_.DescribeStack("shop");

  cfn_.ResetCounts();
  auto plain = Run(Options());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->action, Action::kNone);
  EXPECT_EQ(cfn_.change_sets(), 0);

  ReconcileOptions options = Options();
  options.force = true;
  auto forced = Run(options);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(cfn_.change_sets(), 1);
  EXPECT_EQ(cfn_.executes(), 0);  // the change set was empty: nothing changes
  EXPECT_EQ(forced->action, Action::kNone);
  EXPECT_TRUE(forced->succeeded);
  EXPECT_NE(forced->message.find("no resource changes"), std::string::npos) << forced->message;
  const aws::Stack after = *stacks_.DescribeStack("shop");
  EXPECT_EQ(after.status, before.status);
  EXPECT_EQ(after.tags, before.tags);
}

TEST_F(OptionsTest, ForceHealsAStackChangedBehindTheTagsBack) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  // Someone updates the stack by hand and keeps ecsync's tags: they still say up to date.
  nlohmann::json tmpl = Template();
  tmpl["Resources"]["WebService"]["Properties"]["DesiredCount"] = 5;
  aws::UpdateStackRequest manual;
  manual.name = "shop";
  manual.template_body = tmpl.dump();
  manual.tags = stacks_.DescribeStack("shop")->tags;
  manual.capabilities = {"CAPABILITY_IAM"};
  ASSERT_TRUE(stacks_.UpdateStack(manual).ok());
  ASSERT_EQ(DesiredCount(), 5);

  auto plain = Run(Options());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->action, Action::kNone);
  EXPECT_EQ(DesiredCount(), 5);

  ReconcileOptions options = Options();
  options.force = true;
  auto forced = Run(options);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(forced->action, Action::kUpdate) << forced->message;
  EXPECT_TRUE(forced->succeeded) << forced->message;
  EXPECT_EQ(DesiredCount(), 1);
}

TEST_F(OptionsTest, AnUpToDateStackInTheSnapshotCostsNoAwsCall) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  const std::map<std::string, aws::Stack> snapshot = Snapshot();

  cfn_.ResetCounts();
  ReconcileOptions options = Options();
  options.snapshot = &snapshot;
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kNone);
  EXPECT_TRUE(report->succeeded);
  EXPECT_EQ(report->stack_name, "shop");
  EXPECT_EQ(report->final_status, "CREATE_COMPLETE");
  EXPECT_NE(report->message.find("up to date"), std::string::npos) << report->message;
  EXPECT_EQ(cfn_.calls(), 0);
}

TEST_F(OptionsTest, AStaleSnapshotFallsBackToAskingCloudFormation) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  const std::map<std::string, aws::Stack> snapshot = Snapshot();
  repo_.Write("compose.yaml", kShopTwoReplicas);
  const std::string head = repo_.Commit("two replicas");

  cfn_.ResetCounts();
  ReconcileOptions options = Options();
  options.snapshot = &snapshot;
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kUpdate) << report->message;
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_GT(cfn_.calls(), 0);
  EXPECT_EQ(DesiredCount(), 2);
  EXPECT_EQ(stacks_.DescribeStack("shop")->tags[kTagRevision], head);
}

// Entries that match by name but not in every other way are not trusted: the stack is
// described again (and here turns out to be up to date after all).
TEST_F(OptionsTest, ASnapshotEntryIsTrustedOnlyWhenManagedFromThisSourceAndComplete) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  const aws::Stack deployed = Snapshot().at("shop");

  std::vector<std::pair<std::string, aws::Stack>> entries;
  aws::Stack other_sha = deployed;
  other_sha.tags[kTagTemplateSha] = std::string(64, '0');
  entries.emplace_back("different template hash", other_sha);
  aws::Stack busy = deployed;
  busy.status = "UPDATE_IN_PROGRESS";
  entries.emplace_back("in progress", busy);
  aws::Stack rolled_back = deployed;
  rolled_back.status = "UPDATE_ROLLBACK_COMPLETE";
  entries.emplace_back("rolled back", rolled_back);
  aws::Stack other_source = deployed;
  other_source.tags[kTagSource] = SourceId("https://git.example.com/other.git", "compose.yaml");
  entries.emplace_back("another source", other_source);
  aws::Stack unmanaged = deployed;
  unmanaged.tags.erase(kTagManagedBy);
  entries.emplace_back("not managed", unmanaged);

  for (const auto& [what, entry] : entries) {
    SCOPED_TRACE(what);
    const std::map<std::string, aws::Stack> snapshot = {{"shop", entry}};
    cfn_.ResetCounts();
    ReconcileOptions options = Options();
    options.snapshot = &snapshot;
    auto report = Run(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->action, Action::kNone) << report->message;
    EXPECT_GT(cfn_.calls(), 0);
    EXPECT_EQ(report->final_status, "CREATE_COMPLETE");  // the real status, not the entry's
  }
}

TEST_F(OptionsTest, AProjectMissingFromTheSnapshotIsCreated) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  const std::map<std::string, aws::Stack> snapshot;
  ReconcileOptions options = Options();
  options.snapshot = &snapshot;
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->action, Action::kCreate);
  EXPECT_TRUE(stacks_.DescribeStack("shop").ok());
}

TEST_F(OptionsTest, ForceOverridesTheSnapshot) {
  repo_.Write("compose.yaml", kShop);
  repo_.Commit("shop");
  ASSERT_NO_FATAL_FAILURE(Deploy(Options()));
  const std::map<std::string, aws::Stack> snapshot = Snapshot();
  cfn_.ResetCounts();
  ReconcileOptions options = Options();
  options.snapshot = &snapshot;
  options.force = true;
  auto report = Run(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(cfn_.change_sets(), 1);
  EXPECT_EQ(report->action, Action::kNone);
}

}  // namespace
}  // namespace ecsync::reconcile
