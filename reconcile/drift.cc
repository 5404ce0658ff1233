#include "reconcile/drift.h"

namespace ecsync::reconcile {

base::Result<DriftReport> DetectDrift(aws::CloudFormation& cfn, base::Clock& clock,
                                      const std::string& stack, const WaitOptions& wait) {
  ECSYNC_ASSIGN_OR_RETURN(std::string detection_id, cfn.DetectStackDrift(stack));
  const auto deadline = clock.SteadyNow() + wait.timeout;
  aws::DriftDetection detection;
  while (true) {
    ECSYNC_ASSIGN_OR_RETURN(detection, cfn.DescribeStackDriftDetectionStatus(detection_id));
    if (detection.detection_status != "DETECTION_IN_PROGRESS") break;
    if (wait.interrupted != nullptr && wait.interrupted->load()) {
      return base::TransientError("drift detection of " + stack + " interrupted");
    }
    if (clock.SteadyNow() >= deadline) {
      return base::TransientError("drift detection of " + stack + " did not finish in time");
    }
    clock.SleepFor(wait.poll_interval);
  }
  // A detection fails when some resources could not be checked; it still counts when the
  // others gave the stack a verdict, not when the status is missing, UNKNOWN or NOT_CHECKED.
  const std::string& verdict = detection.stack_drift_status;
  if (detection.detection_status == "DETECTION_FAILED" && verdict != "DRIFTED" &&
      verdict != "IN_SYNC") {
    return base::TransientError("drift detection of " + stack +
                                " failed: " + detection.detection_status_reason);
  }
  DriftReport report;
  report.stack = stack;
  report.status = detection.stack_drift_status;
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::ResourceDrift> resources,
                          cfn.DescribeStackResourceDrifts(stack));
  for (aws::ResourceDrift& resource : resources) {
    if (resource.drift_status == "MODIFIED" || resource.drift_status == "DELETED") {
      report.drifted.push_back(std::move(resource));
    }
  }
  if (!report.drifted.empty()) report.status = "DRIFTED";
  return report;
}

std::string DescribeDrift(const DriftReport& report) {
  if (report.drifted.empty()) return "no resource drifted (" + report.status + ")";
  std::string line = std::to_string(report.drifted.size()) +
                     (report.drifted.size() == 1 ? " resource drifted: " : " resources drifted: ");
  for (size_t i = 0; i < report.drifted.size(); ++i) {
    const aws::ResourceDrift& r = report.drifted[i];
    if (i > 0) line += ", ";
    line += r.logical_id + " (" + r.drift_status;
    constexpr size_t kShown = 3;  // one line stays readable; the rest are counted
    for (size_t j = 0; j < r.differences.size() && j < kShown; ++j) {
      const aws::PropertyDifference& d = r.differences[j];
      line += (j == 0 ? ": " : "; ") + d.path + " " + d.expected_value + " -> " + d.actual_value;
    }
    if (r.differences.size() > kShown) {
      line += "; and " + std::to_string(r.differences.size() - kShown) + " more";
    }
    line += ")";
  }
  return line;
}

}  // namespace ecsync::reconcile
