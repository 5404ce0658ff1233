// StackSnapshot's reuse of a listing: five seconds for a quick listing, stretched by what a
// slow one cost (many stacks), within a limit; 0 always lists. A real offline target (stack
// files) behind a CloudFormation that makes its listing take fake time.

#include "reconcile/stack_snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "aws/stack_files.h"
#include "reconcile/stack_tags.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Listing the stacks takes `cost` of the fake clock's time and is counted.
class SlowListing final : public fakes::ForwardingCloudFormation {
 public:
  SlowListing(aws::CloudFormation& real, base::FakeClock& clock)
      : ForwardingCloudFormation(real), clock_(clock) {}
  std::atomic<int> listings{0};
  milliseconds cost{0};

  base::Result<std::vector<aws::Stack>> DescribeStacks() override {
    ++listings;
    clock_.Advance(cost);
    return ForwardingCloudFormation::DescribeStacks();
  }

 private:
  base::FakeClock& clock_;
};

class StackSnapshotTest : public ::testing::Test {
 protected:
  StackSnapshotTest()
      : files_(dir_.path() + "/stacks", clock_),
        listing_(files_, clock_),
        snapshot_(listing_, clock_) {
    aws::CreateStackRequest request;
    request.name = "shop-web";
    request.template_body = R"({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup"}}})";
    request.tags = {{kTagManagedBy, kManagedByValue}};
    const auto created = files_.CreateStack(request);
    EXPECT_TRUE(created.ok()) << created.status().message();
  }

  // Moves the clock by `d` and asks for a listing no older than the default reuse.
  int RefreshAfter(milliseconds d) {
    clock_.Advance(d);
    snapshot_.Refresh(kListingReuse);
    return listing_.listings.load();
  }

  testing::TempDir dir_;
  base::FakeClock clock_;
  aws::StackFiles files_;
  SlowListing listing_;
  StackSnapshot snapshot_;
};

TEST_F(StackSnapshotTest, AQuickListingIsReusedForFiveSeconds) {
  listing_.cost = milliseconds(100);
  snapshot_.Refresh(kListingReuse);
  ASSERT_EQ(listing_.listings, 1);
  ASSERT_NE(snapshot_.Get(std::nullopt), nullptr);
  EXPECT_TRUE(snapshot_.Get(std::nullopt)->contains("shop-web"));
  EXPECT_EQ(RefreshAfter(milliseconds(4800)), 1);
  EXPECT_EQ(RefreshAfter(milliseconds(200)), 2);
}

TEST_F(StackSnapshotTest, ASlowListingIsReusedForTenTimesWhatItTook) {
  listing_.cost = seconds(2);  // thousands of stacks, a hundred pages
  snapshot_.Refresh(kListingReuse);
  ASSERT_EQ(listing_.listings, 1);
  // Taken when the listing began: 20 s from then, of which the listing itself took 2.
  EXPECT_EQ(RefreshAfter(seconds(17)), 1);
  EXPECT_EQ(RefreshAfter(seconds(1)), 2);
}

TEST_F(StackSnapshotTest, AVerySlowListingIsReusedAtMostForTheLimit) {
  listing_.cost = seconds(10);
  snapshot_.Refresh(kListingReuse);
  ASSERT_EQ(listing_.listings, 1);
  EXPECT_EQ(RefreshAfter(kListingReuseLimit - seconds(10) - milliseconds(1)), 1);
  EXPECT_EQ(RefreshAfter(milliseconds(1)), 2);
}

TEST_F(StackSnapshotTest, ZeroAlwaysListsHoweverSlowTheLastListing) {
  listing_.cost = seconds(2);
  snapshot_.Refresh(kListingReuse);
  snapshot_.Refresh(milliseconds(0));
  EXPECT_EQ(listing_.listings, 2);
}

}  // namespace
}  // namespace ecsync::reconcile
