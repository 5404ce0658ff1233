// The controller's operator actions (Controller::ReconcileNow, Suspend, Resume, Acknowledge)
// over a real git repository and the stack-files target.

#include <gtest/gtest.h>

#include "tests/controller/operator_fixture.h"

namespace ecsync::controller::testing {
namespace {

using ::ecsync::testing::WaitUntil;

using OperatorActionsTest = OperatorFixture;

TEST_F(OperatorActionsTest, UnknownProjectsAreNotFound) {
  StartController(MakeConfig());
  EXPECT_EQ(controller_->ReconcileNow("shop/nope").kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(controller_->Suspend("shop/nope", "alice").kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(controller_->Resume("shop/nope").kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(controller_->Acknowledge("nope/web").kind(), base::ErrorKind::kNotFound);
}

TEST_F(OperatorActionsTest, ASuspendedProjectIsNotReconciledAndResumeCatchesUp) {
  StartController(MakeConfig());
  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  ASSERT_TRUE(controller_->Suspend("shop/web", "alice").ok());
  ProjectStatus status = Status("shop/web");
  EXPECT_TRUE(status.suspended);
  EXPECT_EQ(status.suspended_by, "alice");
  EXPECT_GE(status.suspended_at, before);
  EXPECT_FALSE(Status("shop/api").suspended);
  // Suspending again keeps who did it first.
  ASSERT_TRUE(controller_->Suspend("shop/web", "bob").ok());
  EXPECT_EQ(Status("shop/web").suspended_by, "alice");

  repo_.Write("web/compose.yaml", App(2));
  repo_.Write("api/compose.yaml", App(2));
  const std::string second = repo_.Commit("scale both");
  ASSERT_TRUE(CheckedAndIdle(second));
  ASSERT_TRUE(WaitUntil([&] { return Revision("shop-api") == second; }));
  EXPECT_EQ(Revision("shop-web"), first_);  // suspended: untouched
  EXPECT_EQ(controller_->ReconcileNow("shop/web").kind(), base::ErrorKind::kConflict);
  EXPECT_EQ(controller_->Acknowledge("shop/web").kind(), base::ErrorKind::kConflict);

  ASSERT_TRUE(controller_->Resume("shop/web").ok());
  EXPECT_FALSE(Status("shop/web").suspended);
  EXPECT_TRUE(WaitUntil([&] { return Revision("shop-web") == second; }));
}

TEST_F(OperatorActionsTest, ASuspensionSurvivesAReloadAndTheConfigurationWins) {
  config::Config config = MakeConfig();
  StartController(config);
  ASSERT_TRUE(controller_->Suspend("shop/web", "alice").ok());
  // A changed repository entry: checked again at once with every project queued.
  config.repositories[0].timeout = std::chrono::seconds(61);
  controller_->Reload(config);
  repo_.Write("web/compose.yaml", App(3));
  const std::string second = repo_.Commit("scale web");
  ASSERT_TRUE(CheckedAndIdle(second));
  EXPECT_EQ(Revision("shop-web"), first_);
  EXPECT_TRUE(Status("shop/web").suspended);
  EXPECT_EQ(Status("shop/web").suspended_by, "alice");

  // suspend: true in the file: resuming lifts the operator's suspension, not the file's.
  config.repositories[0].projects[0].suspend = true;
  controller_->Reload(config);
  ASSERT_TRUE(WaitUntil(
      [&] { return Status("shop/web").suspended_by == "configuration" && controller_->Idle(); }));
  ASSERT_TRUE(controller_->Resume("shop/web").ok());
  ProjectStatus status = Status("shop/web");
  EXPECT_TRUE(status.suspended);
  EXPECT_EQ(status.suspended_by, "configuration");
  ASSERT_TRUE(WaitUntil([&] { return controller_->Idle(); }));
  EXPECT_EQ(Revision("shop-web"), first_);
}

TEST_F(OperatorActionsTest, ReconcileNowFetchesAndReappliesAnUpToDateStack) {
  StartController(MakeConfig());
  // No poll is due for an hour: only the action makes the new commit known.
  repo_.Write("web/compose.yaml", App(2));
  const std::string second = repo_.Commit("scale web");
  ASSERT_TRUE(controller_->ReconcileNow("shop/web").ok());
  ASSERT_TRUE(WaitUntil([&] { return Revision("shop-web") == second && controller_->Idle(); }));

  // Nothing changed: it runs all the same.
  const size_t runs = Status("shop/web").runs.size();
  const size_t api_runs = Status("shop/api").runs.size();
  ASSERT_TRUE(controller_->ReconcileNow("shop/web").ok());
  EXPECT_TRUE(
      WaitUntil([&] { return Status("shop/web").runs.size() == runs + 1 && controller_->Idle(); }));
  EXPECT_EQ(Status("shop/api").runs.size(), api_runs);
}

TEST_F(OperatorActionsTest, AcknowledgeRetriesAStalledProjectAtOnce) {
  StartController(MakeConfig());
  EXPECT_EQ(controller_->Acknowledge("shop/web").kind(), base::ErrorKind::kConflict);

  repo_.Write("web/compose.yaml", "services: [not a map");
  const std::string broken = repo_.Commit("broken");
  ASSERT_TRUE(CheckedAndIdle(broken));
  ASSERT_TRUE(WaitUntil([&] {
    ProjectStatus s = Status("shop/web");
    return s.condition == Condition::kStalled && !s.runs.empty() &&
           s.runs.front().result == "error";
  }));
  const size_t runs = Status("shop/web").runs.size();
  // Stalled until a new commit: another check does not run it again.
  ASSERT_TRUE(CheckedAndIdle(broken));
  EXPECT_EQ(Status("shop/web").runs.size(), runs);

  ASSERT_TRUE(controller_->Acknowledge("shop/web").ok());
  EXPECT_TRUE(WaitUntil([&] { return Status("shop/web").runs.size() == runs + 1; }));
  EXPECT_EQ(Revision("shop-web"), first_);
}

TEST_F(OperatorActionsTest, ASuspendedProjectThatLeavesGitKeepsItsStackUntilResumed) {
  StartController(MakeConfig());
  ASSERT_TRUE(controller_->Suspend("shop/api", "alice").ok());
  repo_.Remove("api/compose.yaml");
  const std::string second = repo_.Commit("drop api");
  ASSERT_TRUE(CheckedAndIdle(second));
  EXPECT_TRUE(Exists("shop-api"));

  ASSERT_TRUE(controller_->Resume("shop/api").ok());
  EXPECT_TRUE(WaitUntil([&] { return !Exists("shop-api"); }));
  EXPECT_TRUE(Exists("shop-web"));
  EXPECT_EQ(controller_->Resume("shop/api").kind(), base::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace ecsync::controller::testing
