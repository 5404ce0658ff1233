// The waiter against a scripted CloudFormation: moto completes every operation at once and
// cannot fail a resource on demand, so failures and slow stacks are injected here.

#include "reconcile/stack_waiter.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

// Each DescribeStack call pops the next scripted status (the last one repeats); events are
// appended as the script says, and listed newest first as AWS does.
class ScriptedCloudFormation : public aws::CloudFormation {
 public:
  struct Step {
    std::string status;
    std::vector<aws::StackEvent> new_events;
  };
  std::deque<Step> script;
  std::vector<aws::StackEvent> events;  // newest first
  // The events of other stacks (nested ones), by StackId, newest first.
  std::map<std::string, std::vector<aws::StackEvent>> other_events;
  int describe_calls = 0;

  base::Result<aws::Stack> DescribeStack(const std::string& name) override {
    ++describe_calls;
    Step step = script.front();
    if (script.size() > 1) script.pop_front();
    for (const auto& e : step.new_events) events.insert(events.begin(), e);
    if (step.status.empty()) return base::NotFoundError("Stack " + name + " does not exist");
    aws::Stack s;
    s.name = name;
    s.status = step.status;
    return s;
  }
  base::Result<std::vector<aws::Stack>> DescribeStacks() override {
    return std::vector<aws::Stack>{};
  }
  base::Result<std::string> CreateStack(const aws::CreateStackRequest&) override {
    return std::string("id");
  }
  base::Status UpdateStack(const aws::UpdateStackRequest&) override { return base::Status::Ok(); }
  base::Status DeleteStack(const std::string&, const std::string&) override {
    return base::Status::Ok();
  }
  base::Result<std::vector<aws::StackEvent>> DescribeStackEvents(const std::string& name) override {
    if (auto it = other_events.find(name); it != other_events.end()) return it->second;
    return events;
  }
  // Not used by the waiter.
  base::Result<std::string> CreateChangeSet(const aws::CreateChangeSetRequest&) override {
    return std::string("cs");
  }
  base::Result<aws::ChangeSet> DescribeChangeSet(const std::string&, const std::string&) override {
    return aws::ChangeSet{};
  }
  base::Status ExecuteChangeSet(const std::string&, const std::string&,
                                const std::string&) override {
    return base::Status::Ok();
  }
  base::Status DeleteChangeSet(const std::string&, const std::string&) override {
    return base::Status::Ok();
  }
  base::Status ContinueUpdateRollback(const std::string&, const std::vector<std::string>&,
                                      const std::string&) override {
    return base::Status::Ok();
  }
  base::Status CancelUpdateStack(const std::string&, const std::string&) override {
    return base::Status::Ok();
  }
  base::Result<std::vector<aws::StackResource>> DescribeStackResources(
      const std::string&) override {
    return std::vector<aws::StackResource>{};
  }
  base::Result<std::string> GetTemplate(const std::string&) override { return std::string("{}"); }
  base::Result<aws::TemplateValidation> ValidateTemplate(const std::string&) override {
    return aws::TemplateValidation{};
  }
  base::Result<std::string> DetectStackDrift(const std::string&) override {
    return std::string("drift");
  }
  base::Result<aws::DriftDetection> DescribeStackDriftDetectionStatus(const std::string&) override {
    return aws::DriftDetection{};
  }
  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string&) override {
    return std::vector<aws::ResourceDrift>{};
  }
  base::Status UpdateTerminationProtection(const std::string&, bool) override {
    return base::Status::Ok();
  }
};

aws::StackEvent Event(const std::string& id, const std::string& logical, const std::string& status,
                      const std::string& reason = "") {
  aws::StackEvent e;
  e.event_id = id;
  e.logical_id = logical;
  e.resource_type = logical == "shop" ? "AWS::CloudFormation::Stack" : "AWS::ECS::Service";
  e.status = status;
  e.reason = reason;
  return e;
}

TEST(IsTerminalStatus, CompleteAndFailedEndAnOperation) {
  EXPECT_TRUE(IsTerminalStatus("CREATE_COMPLETE"));
  EXPECT_TRUE(IsTerminalStatus("UPDATE_ROLLBACK_COMPLETE"));
  EXPECT_TRUE(IsTerminalStatus("ROLLBACK_FAILED"));
  EXPECT_FALSE(IsTerminalStatus("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
  EXPECT_FALSE(IsTerminalStatus("CREATE_IN_PROGRESS"));
  EXPECT_FALSE(IsTerminalStatus("REVIEW_IN_PROGRESS"));
}

TEST(StackWaiter, ReportsEachNewEventOnceInOrderAndPollsUntilTerminal) {
  ScriptedCloudFormation cfn;
  cfn.events = {Event("old", "shop", "CREATE_COMPLETE")};
  cfn.script = {
      {"UPDATE_IN_PROGRESS", {Event("e1", "shop", "UPDATE_IN_PROGRESS")}},
      {"UPDATE_IN_PROGRESS", {Event("e2", "WebService", "UPDATE_IN_PROGRESS")}},
      {"UPDATE_COMPLETE",
       {Event("e3", "WebService", "UPDATE_COMPLETE"), Event("e4", "shop", "UPDATE_COMPLETE")}}};
  base::FakeClock clock;
  std::vector<std::string> lines;
  StackWaiter waiter(cfn, clock, [&](const ProgressEvent& e) { lines.push_back(FormatText(e)); },
                     {milliseconds(2000), milliseconds(60000)});
  ASSERT_TRUE(waiter.Begin("shop").ok());
  auto result = waiter.Wait("shop");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->final_status, "UPDATE_COMPLETE");
  EXPECT_TRUE(result->failures.empty());
  ASSERT_EQ(lines.size(), 4u);  // the event from before Begin is not repeated
  EXPECT_NE(lines[0].find("shop"), std::string::npos);
  EXPECT_NE(lines[1].find("WebService"), std::string::npos);
  EXPECT_NE(lines[2].find("UPDATE_COMPLETE"), std::string::npos);
  EXPECT_NE(lines[1].find("2.0s"), std::string::npos) << lines[1];  // elapsed time
  EXPECT_EQ(cfn.describe_calls, 3);
}

TEST(StackWaiter, CollectsTheRootCauseNotTheCancellations) {
  ScriptedCloudFormation cfn;
  cfn.script = {{"CREATE_IN_PROGRESS", {Event("e1", "Cluster", "CREATE_COMPLETE")}},
                {"",  // OnFailure=DELETE: the stack is gone by name
                 {Event("e2", "WebService", "CREATE_FAILED", "Image nginx:nope not found"),
                  Event("e3", "WorkerService", "CREATE_FAILED", "Resource creation cancelled"),
                  Event("e4", "shop", "ROLLBACK_IN_PROGRESS",
                        "The following resource(s) failed to create: [WebService]")}}};
  base::FakeClock clock;
  std::vector<std::string> lines;
  StackWaiter waiter(cfn, clock, [&](const ProgressEvent& e) { lines.push_back(FormatText(e)); },
                     {milliseconds(1000), milliseconds(60000)});
  auto result = waiter.Wait("shop");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->final_status, "DELETE_COMPLETE");
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_EQ(result->failures[0].logical_id, "WebService");
  EXPECT_EQ(result->failures[0].reason, "Image nginx:nope not found");
  EXPECT_EQ(lines.size(), 4u);
}

TEST(StackWaiter, AFailedNestedStackReportsItsOwnFailedResources) {
  const std::string child = "arn:aws:cloudformation:us-east-1:1:stack/shop-Services1Stack-X/u";
  aws::StackEvent nested = Event("e2", "Services1Stack", "CREATE_FAILED",
                                 "Embedded stack " + child +
                                     " was not successfully created: The following resource(s) "
                                     "failed to create: [WebService].");
  nested.resource_type = "AWS::CloudFormation::Stack";
  nested.physical_id = child;
  aws::StackEvent started = Event("c1", "shop-Services1Stack-X", "CREATE_IN_PROGRESS");
  started.resource_type = "AWS::CloudFormation::Stack";
  ScriptedCloudFormation cfn;
  // Newest first: an older deployment's failure precedes this operation's start.
  cfn.other_events[child] = {
      Event("c4", "WorkerService", "CREATE_FAILED", "Resource creation cancelled"),
      Event("c3", "WebService", "CREATE_FAILED", "Image nginx:nope not found"), started,
      Event("c0", "WebService", "CREATE_FAILED", "an older failure")};
  cfn.script = {{"CREATE_IN_PROGRESS", {Event("e1", "Cluster", "CREATE_COMPLETE")}},
                {"ROLLBACK_COMPLETE", {nested}}};
  base::FakeClock clock;
  std::vector<std::string> lines;
  StackWaiter waiter(cfn, clock, [&](const ProgressEvent& e) { lines.push_back(FormatText(e)); },
                     {milliseconds(1000), milliseconds(60000)});
  auto result = waiter.Wait("shop");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->final_status, "ROLLBACK_COMPLETE");
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_EQ(result->failures[0].logical_id, "WebService");
  EXPECT_EQ(result->failures[0].reason,
            "Image nginx:nope not found (in nested stack Services1Stack)");
  ASSERT_EQ(lines.size(), 3u);  // Cluster, Services1Stack, and the nested WebService
  EXPECT_NE(lines[2].find("Services1Stack/WebService"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("nginx:nope"), std::string::npos) << lines[2];

  // Unreadable or silent nested events: the nested stack's own event is the failure.
  ScriptedCloudFormation silent;
  silent.other_events[child] = {started};
  silent.script = cfn.script;
  StackWaiter again(silent, clock, nullptr, {milliseconds(1000), milliseconds(60000)});
  result = again.Wait("shop");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_EQ(result->failures[0].logical_id, "Services1Stack");
  EXPECT_EQ(result->failures[0].resource_type, "AWS::CloudFormation::Stack");
}

TEST(StackWaiter, TimesOutWithTheLastStatusAndPollsAtTheInterval) {
  ScriptedCloudFormation cfn;
  cfn.script = {{"UPDATE_IN_PROGRESS", {}}};
  base::FakeClock clock;
  StackWaiter waiter(cfn, clock, nullptr, {milliseconds(5000), milliseconds(30000)});
  auto result = waiter.Wait("shop");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->timed_out);
  EXPECT_FALSE(result->interrupted);
  EXPECT_EQ(result->final_status, "UPDATE_IN_PROGRESS");
  EXPECT_EQ(cfn.describe_calls, 7);  // t = 0, 5, ..., 30 s
}

TEST(StackWaiter, StopsWaitingWhenInterrupted) {
  ScriptedCloudFormation cfn;
  cfn.script = {{"CREATE_IN_PROGRESS", {}}};
  base::FakeClock clock;
  std::atomic<bool> interrupted{true};
  StackWaiter waiter(cfn, clock, nullptr, {milliseconds(5000), milliseconds(30000), &interrupted});
  auto result = waiter.Wait("shop");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->interrupted);
  EXPECT_EQ(result->final_status, "CREATE_IN_PROGRESS");
  EXPECT_EQ(cfn.describe_calls, 1);
}

TEST(StackNameOf, TakesTheNameFromAStackId) {
  EXPECT_EQ(StackNameOf("arn:aws:cloudformation:us-east-1:123456789012:stack/shop/0a1b-2c"),
            "shop");
  EXPECT_EQ(StackNameOf("shop"), "shop");
}

}  // namespace
}  // namespace ecsync::reconcile
