// The reconciler against failures CloudFormation produces and moto cannot: rolled-back and
// stuck updates, deploys past their deadline, throttling while waiting, a stack left in
// progress by a killed run. The stacks live in the stack-files target (aws::StackFiles); a
// wrapper behind the same interface overrides the statuses and events the test scripts.
// Git is real: a repository made with the git CLI, read through libgit2.

#include "reconcile/reconciler.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>

#include "aws/stack_files.h"
#include "git/libgit2_source.h"
#include "reconcile/stack_tags.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kApp[] = "name: shop\nservices:\n  web:\n    image: nginx:1.27\n";
constexpr char kAppTwoReplicas[] =
    "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    deploy:\n      replicas: 2\n";

aws::StackEvent Event(const std::string& id, const std::string& logical, const std::string& type,
                      const std::string& status, const std::string& reason = "") {
  aws::StackEvent e;
  e.event_id = id;
  e.logical_id = logical;
  e.resource_type = type;
  e.status = status;
  e.reason = reason;
  return e;
}

// Delegates to StackFiles unless a script says otherwise.
class FaultyCloudFormation : public aws::CloudFormation {
 public:
  explicit FaultyCloudFormation(aws::CloudFormation& real) : real_(real) {}

  // While non-empty, DescribeStack reports these statuses (the last one repeats) on top of
  // the real stack; `extra_events` are listed before the real ones.
  std::deque<std::string> statuses;
  std::vector<aws::StackEvent> extra_events;
  bool gone = false;           // DescribeStack answers "does not exist"
  int throttle_describes = 0;  // this many DescribeStack calls fail with Throttling first
  // When non-empty, ExecuteChangeSet starts nothing: these statuses and events take over.
  std::deque<std::string> after_execute;
  std::vector<aws::StackEvent> events_after_execute;
  bool hold_create = false;  // CreateStack creates the real stack but the script plays it
  // What the script does when the reconciler asks CloudFormation to recover.
  std::deque<std::string> after_cancel, after_continue;
  bool delete_removes = false;  // DeleteStack makes the scripted stack gone
  int creates = 0, change_sets = 0, executes = 0, cancels = 0, continues = 0, deletes = 0;

  base::Result<aws::Stack> DescribeStack(const std::string& name) override {
    if (throttle_describes > 0) {
      --throttle_describes;
      return base::ThrottledError("Throttling: Rate exceeded");
    }
    if (gone) return base::NotFoundError("Stack with id " + name + " does not exist");
    auto stack = real_.DescribeStack(name);
    if (!stack.ok() || statuses.empty()) return stack;
    stack->status = statuses.front();
    if (statuses.size() > 1) statuses.pop_front();
    return stack;
  }
  base::Result<std::vector<aws::Stack>> DescribeStacks() override { return real_.DescribeStacks(); }
  base::Result<std::string> CreateStack(const aws::CreateStackRequest& request) override {
    ++creates;
    return real_.CreateStack(request);
  }
  base::Status UpdateStack(const aws::UpdateStackRequest& request) override {
    return real_.UpdateStack(request);
  }
  base::Status DeleteStack(const std::string& name, const std::string& token) override {
    ++deletes;
    if (delete_removes) {
      statuses.clear();
      gone = true;
    }
    return real_.DeleteStack(name, token);
  }
  base::Result<std::vector<aws::StackEvent>> DescribeStackEvents(const std::string& name) override {
    auto events = real_.DescribeStackEvents(name);
    std::vector<aws::StackEvent> all(extra_events.rbegin(), extra_events.rend());
    if (events.ok()) all.insert(all.end(), events->begin(), events->end());
    return all;
  }
  base::Result<std::string> CreateChangeSet(const aws::CreateChangeSetRequest& request) override {
    ++change_sets;
    return real_.CreateChangeSet(request);
  }
  base::Result<aws::ChangeSet> DescribeChangeSet(const std::string& cs,
                                                 const std::string& stack) override {
    return real_.DescribeChangeSet(cs, stack);
  }
  base::Status ExecuteChangeSet(const std::string& cs, const std::string& stack,
                                const std::string& token) override {
    ++executes;
    if (!after_execute.empty()) {
      statuses = after_execute;
      extra_events = events_after_execute;
      return base::Status::Ok();
    }
    return real_.ExecuteChangeSet(cs, stack, token);
  }
  base::Status DeleteChangeSet(const std::string& cs, const std::string& stack) override {
    return real_.DeleteChangeSet(cs, stack);
  }
  base::Status ContinueUpdateRollback(const std::string&, const std::vector<std::string>&,
                                      const std::string&) override {
    ++continues;
    statuses = after_continue;
    return base::Status::Ok();
  }
  base::Status CancelUpdateStack(const std::string&, const std::string&) override {
    ++cancels;
    statuses = after_cancel;
    return base::Status::Ok();
  }
  base::Result<std::vector<aws::StackResource>> DescribeStackResources(
      const std::string& n) override {
    return real_.DescribeStackResources(n);
  }
  base::Result<std::string> GetTemplate(const std::string& n) override {
    return real_.GetTemplate(n);
  }
  base::Result<aws::TemplateValidation> ValidateTemplate(const std::string& b) override {
    return real_.ValidateTemplate(b);
  }
  base::Result<std::string> DetectStackDrift(const std::string& n) override {
    return real_.DetectStackDrift(n);
  }
  base::Result<aws::DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& id) override {
    return real_.DescribeStackDriftDetectionStatus(id);
  }
  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& n) override {
    return real_.DescribeStackResourceDrifts(n);
  }
  base::Status UpdateTerminationProtection(const std::string& n, bool e) override {
    return real_.UpdateTerminationProtection(n, e);
  }

 private:
  aws::CloudFormation& real_;
};

// ECS whose every service keeps losing its new tasks to a bad image.
class CrashingEcs : public aws::Ecs {
 public:
  int lookups = 0;
  base::Result<std::vector<aws::EcsCluster>> DescribeClusters(
      const std::vector<std::string>&) override {
    return std::vector<aws::EcsCluster>{};
  }
  base::Result<aws::EcsServices> DescribeServices(const std::string&,
                                                  const std::vector<std::string>& names) override {
    ++lookups;
    aws::EcsServices out;
    aws::EcsService svc;
    svc.name = names.front();
    svc.task_definition = "td:2";
    aws::EcsDeployment primary;
    primary.status = "PRIMARY";
    primary.task_definition = "td:2";
    svc.deployments = {primary};
    out.services = {svc};
    return out;
  }
  base::Result<std::vector<std::string>> ListTasks(const std::string&, const std::string&,
                                                   const std::string& desired) override {
    if (desired != "STOPPED") return std::vector<std::string>{};
    return std::vector<std::string>{"t-old", "t1", "t2", "t3"};
  }
  base::Result<std::vector<aws::EcsTask>> DescribeTasks(
      const std::string&, const std::vector<std::string>& arns) override {
    std::vector<aws::EcsTask> tasks;
    for (const auto& arn : arns) {
      aws::EcsTask task;
      task.arn = arn;
      task.task_definition_arn = arn == "t-old" ? "td:1" : "td:2";
      task.last_status = "STOPPED";
      task.stop_code = "TaskFailedToStart";
      task.stopped_reason = "Task failed to start";
      aws::EcsContainer c;
      c.name = "web";
      c.reason = "CannotPullContainerError: pull access denied for nginx:nope";
      task.containers = {c};
      tasks.push_back(task);
    }
    return tasks;
  }
};

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest()
      : stacks_(files_.path() + "/stacks", clock_), cfn_(stacks_), git_(cache_.path()) {}

  base::Result<ReconcileReport> Run() {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
    options.wait = {milliseconds(5000), milliseconds(60000)};
    Reconciler reconciler(git_, {.cloudformation = &cfn_, .ecs = ecs_}, clock_,
                          [this](const ProgressEvent& e) { lines_.push_back(FormatText(e)); });
    return reconciler.Reconcile(options);
  }

  aws::Ecs* ecs_ = nullptr;

  // Deploys kApp for real, then commits kAppTwoReplicas for the update under test.
  void DeployThenChange() {
    repo_.Write("compose.yaml", kApp);
    first_ = repo_.Commit("shop");
    auto created = Run();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(created->succeeded) << created->message;
    repo_.Write("compose.yaml", kAppTwoReplicas);
    repo_.Commit("two replicas");
  }

  base::FakeClock clock_;
  testing::TempDir files_, cache_;
  testing::GitRepo repo_;
  aws::StackFiles stacks_;
  FaultyCloudFormation cfn_;
  git::LibGit2Source git_;
  std::vector<std::string> lines_;
  std::string first_;
};

TEST_F(ReconcilerTest, UpdateRolledBackReportsTheFirstFailingResource) {
  DeployThenChange();
  cfn_.after_execute = {"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                        "UPDATE_ROLLBACK_COMPLETE"};
  cfn_.events_after_execute = {
      Event("f1", "WebService", "AWS::ECS::Service", "UPDATE_FAILED",
            "Resource handler returned message: \"Service did not stabilize\""),
      Event("f2", "shop", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to update: [WebService]")};
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->succeeded);
  EXPECT_EQ(report->action, Action::kUpdate);
  EXPECT_EQ(report->final_status, "UPDATE_ROLLBACK_COMPLETE");
  ASSERT_FALSE(report->failures.empty());
  EXPECT_EQ(report->failures[0].logical_id, "WebService");
  EXPECT_NE(report->message.find("Service did not stabilize"), std::string::npos)
      << report->message;
  EXPECT_EQ(cfn_.continues, 0);
}

TEST_F(ReconcilerTest, FailedRollbackIsContinued) {
  DeployThenChange();
  cfn_.after_execute = {"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED"};
  cfn_.after_continue = {"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"};
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(cfn_.continues, 1);
  EXPECT_FALSE(report->succeeded);
  EXPECT_EQ(report->final_status, "UPDATE_ROLLBACK_COMPLETE");
}

TEST_F(ReconcilerTest, UpdatePastItsDeadlineIsCancelled) {
  DeployThenChange();
  cfn_.after_execute = {"UPDATE_IN_PROGRESS"};
  cfn_.after_cancel = {"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"};
  auto start = clock_.SteadyNow();
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(cfn_.cancels, 1);
  EXPECT_FALSE(report->succeeded);
  EXPECT_EQ(report->final_status, "UPDATE_ROLLBACK_COMPLETE");
  EXPECT_NE(report->message.find("took longer than 60s"), std::string::npos) << report->message;
  EXPECT_GE(clock_.SteadyNow() - start, milliseconds(60000));
}

TEST_F(ReconcilerTest, CreatePastItsDeadlineIsDeleted) {
  repo_.Write("compose.yaml", kApp);
  repo_.Commit("shop");
  cfn_.statuses = {"CREATE_IN_PROGRESS"};
  cfn_.delete_removes = true;
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->succeeded);
  EXPECT_EQ(cfn_.deletes, 1);
  EXPECT_FALSE(stacks_.DescribeStack("shop").ok());  // nothing half-made is left
}

TEST_F(ReconcilerTest, FailedCreateIsReportedWithItsCause) {
  repo_.Write("compose.yaml", kApp);
  repo_.Commit("shop");
  cfn_.statuses = {"CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "DELETE_COMPLETE"};
  cfn_.extra_events = {Event(
      "f1", "WebTaskDefinition", "AWS::ECS::TaskDefinition", "CREATE_FAILED",
      "Invalid request provided: Fargate requires task definition to have execution role ARN")};
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->succeeded);
  EXPECT_EQ(report->action, Action::kCreate);
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_EQ(report->failures[0].logical_id, "WebTaskDefinition");
  EXPECT_NE(report->message.find("the failed stack was removed"), std::string::npos);
}

TEST_F(ReconcilerTest, ThrottlingWhileWaitingIsWaitedThrough) {
  DeployThenChange();
  ReconcileOptions options;
  options.repo_url = repo_.url();
  options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
  options.wait = {milliseconds(5000), milliseconds(60000)};
  // The change list is reported just before executing: from then on, throttle two polls.
  Reconciler reconciler(git_, {.cloudformation = &cfn_}, clock_, [this](const ProgressEvent& e) {
    if (e.kind == ProgressEvent::Kind::kChange) cfn_.throttle_describes = 2;
  });
  auto report = reconciler.Reconcile(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(report->final_status, "UPDATE_COMPLETE");
  EXPECT_EQ(cfn_.throttle_describes, 0);  // both throttled polls happened and were waited through
}

TEST_F(ReconcilerTest, AStackLeftInProgressIsWaitedOnNotStartedAgain) {
  repo_.Write("compose.yaml", kApp);
  std::string revision = repo_.Commit("shop");
  ASSERT_TRUE(Run().ok());
  int creates = cfn_.creates;
  // A killed run left an update going; the template it deploys is this revision's.
  cfn_.statuses = {"UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"};
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(cfn_.creates, creates);
  EXPECT_EQ(cfn_.change_sets, 0);
  EXPECT_EQ(report->action, Action::kNone);
  bool said_waiting = false;
  for (const auto& line : lines_)
    said_waiting |= line.find("waiting for it to finish") != std::string::npos;
  EXPECT_TRUE(said_waiting);
}

TEST_F(ReconcilerTest, UpdatesGoThroughAChangeSetAndRecordTheRevision) {
  DeployThenChange();
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(cfn_.change_sets, 1);
  EXPECT_EQ(cfn_.executes, 1);
  auto stack = stacks_.DescribeStack("shop");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(stack->status, "UPDATE_COMPLETE");
  EXPECT_EQ(stack->tags[kTagRevision], repo_.Head());
  bool listed_change = false;
  for (const auto& line : lines_)
    listed_change |= line.find("~ WebService (AWS::ECS::Service)") != std::string::npos;
  EXPECT_TRUE(listed_change);
}

TEST_F(ReconcilerTest, UpdateWhoseTasksKeepCrashingIsCancelledEarly) {
  DeployThenChange();
  CrashingEcs ecs;
  ecs_ = &ecs;
  cfn_.after_execute = {"UPDATE_IN_PROGRESS"};
  cfn_.after_cancel = {"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"};
  auto start = clock_.SteadyNow();
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(cfn_.cancels, 1);
  EXPECT_FALSE(report->succeeded);
  EXPECT_NE(report->message.find("CannotPullContainerError"), std::string::npos) << report->message;
  EXPECT_NE(report->message.find("3 tasks of the new revision stopped"), std::string::npos)
      << report->message;
  EXPECT_LT(clock_.SteadyNow() - start, milliseconds(60000));  // well before the deadline
}

TEST_F(ReconcilerTest, CreateWhoseTasksKeepCrashingIsDeletedEarly) {
  repo_.Write("compose.yaml", kApp);
  repo_.Commit("shop");
  CrashingEcs ecs;
  ecs_ = &ecs;
  cfn_.statuses = {"CREATE_IN_PROGRESS"};
  cfn_.delete_removes = true;
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->succeeded);
  EXPECT_EQ(cfn_.deletes, 1);
  EXPECT_NE(report->message.find("CannotPullContainerError"), std::string::npos) << report->message;
  EXPECT_FALSE(stacks_.DescribeStack("shop").ok());
}

TEST_F(ReconcilerTest, SecretValuesArePassedAsParametersAndAChangedSecretIsAnUpdate) {
  constexpr char kWithSecret[] =
      "name: shop\nservices:\n  web:\n    image: nginx:1.27\n    secrets: [db_password]\n"
      "secrets:\n  db_password:\n    file: ./db_password.txt\n";
  repo_.Write("compose.yaml", kWithSecret);
  repo_.Write("db_password.txt", "correct-horse-battery-staple");
  repo_.Commit("shop with a secret");
  auto created = Run();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  std::string sha = stacks_.DescribeStack("shop")->tags[kTagTemplateSha];

  repo_.Write("db_password.txt", "a-new-password");
  repo_.Commit("rotate the secret");
  auto rotated = Run();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(rotated->action, Action::kUpdate) << rotated->message;
  EXPECT_TRUE(rotated->succeeded) << rotated->message;
  EXPECT_NE(stacks_.DescribeStack("shop")->tags[kTagTemplateSha], sha);

  // Neither value is in the template, the stack files or anything reported.
  for (const auto& entry : std::filesystem::directory_iterator(stacks_.dir())) {
    std::string content = testing::ReadFileOrDie(entry.path().string());
    EXPECT_EQ(content.find("correct-horse"), std::string::npos) << entry.path();
    EXPECT_EQ(content.find("a-new-password"), std::string::npos) << entry.path();
  }
  for (const auto& line : lines_) {
    EXPECT_EQ(line.find("correct-horse"), std::string::npos) << line;
    EXPECT_EQ(line.find("a-new-password"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace ecsync::reconcile
