// Drift detection. The stack is a real one in the stack-files target, but nothing drifts
// offline (and moto does not implement drift detection), so a wrapper scripts what
// CloudFormation reports while detecting: in progress a few times, then the drift it found.

#include "reconcile/drift.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>

#include "aws/stack_files.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

// Delegates to the real target except for what a detection reports.
class DriftingCloudFormation : public fakes::ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;

  // While non-empty, status polls answer these in order (the last one repeats); the
  // detection id and stack id are filled in.
  std::deque<aws::DriftDetection> detection_script;
  // When set, DescribeStackResourceDrifts answers this instead of the target.
  std::optional<std::vector<aws::ResourceDrift>> resource_drifts;
  int status_polls = 0;

  base::Result<std::string> DetectStackDrift(const std::string& name) override {
    auto id = ForwardingCloudFormation::DetectStackDrift(name);  // the stack must be there
    if (id.ok()) detection_id_ = *id;
    return id;
  }
  base::Result<aws::DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& detection_id) override {
    ++status_polls;
    if (detection_script.empty()) {
      return ForwardingCloudFormation::DescribeStackDriftDetectionStatus(detection_id);
    }
    if (detection_id != detection_id_) {
      return base::NotFoundError("Drift detection with id " + detection_id + " does not exist");
    }
    aws::DriftDetection detection = detection_script.front();
    if (detection_script.size() > 1) detection_script.pop_front();
    detection.detection_id = detection_id;
    return detection;
  }
  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override {
    auto real = ForwardingCloudFormation::DescribeStackResourceDrifts(name);
    if (!real.ok() || !resource_drifts) return real;
    return *resource_drifts;
  }

 private:
  std::string detection_id_;
};

aws::DriftDetection Detection(const std::string& status, const std::string& drift = "",
                              const std::string& reason = "") {
  aws::DriftDetection d;
  d.detection_status = status;
  d.stack_drift_status = drift;
  d.detection_status_reason = reason;
  return d;
}

aws::ResourceDrift Resource(const std::string& logical_id, const std::string& status,
                            std::vector<aws::PropertyDifference> differences = {}) {
  aws::ResourceDrift r;
  r.logical_id = logical_id;
  r.physical_id = "shop-" + logical_id;
  r.resource_type = "AWS::ECS::Service";
  r.drift_status = status;
  r.differences = std::move(differences);
  return r;
}

aws::PropertyDifference Difference(const std::string& path, const std::string& expected,
                                   const std::string& actual) {
  return {path, expected, actual, "NOT_EQUAL"};
}

constexpr char kTemplate[] =
    R"({"Resources":{"Queue":{"Type":"AWS::SQS::Queue"},"Topic":{"Type":"AWS::SNS::Topic"}}})";

class DriftTest : public ::testing::Test {
 protected:
  DriftTest() : stacks_(files_.path() + "/stacks", clock_), cfn_(stacks_) {}

  void SetUp() override {
    aws::CreateStackRequest request;
    request.name = "shop";
    request.template_body = kTemplate;
    auto created = stacks_.CreateStack(request);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  base::Result<DriftReport> Detect(const std::string& stack = "shop") {
    return DetectDrift(cfn_, clock_, stack, wait_);
  }

  base::FakeClock clock_;
  testing::TempDir files_;
  aws::StackFiles stacks_;
  DriftingCloudFormation cfn_;
  WaitOptions wait_{milliseconds(5000), milliseconds(60000)};
};

TEST_F(DriftTest, PollsUntilTheDetectionCompletesAndListsOnlyDriftedResources) {
  cfn_.detection_script = {Detection("DETECTION_IN_PROGRESS"), Detection("DETECTION_IN_PROGRESS"),
                           Detection("DETECTION_COMPLETE", "DRIFTED")};
  cfn_.resource_drifts = std::vector<aws::ResourceDrift>{
      Resource("Queue", "MODIFIED",
               {Difference("/VisibilityTimeout", "30", "90"),
                Difference("/MessageRetentionPeriod", "345600", "60")}),
      Resource("Topic", "IN_SYNC"),
      Resource("Gone", "DELETED"),
      Resource("Unchecked", "NOT_CHECKED"),
  };
  const auto start = clock_.SteadyNow();
  auto report = Detect();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(cfn_.status_polls, 3);
  EXPECT_EQ(clock_.SteadyNow() - start, milliseconds(10000));  // two polls' worth of sleep
  EXPECT_EQ(report->stack, "shop");
  EXPECT_EQ(report->status, "DRIFTED");
  ASSERT_EQ(report->drifted.size(), 2u);
  EXPECT_EQ(report->drifted[0].logical_id, "Queue");
  EXPECT_EQ(report->drifted[0].differences.size(), 2u);
  EXPECT_EQ(report->drifted[1].logical_id, "Gone");
  EXPECT_EQ(DescribeDrift(*report),
            "2 resources drifted: Queue (MODIFIED: /VisibilityTimeout 30 -> 90; "
            "/MessageRetentionPeriod 345600 -> 60), Gone (DELETED)");
}

TEST_F(DriftTest, AStackInSyncReportsNothing) {
  // No script: the stack-files target's own answer (a detection that completes IN_SYNC).
  auto report = Detect();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->status, "IN_SYNC");
  EXPECT_TRUE(report->drifted.empty());
  EXPECT_EQ(DescribeDrift(*report), "no resource drifted (IN_SYNC)");
}

TEST_F(DriftTest, DriftedResourcesMakeTheStackDrifted) {
  cfn_.detection_script = {Detection("DETECTION_COMPLETE", "IN_SYNC")};
  cfn_.resource_drifts = std::vector<aws::ResourceDrift>{Resource("Queue", "DELETED")};
  auto report = Detect();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->status, "DRIFTED");
}

TEST_F(DriftTest, ADetectionThatNeverFinishesTimesOut) {
  cfn_.detection_script = {Detection("DETECTION_IN_PROGRESS")};
  wait_ = {milliseconds(5000), milliseconds(30000)};
  const auto start = clock_.SteadyNow();
  auto report = Detect();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(report.status().message().find("did not finish in time"), std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("shop"), std::string::npos);
  EXPECT_GE(clock_.SteadyNow() - start, milliseconds(30000));
  EXPECT_LT(clock_.SteadyNow() - start, milliseconds(30000) + wait_.poll_interval);
  EXPECT_EQ(cfn_.status_polls, 7);  // at 0, 5, ..., 30 s
}

TEST_F(DriftTest, AFailedDetectionIsTransientWithItsReason) {
  cfn_.detection_script = {
      Detection("DETECTION_IN_PROGRESS"),
      Detection("DETECTION_FAILED", "", "Failed to detect drift: internal failure")};
  auto report = Detect();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(report.status().message().find("Failed to detect drift: internal failure"),
            std::string::npos)
      << report.status().message();
}

TEST_F(DriftTest, AFailedDetectionWithoutAVerdictIsTransient) {
  for (const std::string verdict : {"UNKNOWN", "NOT_CHECKED"}) {
    SCOPED_TRACE(verdict);
    cfn_.detection_script = {Detection("DETECTION_FAILED", verdict, "Access denied to [Queue]")};
    auto report = Detect();
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().kind(), base::ErrorKind::kTransient);
    EXPECT_NE(report.status().message().find("Access denied to [Queue]"), std::string::npos)
        << report.status().message();
  }
}

TEST_F(DriftTest, APartlyFailedDetectionStillReportsWhatItFound) {
  // CloudFormation fails a detection when some resources cannot be checked, yet gives the
  // stack a drift status from the ones it could check.
  cfn_.detection_script = {
      Detection("DETECTION_FAILED", "DRIFTED", "Failed to detect drift on resource [Topic]")};
  cfn_.resource_drifts = std::vector<aws::ResourceDrift>{
      Resource("Queue", "MODIFIED", {Difference("/DelaySeconds", "0", "5")}),
      Resource("Topic", "NOT_CHECKED")};
  auto report = Detect();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->status, "DRIFTED");
  ASSERT_EQ(report->drifted.size(), 1u);
  EXPECT_EQ(DescribeDrift(*report), "1 resource drifted: Queue (MODIFIED: /DelaySeconds 0 -> 5)");
}

TEST_F(DriftTest, AnInterruptedWaitStopsAtTheNextCheck) {
  cfn_.detection_script = {Detection("DETECTION_IN_PROGRESS")};
  std::atomic<bool> interrupted{true};
  wait_.interrupted = &interrupted;
  auto report = Detect();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(report.status().message().find("interrupted"), std::string::npos);
  EXPECT_EQ(cfn_.status_polls, 1);
}

TEST_F(DriftTest, AMissingStackIsNotFound) {
  auto report = Detect("nosuchstack");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(DriftTest, AStackThatCannotBeCheckedIsAConflict) {
  // A create by change set that was never executed: CloudFormation refuses to check it.
  aws::CreateChangeSetRequest request;
  request.change_set_name = "pending";
  request.stack_name = "review";
  request.template_body = kTemplate;
  request.change_set_type = "CREATE";
  ASSERT_TRUE(stacks_.CreateChangeSet(request).ok());
  auto report = Detect("review");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kConflict) << report.status().ToString();
}

TEST(DescribeDriftTest, ShowsAtMostThreeDifferencesPerResource) {
  DriftReport report;
  report.status = "DRIFTED";
  report.drifted = {Resource("WebService", "MODIFIED",
                             {Difference("/DesiredCount", "1", "3"), Difference("/A", "a", "b"),
                              Difference("/B", "c", "d"), Difference("/C", "e", "f")})};
  EXPECT_EQ(DescribeDrift(report),
            "1 resource drifted: WebService (MODIFIED: /DesiredCount 1 -> 3; /A a -> b; "
            "/B c -> d; and 1 more)");
}

TEST(DescribeDriftTest, AnEmptyReportSaysSo) {
  DriftReport report;
  report.status = "UNKNOWN";
  EXPECT_EQ(DescribeDrift(report), "no resource drifted (UNKNOWN)");
}

}  // namespace
}  // namespace ecsync::reconcile
