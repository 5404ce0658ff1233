// The fenced writer: writes pass while the fence holds, carrying the epoch in their tokens,
// and none reaches CloudFormation once it has expired on the steady clock or the shard has
// changed hands; a renewal during the run keeps it writing; reads always pass.

#include "reconcile/fenced_cloudformation.h"

#include <gtest/gtest.h>

#include <optional>

#include "aws/stack_files.h"
#include "tests/reconcile/token_recording_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::seconds;

constexpr char kTemplate[] = R"({"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}})";

class FencedCloudFormationTest : public ::testing::Test {
 protected:
  FencedCloudFormationTest()
      : files_(work_.path() + "/stacks", clock_),
        recording_(files_),
        fence_(base::Fence{7, clock_.SteadyNow() + seconds(10)}),
        fenced_(
            recording_, 7, [this] { return fence_; }, clock_) {}

  static aws::CreateStackRequest Request(const std::string& name) {
    aws::CreateStackRequest request;
    request.name = name;
    request.template_body = kTemplate;
    request.client_request_token = "ecsync-" + name + "-create";
    return request;
  }

  testing::TempDir work_;
  base::FakeClock clock_;
  aws::StackFiles files_;
  fakes::TokenRecordingCloudFormation recording_;
  std::optional<base::Fence> fence_;  // what the coordinator answers now
  FencedCloudFormation fenced_;
};

TEST_F(FencedCloudFormationTest, WritesWithinTheFenceCarryTheEpoch) {
  ASSERT_TRUE(fenced_.CreateStack(Request("one")).ok());
  ASSERT_TRUE(fenced_.DeleteStack("one", "ecsync-one-delete").ok());
  EXPECT_EQ(recording_.tokens(),
            (std::vector<std::string>{"ecsync-one-create-e7", "ecsync-one-delete-e7"}));
  // No token stays no token.
  ASSERT_TRUE(fenced_.DeleteStack("one", "").ok());
  EXPECT_EQ(recording_.tokens().back(), "");
}

TEST_F(FencedCloudFormationTest, NothingIsWrittenOnceTheFenceHasExpired) {
  ASSERT_TRUE(fenced_.CreateStack(Request("kept")).ok());
  recording_.ResetCounts();
  clock_.Advance(seconds(10));  // valid_until is exclusive
  auto created = fenced_.CreateStack(Request("late"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(created.status().message().find("epoch 7"), std::string::npos);
  EXPECT_EQ(fenced_.DeleteStack("kept", "t").kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(fenced_.ExecuteChangeSet("cs", "kept", "t").kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(fenced_.CancelUpdateStack("kept", "t").kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(fenced_.ContinueUpdateRollback("kept", {}, "t").kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(fenced_.DeleteChangeSet("cs", "kept").kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(fenced_.UpdateTerminationProtection("kept", true).kind(), base::ErrorKind::kTransient);
  aws::CreateChangeSetRequest change_set;
  change_set.change_set_name = "cs";
  change_set.stack_name = "kept";
  EXPECT_EQ(fenced_.CreateChangeSet(change_set).status().kind(), base::ErrorKind::kTransient);
  aws::UpdateStackRequest update;
  update.name = "kept";
  EXPECT_EQ(fenced_.UpdateStack(update).kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(recording_.calls(), 0);  // nothing reached CloudFormation
  // Reads still pass: a replica that lost its lease keeps reporting.
  EXPECT_TRUE(fenced_.DescribeStack("kept").ok());
  EXPECT_FALSE(files_.DescribeStack("late").ok());
}

TEST_F(FencedCloudFormationTest, ARenewalKeepsALongRunWritingAndANewEpochStopsIt) {
  clock_.Advance(seconds(9));
  fence_->valid_until = clock_.SteadyNow() + seconds(10);  // renewed meanwhile
  clock_.Advance(seconds(5));                              // past the fence the run started with
  EXPECT_TRUE(fenced_.CreateStack(Request("renewed")).ok());
  // Lost and taken again (by this replica or another): the run's epoch is over.
  fence_ = base::Fence{8, clock_.SteadyNow() + seconds(10)};
  EXPECT_EQ(fenced_.CreateStack(Request("other")).status().kind(), base::ErrorKind::kTransient);
  fence_.reset();  // not held at all
  EXPECT_EQ(fenced_.DeleteStack("renewed", "t").kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(recording_.tokens(), std::vector<std::string>{"ecsync-renewed-create-e7"});
}

// Each write holds its fence for as long as its call runs (the coordinator hands a shard
// back only once no write holds it) and lets go when the call returns.
class HoldWatchingCloudFormation : public fakes::ForwardingCloudFormation {
 public:
  HoldWatchingCloudFormation(aws::CloudFormation& inner, const int& holds)
      : ForwardingCloudFormation(inner), holds_(holds) {}
  base::Result<std::string> CreateStack(const aws::CreateStackRequest& request) override {
    seen.push_back(holds_);
    return ForwardingCloudFormation::CreateStack(request);
  }
  base::Status DeleteStack(const std::string& name, const std::string& token) override {
    seen.push_back(holds_);
    return ForwardingCloudFormation::DeleteStack(name, token);
  }
  std::vector<int> seen;  // the holds alive during each call

 private:
  const int& holds_;
};

TEST_F(FencedCloudFormationTest, EachWriteHoldsItsFenceWhileItsCallRuns) {
  int holds = 0;
  HoldWatchingCloudFormation watching(files_, holds);
  FencedCloudFormation fenced(
      watching, 7,
      [&]() -> std::optional<base::Fence> {
        base::Fence fence{7, clock_.SteadyNow() + seconds(10)};
        ++holds;
        fence.hold = std::shared_ptr<const void>(nullptr, [&holds](const void*) { --holds; });
        return fence;
      },
      clock_);
  ASSERT_TRUE(fenced.CreateStack(Request("held")).ok());
  EXPECT_EQ(holds, 0);
  ASSERT_TRUE(fenced.DeleteStack("held", "t").ok());
  EXPECT_EQ(holds, 0);
  EXPECT_EQ(watching.seen, (std::vector<int>{1, 1}));
}

}  // namespace
}  // namespace ecsync::reconcile
