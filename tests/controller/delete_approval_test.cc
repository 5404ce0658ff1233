// Manual approval of a prune's delete (approval: manual, docs/manual-approval.md): a project
// that leaves git keeps its stack, and the delete waits under the key the project had until an
// operator approves it (the stack goes, the run names the approver) or rejects it (the stack
// stays, and the removal is not proposed again); a project back in git clears it. The
// controller over a real git repository and moto_server.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "tests/controller/moto_fixture.h"
#include "tests/controller/operator_fixture.h"
#include "tests/notify/recording_publisher.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using ::ecsync::testing::WaitUntil;
using notify::EventKind;
using testing::App;

config::ProjectConfig Entry(const std::string& name, bool manual) {
  config::ProjectConfig project;
  project.name = name;
  project.files = {name + "/compose.yaml"};
  project.manual_approval = manual;
  return project;
}

class DeleteApproval : public testing::MotoControllerTest {
 protected:
  DeleteApproval() : git_(work_.path() + "/cache") {
    // Two projects: a revision that deploys nothing at all would be refused as a whole.
    repo_.Write("web/compose.yaml", App(1));
    repo_.Write("api/compose.yaml", App(1));
    first_ = repo_.Commit("web and api");
  }

  // Starts the controller with web under approval: manual and waits until web's stack
  // (its create approved by "alice") and api's are deployed.
  void SetUp() override {
    ControllerDeps deps;
    ASSERT_NO_FATAL_FAILURE(MotoDeps(git_, &events_, &deps));
    config::RepositoryConfig repo = ShopRepository(repo_.url());
    repo.projects = {Entry("web", true), Entry("api", false)};
    config_.concurrency = 2;
    config_.repositories.push_back(std::move(repo));
    controller_ = std::make_unique<Controller>(config_, std::move(deps));
    controller_->Start();
    ASSERT_TRUE(WaitUntil([&] {
      return Status().condition == Condition::kAwaitingApproval && controller_->Idle();
    })) << controller_->status().ToJson().dump(2);
    ASSERT_TRUE(controller_->DecideChange(kKey, "alice", /*reject=*/false).ok());
    ASSERT_TRUE(WaitUntil([&] {
      return Status().last_applied_revision == first_ &&
             Status("shop/api").last_applied_revision == first_ && controller_->Idle();
    })) << controller_->status().ToJson().dump(2);
  }

  void TearDown() override {
    if (controller_) controller_->Stop();
  }

  ProjectStatus Status(const std::string& key = kKey) const {
    ProjectStatus status;
    controller_->status().FindProject(key, &status);
    return status;
  }

  // Commits the removal of web's compose file and checks the repository; the commit.
  std::string RemoveWeb() {
    repo_.Remove("web/compose.yaml");
    std::string commit = repo_.Commit("retire web");
    controller_->Trigger("shop");
    return commit;
  }

  // Waits until web's delete, planned at `revision`, waits for approval; its status.
  ProjectStatus DeleteWaits(const std::string& revision) {
    EXPECT_TRUE(WaitUntil([&] {
      const ProjectStatus s = Status();
      return s.condition == Condition::kAwaitingApproval && s.pending_action == "delete" &&
             s.pending_revision == revision && controller_->Idle();
    })) << controller_->status().ToJson().dump(2);
    return Status();
  }

  // The events of `kind` about web (and `revision`, when not empty).
  std::vector<notify::Event> Events(EventKind kind, const std::string& revision = "") {
    std::vector<notify::Event> out;
    for (const notify::Event& e : events_.events()) {
      if (e.kind == kind && e.project_key == kKey && (revision.empty() || e.revision == revision)) {
        out.push_back(e);
      }
    }
    return out;
  }

  static constexpr char kKey[] = "shop/web";
  static constexpr char kStack[] = "shop-web";
  static constexpr char kApiStack[] = "shop-api";
  ::ecsync::testing::TempDir work_;
  ::ecsync::testing::GitRepo repo_;
  git::LibGit2Source git_;
  notify::RecordingPublisher events_;
  config::Config config_;
  std::string first_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(DeleteApproval, TheDeleteWaitsWithItsResourcesAndApprovalDeletesTheStack) {
  const std::string removed = RemoveWeb();
  const ProjectStatus waiting = DeleteWaits(removed);
  const std::string identity = "ecsync-" + removed.substr(0, 12) + "-delete";
  EXPECT_EQ(waiting.pending_change_set, identity);
  EXPECT_EQ(waiting.stack, kStack);
  EXPECT_EQ(waiting.repository, "shop");
  EXPECT_EQ(waiting.name, "web");
  ASSERT_FALSE(waiting.pending_changes.empty());
  bool service = false;
  for (const ChangeRecord& change : waiting.pending_changes) {
    EXPECT_EQ(change.action, "Remove") << change.logical_id;
    service = service || change.resource_type == "AWS::ECS::Service";
  }
  EXPECT_TRUE(service) << "the plan lists the stack's ECS service";
  EXPECT_EQ(waiting.runs.front().result, "awaiting_approval");
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");  // kept while it waits
  // The status API shows it like any change waiting for approval.
  nlohmann::json doc = *controller_->status().ProjectJson(kKey);
  EXPECT_EQ(doc["condition"]["type"], "AwaitingApproval");
  EXPECT_EQ(doc["pendingApproval"]["action"], "delete");
  EXPECT_EQ(doc["pendingApproval"]["revision"], removed);
  EXPECT_NE(controller_->status().ToJson().dump().find(identity), std::string::npos);
  ASSERT_EQ(Events(EventKind::kApprovalPending, removed).size(), 1u);
  EXPECT_EQ(Events(EventKind::kApprovalPending, removed)[0].change_set, identity);

  auto decided = controller_->DecideChange(kKey, "alice", /*reject=*/false);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_TRUE(decided->waiting);
  EXPECT_EQ(decided->action, "delete");
  EXPECT_EQ(decided->change_set, identity);
  EXPECT_EQ(decided->revision, removed);
  ASSERT_TRUE(WaitUntil([&] {
    const ProjectStatus s = Status();
    return moto_->StackStatus(kStack).empty() && s.condition == Condition::kReady &&
           !s.runs.empty() && s.runs.front().result == "success";
  })) << controller_->status().ToJson().dump(2);
  const ProjectStatus done = Status();
  EXPECT_EQ(done.runs.front().action, "delete");
  EXPECT_EQ(done.runs.front().approved_by, "alice");
  EXPECT_EQ(done.runs.front().change_set, identity);
  EXPECT_NE(done.runs.front().approved_at, std::chrono::system_clock::time_point{});
  EXPECT_TRUE(done.pending_change_set.empty());
  ASSERT_EQ(Events(EventKind::kApproved, removed).size(), 1u);
  EXPECT_EQ(Events(EventKind::kApproved, removed)[0].actor, "alice");
  EXPECT_EQ(Events(EventKind::kPruned, removed).size(), 1u);
  EXPECT_EQ(moto_->StackStatus(kApiStack), "CREATE_COMPLETE");  // only web's stack went
  // Nothing waits any more: a conflict that says so; an unknown key is not found.
  auto again = controller_->DecideChange(kKey, "alice", /*reject=*/false);
  EXPECT_EQ(again.status().kind(), base::ErrorKind::kConflict) << again.status().ToString();
  EXPECT_EQ(controller_->DecideChange("shop/nope", "alice", false).status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(DeleteApproval, ARejectedDeleteKeepsTheStackAndIsNotProposedAgainForThatRemoval) {
  const std::string removed = RemoveWeb();
  const ProjectStatus waiting = DeleteWaits(removed);
  auto decided = controller_->DecideChange(kKey, "carol", /*reject=*/true);
  ASSERT_TRUE(decided.ok() && decided->waiting);
  EXPECT_TRUE(testing::RejectedBy(Status(), "carol", waiting.pending_change_set));
  ASSERT_EQ(Events(EventKind::kRejected).size(), 1u);
  EXPECT_EQ(Events(EventKind::kRejected)[0].actor, "carol");

  // A later commit that leaves web gone prunes again: the stack stays, nobody is asked.
  repo_.Write("api/compose.yaml", App(2));
  const std::string later = repo_.Commit("scale api");
  controller_->Trigger("shop");
  ASSERT_TRUE(WaitUntil([&] {
    return Status("shop/api").last_applied_revision == later && controller_->Idle();
  })) << controller_->status().ToJson().dump(2);
  EXPECT_EQ(Status().condition, Condition::kStalled);
  EXPECT_EQ(Events(EventKind::kApprovalPending, removed).size(), 1u);
  EXPECT_EQ(Events(EventKind::kApprovalPending, later).size(), 0u);
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");
  auto nothing = controller_->DecideChange(kKey, "carol", /*reject=*/false);
  EXPECT_EQ(nothing.status().kind(), base::ErrorKind::kConflict);
  EXPECT_NE(nothing.status().message().find("rejected by carol"), std::string::npos)
      << nothing.status().message();

  // A configuration without the repository prunes nothing of it: the delete is forgotten.
  config::Config without = config_;
  without.repositories.clear();
  controller_->Reload(without);
  EXPECT_FALSE(controller_->status().ProjectJson(kKey).has_value());
  EXPECT_EQ(controller_->DecideChange(kKey, "carol", false).status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(DeleteApproval, AProjectBackInGitClearsItsDeleteAndALaterRemovalAsksAgain) {
  const std::string removed = RemoveWeb();
  const ProjectStatus waiting = DeleteWaits(removed);

  repo_.Write("web/compose.yaml", App(1));
  repo_.Commit("web is back");
  controller_->Trigger("shop");
  ASSERT_TRUE(WaitUntil([&] {
    const ProjectStatus s = Status();
    return s.condition == Condition::kReady && s.pending_change_set.empty() && controller_->Idle();
  })) << controller_->status().ToJson().dump(2);
  auto superseded = Events(EventKind::kSuperseded);
  ASSERT_EQ(superseded.size(), 1u);
  EXPECT_EQ(superseded[0].change_set, waiting.pending_change_set);
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");
  // The project is back: nothing of it waits.
  auto decided = controller_->DecideChange(kKey, "alice", /*reject=*/false);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_FALSE(decided->waiting);

  const std::string again = RemoveWeb();
  EXPECT_EQ(DeleteWaits(again).pending_change_set, "ecsync-" + again.substr(0, 12) + "-delete");
  EXPECT_EQ(Events(EventKind::kApprovalPending, again).size(), 1u);
}

}  // namespace
}  // namespace ecsync::controller
