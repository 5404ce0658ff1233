// The waiter against a scripted CloudFormation: moto completes every operation at once and
// cannot fail a resource on demand, so failures and slow stacks are injected here.

#include "reconcile/stack_waiter.h"

#include <gtest/gtest.h>

#include <deque>

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
  base::Result<std::vector<aws::Stack>> DescribeStacks() override { return std::vector<aws::Stack>{}; }
  base::Result<std::string> CreateStack(const aws::CreateStackRequest&) override { return std::string("id"); }
  base::Status UpdateStack(const aws::UpdateStackRequest&) override { return base::Status::Ok(); }
  base::Status DeleteStack(const std::string&, const std::string&) override { return base::Status::Ok(); }
  base::Result<std::vector<aws::StackEvent>> DescribeStackEvents(const std::string&) override {
    return events;
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
  cfn.script = {{"UPDATE_IN_PROGRESS", {Event("e1", "shop", "UPDATE_IN_PROGRESS")}},
                {"UPDATE_IN_PROGRESS", {Event("e2", "WebService", "UPDATE_IN_PROGRESS")}},
                {"UPDATE_COMPLETE",
                 {Event("e3", "WebService", "UPDATE_COMPLETE"), Event("e4", "shop", "UPDATE_COMPLETE")}}};
  base::FakeClock clock;
  std::vector<std::string> lines;
  StackWaiter waiter(cfn, clock, [&](const std::string& l) { lines.push_back(l); },
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
  cfn.script = {
      {"CREATE_IN_PROGRESS", {Event("e1", "Cluster", "CREATE_COMPLETE")}},
      {"",  // OnFailure=DELETE: the stack is gone by name
       {Event("e2", "WebService", "CREATE_FAILED", "Image nginx:nope not found"),
        Event("e3", "WorkerService", "CREATE_FAILED", "Resource creation cancelled"),
        Event("e4", "shop", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [WebService]")}}};
  base::FakeClock clock;
  std::vector<std::string> lines;
  StackWaiter waiter(cfn, clock, [&](const std::string& l) { lines.push_back(l); },
                     {milliseconds(1000), milliseconds(60000)});
  auto result = waiter.Wait("shop");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->final_status, "DELETE_COMPLETE");
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_EQ(result->failures[0].logical_id, "WebService");
  EXPECT_EQ(result->failures[0].reason, "Image nginx:nope not found");
  EXPECT_EQ(lines.size(), 4u);
}

TEST(StackWaiter, TimesOutAsTransientWithoutStartingAnything) {
  ScriptedCloudFormation cfn;
  cfn.script = {{"UPDATE_IN_PROGRESS", {}}};
  base::FakeClock clock;
  StackWaiter waiter(cfn, clock, nullptr, {milliseconds(5000), milliseconds(30000)});
  auto result = waiter.Wait("shop");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(result.status().message().find("UPDATE_IN_PROGRESS"), std::string::npos);
  EXPECT_EQ(cfn.describe_calls, 7);  // t = 0, 5, ..., 30 s
}

}  // namespace
}  // namespace ecsync::reconcile
