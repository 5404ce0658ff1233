// Pruning: the stacks of a repository's vanished projects go, everything else stays. The
// stacks are real ones in the stack-files target, deployed by the Reconciler from a real git
// repository; the assertions read the target back.

#include "reconcile/prune.h"

#include <gtest/gtest.h>

#include "aws/make_clients.h"
#include "aws/stack_files.h"
#include "base/env.h"
#include "git/libgit2_source.h"
#include "reconcile/stack_tags.h"
#include "tests/aws/moto_fixture.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kAlpha[] = "name: alpha\nservices:\n  web:\n    image: nginx:1.27\n";
constexpr char kBeta[] = "name: beta\nservices:\n  api:\n    image: nginx:1.27\n";
constexpr char kGamma[] = "name: gamma\nservices:\n  web:\n    image: nginx:1.27\n";
constexpr char kHandmadeTemplate[] = R"({"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}})";

bool Mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

aws::Stack ManagedStack(const std::string& name, const std::string& source) {
  aws::Stack stack;
  stack.name = name;
  stack.id = "arn:aws:cloudformation:us-east-1:123456789012:stack/" + name + "/1";
  stack.status = "CREATE_COMPLETE";
  stack.tags = {{kTagManagedBy, kManagedByValue}, {kTagSource, source}};
  return stack;
}

std::vector<std::string> Names(const std::vector<aws::Stack>& stacks) {
  std::vector<std::string> names;
  names.reserve(stacks.size());
  for (const aws::Stack& stack : stacks) names.push_back(stack.name);
  return names;
}

TEST(PruneCandidatesTest, TheRepositorysStacksThatAreNoLongerDesired) {
  const std::string repo = "https://git.example.com/team/shop.git";
  PruneOptions options;
  options.repo_url = repo;
  options.desired_sources = {SourceId(repo, "alpha/compose.yaml")};

  aws::Stack foreign_owner = ManagedStack("foreign-owner", SourceId(repo, "zeta/compose.yaml"));
  foreign_owner.tags[kTagManagedBy] = "someone-else";
  aws::Stack untagged = ManagedStack("untagged", "");
  untagged.tags.erase(kTagSource);
  const std::vector<aws::Stack> managed = {
      ManagedStack("alpha", SourceId(repo, "alpha/compose.yaml")),
      ManagedStack("beta", SourceId(repo, "beta/compose.yaml")),
      ManagedStack("root", SourceId(repo, "compose.yaml")),
      // Another repository, whose URL starts with this one's.
      ManagedStack("shop2", SourceId("https://git.example.com/team/shop.git2", "compose.yaml")),
      ManagedStack("other", SourceId("https://git.example.com/team/other.git", "compose.yaml")),
      foreign_owner,
      untagged,
  };
  EXPECT_EQ(Names(PruneCandidates(managed, options)), (std::vector<std::string>{"beta", "root"}));

  options.desired_sources.clear();
  EXPECT_EQ(Names(PruneCandidates(managed, options)),
            (std::vector<std::string>{"alpha", "beta", "root"}));
}

TEST(PruneCandidatesTest, ASourceShortenedForTheTagLimitStillBelongsToItsRepository) {
  const std::string repo = "https://git.example.com/team/shop.git";
  const std::string long_path = std::string(300, 'd') + "/compose.yaml";
  const std::string source = SourceId(repo, long_path);
  ASSERT_EQ(source.size(), 256u);  // shortened with a hash
  PruneOptions options;
  options.repo_url = repo;
  options.desired_sources = {source};
  EXPECT_TRUE(PruneCandidates({ManagedStack("long", source)}, options).empty());
  options.desired_sources = {SourceId(repo, "compose.yaml")};
  EXPECT_EQ(Names(PruneCandidates({ManagedStack("long", source)}, options)),
            (std::vector<std::string>{"long"}));
}

// When the URL itself fills the tag, a shortened source no longer shows which repository it
// came from; two such repositories could share the visible part, so neither may prune it.
TEST(PruneCandidatesTest, SourcesOfAnOverlongUrlAreNeverCandidates) {
  const std::string base = "https://git.example.com/" + std::string(250, 'r');
  const std::string mine = base + "/mine.git";
  const std::string theirs = base + "/theirs.git";
  const std::vector<aws::Stack> managed = {
      ManagedStack("mine", SourceId(mine, "compose.yaml")),
      ManagedStack("theirs", SourceId(theirs, "compose.yaml")),
  };
  PruneOptions options;
  options.repo_url = mine;
  options.allow_delete_all = true;
  EXPECT_TRUE(PruneCandidates(managed, options).empty());
}

TEST(PruneCandidatesTest, NoStacksNoCandidates) {
  PruneOptions options;
  options.repo_url = "https://git.example.com/team/shop.git";
  EXPECT_TRUE(PruneCandidates({}, options).empty());
}

class PruneTest : public ::testing::Test {
 protected:
  PruneTest() : stacks_(files_.path() + "/stacks", clock_), cfn_(stacks_), git_(cache_.path()) {}

  void SetUp() override {
    repo_.Write("alpha/compose.yaml", kAlpha);
    repo_.Write("beta/compose.yaml", kBeta);
    repo_.Commit("two projects");
    other_.Write("compose.yaml", kGamma);
    other_.Commit("another repository");
    ASSERT_NO_FATAL_FAILURE(Deploy(repo_.url(), "alpha/compose.yaml"));
    ASSERT_NO_FATAL_FAILURE(Deploy(repo_.url(), "beta/compose.yaml"));
    ASSERT_NO_FATAL_FAILURE(Deploy(other_.url(), "compose.yaml"));
    aws::CreateStackRequest handmade;
    handmade.name = "handmade";
    handmade.template_body = kHandmadeTemplate;
    ASSERT_TRUE(stacks_.CreateStack(handmade).ok());
    auto beta = stacks_.DescribeStack("beta");
    ASSERT_TRUE(beta.ok()) << beta.status().ToString();
    beta_id_ = beta->id;
  }

  void Deploy(const std::string& url, const std::string& compose_path) {
    ReconcileOptions options;
    options.repo_url = url;
    options.compose_path = compose_path;
    options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
    options.wait = Wait();
    Reconciler reconciler(git_, {.cloudformation = &stacks_}, clock_, nullptr);
    auto report = reconciler.Reconcile(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->succeeded) << report->message;
  }

  static WaitOptions Wait() { return {milliseconds(5000), milliseconds(60000)}; }

  // Removes beta's compose file in a new commit: what the repository deploys now.
  PruneOptions AfterBetaIsRemoved() {
    repo_.Remove("beta/compose.yaml");
    PruneOptions options;
    options.repo_url = repo_.url();
    options.revision = repo_.Commit("beta is retired");
    options.desired_sources = {SourceId(repo_.url(), "alpha/compose.yaml")};
    options.wait = Wait();
    return options;
  }

  base::Result<PruneReport> RunPrune(const PruneOptions& options) {
    auto managed = ListManagedStacks(stacks_);
    if (!managed.ok()) return managed.status();
    cfn_.ResetCounts();
    return Prune(
        cfn_, clock_, [this](const ProgressEvent& e) { lines_.push_back(FormatText(e)); }, *managed,
        options);
  }

  bool Exists(const std::string& name) { return stacks_.DescribeStack(name).ok(); }

  bool Said(const std::string& part) const {
    for (const std::string& line : lines_) {
      if (Mentions(line, part)) return true;
    }
    return false;
  }

  base::FakeClock clock_;
  testing::TempDir files_, cache_;
  testing::GitRepo repo_, other_;
  aws::StackFiles stacks_;
  fakes::ForwardingCloudFormation cfn_;
  git::LibGit2Source git_;
  std::string beta_id_;
  std::vector<std::string> lines_;
};

TEST_F(PruneTest, DeletesTheStackOfAProjectThatIsGone) {
  auto report = RunPrune(AfterBetaIsRemoved());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 1u);
  const ReconcileReport& deleted = report->deleted[0];
  EXPECT_EQ(deleted.action, Action::kDelete);
  EXPECT_EQ(deleted.stack_name, "beta");
  EXPECT_TRUE(deleted.succeeded) << deleted.message;
  EXPECT_EQ(deleted.final_status, "DELETE_COMPLETE");
  EXPECT_EQ(deleted.revision, repo_.Head());
  EXPECT_TRUE(report->kept.empty());
  EXPECT_EQ(cfn_.deletes(), 1);

  // The target agrees: gone by name, DELETE_COMPLETE by id.
  auto by_name = stacks_.DescribeStack("beta");
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.status().kind(), base::ErrorKind::kNotFound);
  auto by_id = stacks_.DescribeStack(beta_id_);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->status, "DELETE_COMPLETE");

  // The desired project, another repository's stack and a stack ecsync did not make stay.
  EXPECT_TRUE(Exists("alpha"));
  EXPECT_TRUE(Exists("gamma"));
  EXPECT_TRUE(Exists("handmade"));
  EXPECT_TRUE(Said("pruning stack beta")) << ::testing::PrintToString(lines_);
}

TEST_F(PruneTest, NothingToPruneMakesNoCall) {
  PruneOptions options;
  options.repo_url = repo_.url();
  options.revision = repo_.Head();
  options.desired_sources = {SourceId(repo_.url(), "alpha/compose.yaml"),
                             SourceId(repo_.url(), "beta/compose.yaml")};
  auto report = RunPrune(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty());
  EXPECT_TRUE(report->kept.empty());
  EXPECT_EQ(cfn_.calls(), 0);
}

TEST_F(PruneTest, ARepositoryWithoutStacksDeployingNothingIsNotAConflict) {
  testing::GitRepo empty;
  PruneOptions options;
  options.repo_url = empty.url();
  auto report = RunPrune(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty());
}

TEST_F(PruneTest, ARevisionDeployingNothingDeletesNothing) {
  repo_.Remove("alpha/compose.yaml");
  repo_.Remove("beta/compose.yaml");
  repo_.Write("README.md", "moved elsewhere\n");
  PruneOptions options;
  options.repo_url = repo_.url();
  options.revision = repo_.Commit("empty the repository");
  options.wait = Wait();
  auto report = RunPrune(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kConflict);
  const std::string message = report.status().message();
  EXPECT_TRUE(Mentions(message, "alpha")) << message;
  EXPECT_TRUE(Mentions(message, "beta")) << message;
  EXPECT_TRUE(Mentions(message, "allow_prune_all")) << message;
  EXPECT_TRUE(Mentions(message, options.revision.substr(0, 12))) << message;
  EXPECT_FALSE(Mentions(message, "gamma")) << message;
  EXPECT_EQ(cfn_.calls(), 0);
  EXPECT_TRUE(Exists("alpha"));
  EXPECT_TRUE(Exists("beta"));
}

TEST_F(PruneTest, AllowDeleteAllDeletesEveryStackOfTheRepositoryOnly) {
  PruneOptions options;
  options.repo_url = repo_.url();
  options.revision = repo_.Head();
  options.allow_delete_all = true;
  options.wait = Wait();
  auto report = RunPrune(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 2u);
  EXPECT_EQ(report->deleted[0].stack_name, "alpha");
  EXPECT_EQ(report->deleted[1].stack_name, "beta");
  EXPECT_FALSE(Exists("alpha"));
  EXPECT_FALSE(Exists("beta"));
  EXPECT_TRUE(Exists("gamma"));
  EXPECT_TRUE(Exists("handmade"));
}

TEST_F(PruneTest, AProjectThatOptedOutIsKeptAndReported) {
  PruneOptions options = AfterBetaIsRemoved();
  std::vector<std::string> asked;
  options.keep = [&asked](const aws::Stack& stack) -> std::optional<std::string> {
    asked.push_back(stack.name);
    if (stack.name != "beta") return std::nullopt;
    return "its entry has prune: false";
  };
  auto report = RunPrune(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->deleted.empty());
  ASSERT_EQ(report->kept.size(), 1u);
  EXPECT_TRUE(Mentions(report->kept[0].message, "beta")) << report->kept[0].message;
  EXPECT_TRUE(Mentions(report->kept[0].message, "prune: false")) << report->kept[0].message;
  EXPECT_TRUE(Said(report->kept[0].message));
  EXPECT_EQ(asked, std::vector<std::string>{"beta"});  // only candidates are asked
  EXPECT_EQ(cfn_.deletes(), 0);
  EXPECT_TRUE(Exists("beta"));
}

TEST_F(PruneTest, TerminationProtectionKeepsTheStackAndIsReported) {
  ASSERT_TRUE(stacks_.UpdateTerminationProtection("beta", true).ok());
  PruneOptions options;
  options.repo_url = repo_.url();
  options.revision = repo_.Head();
  options.allow_delete_all = true;
  options.wait = Wait();
  auto report = RunPrune(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Alpha, unprotected, still goes: one protected stack does not stop the others.
  ASSERT_EQ(report->deleted.size(), 1u);
  EXPECT_EQ(report->deleted[0].stack_name, "alpha");
  ASSERT_EQ(report->kept.size(), 1u);
  EXPECT_TRUE(Mentions(report->kept[0].message, "beta")) << report->kept[0].message;
  EXPECT_EQ(report->kept[0].stack, "beta");
  EXPECT_TRUE(Mentions(report->kept[0].message, "termination protection"))
      << report->kept[0].message;
  EXPECT_TRUE(Said(report->kept[0].message));
  EXPECT_EQ(cfn_.deletes(), 1);
  auto beta = stacks_.DescribeStack("beta");
  ASSERT_TRUE(beta.ok()) << beta.status().ToString();
  EXPECT_TRUE(beta->termination_protection);  // never turned off
  EXPECT_FALSE(Exists("alpha"));
}

// CloudFormation refuses the delete of a stack protected since the listing: that stack is
// kept and reported, and the others still go.
TEST_F(PruneTest, ARefusedDeleteKeepsThatStackAndPrunesTheOthers) {
  PruneOptions options;
  options.repo_url = repo_.url();
  options.revision = repo_.Head();
  options.allow_delete_all = true;
  options.wait = Wait();
  auto managed = ListManagedStacks(stacks_);
  ASSERT_TRUE(managed.ok());
  ASSERT_TRUE(stacks_.UpdateTerminationProtection("alpha", true).ok());  // first in name order
  auto report = Prune(cfn_, clock_, nullptr, *managed, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->kept.size(), 1u);
  EXPECT_TRUE(Mentions(report->kept[0].message, "alpha")) << report->kept[0].message;
  EXPECT_TRUE(Mentions(report->kept[0].message, "TerminationProtection"))
      << report->kept[0].message;
  ASSERT_EQ(report->deleted.size(), 1u);
  EXPECT_EQ(report->deleted[0].stack_name, "beta");
  EXPECT_TRUE(Exists("alpha"));
  EXPECT_FALSE(Exists("beta"));
}

// The same against moto through the real AWS client. (moto 5 has no
// UpdateTerminationProtection, so protection is covered by the stack-files tests above.)
class PruneMotoTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    repo_.Write("alpha/compose.yaml", kAlpha);
    repo_.Write("beta/compose.yaml", kBeta);
    repo_.Commit("two projects");
    other_.Write("compose.yaml", kGamma);
    other_.Commit("another repository");
    ASSERT_NO_FATAL_FAILURE(Deploy(repo_.url(), "alpha/compose.yaml"));
    ASSERT_NO_FATAL_FAILURE(Deploy(repo_.url(), "beta/compose.yaml"));
    ASSERT_NO_FATAL_FAILURE(Deploy(other_.url(), "compose.yaml"));
  }

  // moto finishes operations quickly; the real clock with short polls waits for it.
  static WaitOptions Wait() { return {milliseconds(100), milliseconds(30000)}; }

  void Deploy(const std::string& url, const std::string& compose_path) {
    ReconcileOptions options;
    options.repo_url = url;
    options.compose_path = compose_path;
    options.wait = Wait();
    Reconciler reconciler(
        git_, {.cloudformation = clients_.cloudformation.get(), .ec2 = clients_.ec2.get()},
        *base::SystemClock::Get(), nullptr);
    auto report = reconciler.Reconcile(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->succeeded) << report->message;
  }

  base::Result<PruneReport> RunPrune(const PruneOptions& options) {
    auto managed = ListManagedStacks(*clients_.cloudformation);
    if (!managed.ok()) return managed.status();
    return Prune(*clients_.cloudformation, *base::SystemClock::Get(), nullptr, *managed, options);
  }

  // Gone: not listed any more, or listed as DELETE_COMPLETE.
  static bool Gone(const std::string& stack) {
    const std::string status = moto_->StackStatus(stack);
    return status.empty() || status == "DELETE_COMPLETE";
  }

  testing::TempDir cache_;
  testing::GitRepo repo_, other_;
  git::LibGit2Source git_{cache_.path()};
};

TEST_F(PruneMotoTest, DeletesTheStackOfTheGoneProjectOnly) {
  PruneOptions options;
  options.repo_url = repo_.url();
  options.revision = repo_.Head();
  options.desired_sources = {SourceId(repo_.url(), "alpha/compose.yaml")};
  options.wait = Wait();
  auto report = RunPrune(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->deleted.size(), 1u);
  EXPECT_EQ(report->deleted[0].stack_name, "beta");
  EXPECT_TRUE(report->deleted[0].succeeded) << report->deleted[0].message;
  EXPECT_TRUE(Gone("beta"));
  EXPECT_EQ(moto_->StackStatus("alpha"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_->StackStatus("gamma"), "CREATE_COMPLETE");
}

}  // namespace
}  // namespace ecsync::reconcile
