// Manual approval end to end (approval: manual, docs/manual-approval.md): the controller over
// a real git repository and moto_server. A create waits as a plan and an update as a change
// set left on the stack; approving applies it with the approval in the run history and the
// stack's tags, rejecting deletes the change set, and a newer commit supersedes what waits.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "notify/publisher.h"
#include "reconcile/approval_gate.h"
#include "reconcile/stack_tags.h"
#include "tests/controller/moto_fixture.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using ::ecsync::testing::WaitUntil;
using nlohmann::json;

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

// Keeps every event the controller publishes.
class RecordingPublisher : public notify::EventPublisher {
 public:
  void Publish(const notify::Event& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
  }
  // The events of `kind` so far.
  std::vector<notify::Event> Of(notify::EventKind kind) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<notify::Event> out;
    for (const notify::Event& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<notify::Event> events_;
};

// moto keeps a change set's tags but shows them nowhere (DescribeChangeSet has no Tags, and
// executing one leaves the stack's tags alone), so the tags ecsync asks for are read here.
class TagRecordingCloudFormation : public reconcile::fakes::ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;
  base::Result<std::string> CreateChangeSet(const aws::CreateChangeSetRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tags_[request.change_set_name] = request.tags;
    }
    return ForwardingCloudFormation::CreateChangeSet(request);
  }
  // The tags change set `name` was created with (empty when it was not).
  std::map<std::string, std::string> TagsOf(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tags_.find(name);
    return it == tags_.end() ? std::map<std::string, std::string>() : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> tags_;
};

class ManualApproval : public testing::MotoControllerTest {
 protected:
  ManualApproval() : git_(work_.path() + "/cache") {
    repo_.Write("web/compose.yaml", App(1));
    first_ = repo_.Commit("web");
  }

  void SetUp() override {
    ControllerDeps deps;
    ASSERT_NO_FATAL_FAILURE(MotoDeps(git_, &events_, &deps));
    cloudformation_ = std::make_unique<TagRecordingCloudFormation>(*deps.targets.cloudformation);
    deps.targets.cloudformation = cloudformation_.get();

    config::RepositoryConfig repo = ShopRepository(repo_.url());
    config::ProjectConfig project;
    project.name = "web";
    project.files = {"web/compose.yaml"};
    project.manual_approval = true;
    repo.projects.push_back(project);
    config::Config config;
    config.concurrency = 1;
    config.repositories.push_back(std::move(repo));
    controller_ = std::make_unique<Controller>(config, std::move(deps));
    controller_->Start();
  }

  void TearDown() override {
    if (controller_) controller_->Stop();
  }

  ProjectStatus Status() const {
    ProjectStatus status;
    controller_->status().FindProject(kKey, &status);  // empty until the first check
    return status;
  }

  // Waits until the project awaits approval of a change of `revision`; returns its status.
  ProjectStatus AwaitingApproval(const std::string& revision) {
    EXPECT_TRUE(WaitUntil([&] {
      ProjectStatus s = Status();
      return s.condition == Condition::kAwaitingApproval && s.pending_revision == revision &&
             controller_->Idle();
    })) << controller_->status().ToJson().dump(2);
    return Status();
  }

  // Commits `replicas` and checks the repository.
  std::string CommitAndCheck(int replicas) {
    repo_.Write("web/compose.yaml", App(replicas));
    std::string commit = repo_.Commit("scale to " + std::to_string(replicas));
    controller_->Trigger("shop");
    return commit;
  }

  // The change set as `aws cloudformation describe-change-set` shows it; null when absent.
  static json ChangeSet(const std::string& name) {
    const std::string out = moto_->Aws({"cloudformation", "describe-change-set", "--stack-name",
                                        kStack, "--change-set-name", name});
    return out.empty() ? json() : json::parse(out, nullptr, false);
  }

  // Creates the stack at the first commit, approved by "alice".
  void CreateApproved() {
    const ProjectStatus waiting = AwaitingApproval(first_);
    ASSERT_EQ(waiting.pending_action, "create");
    auto decided = controller_->DecideChange(kKey, "alice", /*reject=*/false);
    ASSERT_TRUE(decided.ok() && decided->waiting);
    ASSERT_TRUE(WaitUntil([&] {
      return Status().condition == Condition::kReady && moto_->StackStatus(kStack) != "";
    })) << controller_->status().ToJson().dump(2);
  }

  static constexpr char kKey[] = "shop/web";
  static constexpr char kStack[] = "shop-web";
  ::ecsync::testing::TempDir work_;
  ::ecsync::testing::GitRepo repo_;
  git::LibGit2Source git_;
  RecordingPublisher events_;
  std::unique_ptr<TagRecordingCloudFormation> cloudformation_;
  std::string first_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ManualApproval, ACreateWaitsAsAPlanAndApprovalCreatesTheStackWithTheApprovalTags) {
  const ProjectStatus waiting = AwaitingApproval(first_);
  EXPECT_EQ(waiting.pending_action, "create");
  EXPECT_EQ(waiting.pending_change_set.rfind("ecsync-" + first_.substr(0, 12) + "-create-", 0), 0u);
  EXPECT_FALSE(waiting.pending_changes.empty());
  EXPECT_FALSE(waiting.pending_template_diff.empty());
  EXPECT_EQ(moto_->StackStatus(kStack), "");  // nothing created while it waits
  json doc = *controller_->status().ProjectJson(kKey);
  EXPECT_EQ(doc["condition"]["type"], "AwaitingApproval");
  EXPECT_EQ(doc["pendingApproval"]["action"], "create");
  ASSERT_EQ(events_.Of(notify::EventKind::kApprovalPending).size(), 1u);

  auto decided = controller_->DecideChange(kKey, "alice", /*reject=*/false);
  ASSERT_TRUE(decided.ok());
  EXPECT_TRUE(decided->waiting);
  EXPECT_EQ(decided->change_set, waiting.pending_change_set);
  ASSERT_TRUE(WaitUntil([&] { return Status().condition == Condition::kReady; }))
      << controller_->status().ToJson().dump(2);
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");
  EXPECT_EQ(moto_->StackTag(kStack, reconcile::kTagApprovedBy), "alice");
  EXPECT_EQ(moto_->StackTag(kStack, reconcile::kTagApprovedChangeSet), waiting.pending_change_set);
  EXPECT_NE(moto_->StackTag(kStack, reconcile::kTagApprovedAt), "");
  const ProjectStatus done = Status();
  ASSERT_FALSE(done.runs.empty());
  EXPECT_EQ(done.runs.front().action, "create");
  EXPECT_EQ(done.runs.front().result, "success");
  EXPECT_EQ(done.runs.front().approved_by, "alice");
  EXPECT_EQ(done.runs.front().change_set, waiting.pending_change_set);
  EXPECT_TRUE(done.pending_change_set.empty());
  ASSERT_EQ(events_.Of(notify::EventKind::kApproved).size(), 1u);
  EXPECT_EQ(events_.Of(notify::EventKind::kApproved)[0].actor, "alice");
  // Nothing waits any more: the caller falls back to ECS deployments.
  auto again = controller_->DecideChange(kKey, "alice", /*reject=*/false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->waiting);
  EXPECT_EQ(controller_->DecideChange("shop/nope", "alice", false).status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(ManualApproval, AnUpdateWaitsAsAChangeSetAndApprovalExecutesIt) {
  CreateApproved();
  const std::string second = CommitAndCheck(2);
  const ProjectStatus waiting = AwaitingApproval(second);
  EXPECT_EQ(waiting.pending_action, "update");
  EXPECT_EQ(moto_->StackTag(kStack, reconcile::kTagRevision), first_);
  json reviewed = ChangeSet(waiting.pending_change_set);
  ASSERT_TRUE(reviewed.is_object()) << waiting.pending_change_set;
  EXPECT_EQ(reviewed["ExecutionStatus"], "AVAILABLE");

  auto decided = controller_->DecideChange(kKey, "bob", /*reject=*/false);
  ASSERT_TRUE(decided.ok() && decided->waiting);
  ASSERT_TRUE(WaitUntil([&] { return Status().condition == Condition::kReady; }))
      << controller_->status().ToJson().dump(2);
  const ProjectStatus done = Status();
  EXPECT_EQ(done.runs.front().action, "update");
  EXPECT_EQ(done.runs.front().result, "success");
  EXPECT_EQ(done.runs.front().approved_by, "bob");
  EXPECT_EQ(done.runs.front().change_set, waiting.pending_change_set);
  EXPECT_EQ(done.last_applied_revision, second);
  // The approved copy was executed, carrying the approval tags the stack takes.
  const std::string copy = reconcile::ApprovedChangeSetName(waiting.pending_change_set);
  json executed = ChangeSet(copy);
  ASSERT_TRUE(executed.is_object());
  EXPECT_EQ(executed["ExecutionStatus"], "EXECUTE_COMPLETE");
  std::map<std::string, std::string> tags = cloudformation_->TagsOf(copy);
  EXPECT_EQ(tags[reconcile::kTagApprovedBy], "bob");
  EXPECT_EQ(tags[reconcile::kTagApprovedChangeSet], waiting.pending_change_set);
  EXPECT_EQ(tags[reconcile::kTagRevision], second);
  EXPECT_EQ(cloudformation_->TagsOf(waiting.pending_change_set).count(reconcile::kTagApprovedBy),
            0u);
  EXPECT_TRUE(ChangeSet(waiting.pending_change_set).is_null());  // replaced by its copy
}

TEST_F(ManualApproval, ARejectionDeletesTheChangeSetAndANewCommitSupersedesWhatWaits) {
  CreateApproved();
  const std::string second = CommitAndCheck(2);
  const ProjectStatus first_wait = AwaitingApproval(second);
  ASSERT_TRUE(ChangeSet(first_wait.pending_change_set).is_object());

  // A newer commit: the waiting change set is deleted and the new one waits.
  const std::string third = CommitAndCheck(3);
  const ProjectStatus second_wait = AwaitingApproval(third);
  EXPECT_NE(second_wait.pending_change_set, first_wait.pending_change_set);
  EXPECT_TRUE(ChangeSet(first_wait.pending_change_set).is_null());
  EXPECT_TRUE(ChangeSet(second_wait.pending_change_set).is_object());
  auto superseded = events_.Of(notify::EventKind::kSuperseded);
  ASSERT_EQ(superseded.size(), 1u);
  EXPECT_EQ(superseded[0].change_set, first_wait.pending_change_set);
  EXPECT_EQ(superseded[0].revision, second);

  // Rejected: its change set goes, the stack stays at the first commit, the project waits
  // for a new commit.
  auto decided = controller_->DecideChange(kKey, "carol", /*reject=*/true);
  ASSERT_TRUE(decided.ok() && decided->waiting);
  EXPECT_EQ(decided->change_set, second_wait.pending_change_set);
  EXPECT_TRUE(ChangeSet(second_wait.pending_change_set).is_null());
  EXPECT_TRUE(testing::RejectedBy(Status(), "carol", second_wait.pending_change_set));
  ASSERT_EQ(events_.Of(notify::EventKind::kRejected).size(), 1u);
  EXPECT_EQ(events_.Of(notify::EventKind::kRejected)[0].actor, "carol");
  EXPECT_EQ(moto_->StackTag(kStack, reconcile::kTagRevision), first_);
  // Checking again proposes nothing for the rejected revision.
  controller_->Trigger("shop");
  ASSERT_TRUE(WaitUntil([&] { return controller_->Idle(); }));
  EXPECT_EQ(Status().condition, Condition::kStalled);
  auto nothing = controller_->DecideChange(kKey, "carol", /*reject=*/true);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->waiting);

  // Acknowledging proposes it again.
  ASSERT_TRUE(controller_->Acknowledge(kKey).ok());
  EXPECT_EQ(AwaitingApproval(third).pending_action, "update");
}

}  // namespace
}  // namespace ecsync::controller
