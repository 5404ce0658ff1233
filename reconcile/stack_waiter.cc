#include "reconcile/stack_waiter.h"

#include <algorithm>
#include <cstdio>

namespace ecsync::reconcile {

namespace {

// CloudFormation's follow-on failures: they name the cancellation, not the cause.
bool IsConsequence(const std::string& reason) {
  return reason.find("Resource creation cancelled") != std::string::npos ||
         reason.find("Resource update cancelled") != std::string::npos ||
         reason.find("The following resource(s) failed") != std::string::npos;
}

}  // namespace

bool IsTerminalStatus(const std::string& status) {
  if (status.find("IN_PROGRESS") != std::string::npos) return false;
  return status.ends_with("_COMPLETE") || status.ends_with("_FAILED");
}

StackWaiter::StackWaiter(aws::CloudFormation& cfn, base::Clock& clock, ProgressSink sink,
                         WaitOptions options)
    : cfn_(cfn), clock_(clock), sink_(std::move(sink)), options_(options),
      started_(clock.SteadyNow()) {}

base::Status StackWaiter::Begin(const std::string& stack) {
  started_ = clock_.SteadyNow();
  auto events = cfn_.DescribeStackEvents(stack);
  if (!events.ok()) {
    if (events.status().kind() == base::ErrorKind::kNotFound) return base::Status::Ok();
    return events.status();
  }
  for (const auto& e : *events) seen_events_.insert(e.event_id);
  return base::Status::Ok();
}

std::string StackWaiter::FormatEvent(const aws::StackEvent& event) const {
  double elapsed =
      std::chrono::duration<double>(clock_.SteadyNow() - started_).count();
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "%7.1fs", elapsed);
  std::string line = std::string(prefix) + "  " + event.logical_id;
  line.append(line.size() < 44 ? 44 - line.size() : 1, ' ');
  line += event.status;
  if (!event.resource_type.empty()) line += "  " + event.resource_type;
  if (!event.reason.empty()) line += "  (" + event.reason + ")";
  return line;
}

base::Status StackWaiter::ReportNewEvents(const std::string& stack,
                                          std::vector<FailedResource>* failures) {
  auto events = cfn_.DescribeStackEvents(stack);
  if (!events.ok()) {
    // A stack deleted by name no longer has events to read; the status poll decides.
    if (events.status().kind() == base::ErrorKind::kNotFound) return base::Status::Ok();
    return events.status();
  }
  std::vector<const aws::StackEvent*> fresh;
  for (const auto& e : *events) {
    if (seen_events_.insert(e.event_id).second) fresh.push_back(&e);
  }
  // DescribeStackEvents lists newest first.
  std::reverse(fresh.begin(), fresh.end());
  for (const aws::StackEvent* e : fresh) {
    if (sink_) sink_(FormatEvent(*e));
    if (e->status.ends_with("_FAILED") && !e->reason.empty() && !IsConsequence(e->reason) &&
        e->resource_type != "AWS::CloudFormation::Stack") {
      failures->push_back({e->logical_id, e->resource_type, e->status, e->reason});
    }
  }
  return base::Status::Ok();
}

base::Result<WaitResult> StackWaiter::Wait(const std::string& stack) {
  WaitResult result;
  auto deadline = clock_.SteadyNow() + options_.timeout;
  while (true) {
    auto described = cfn_.DescribeStack(stack);
    std::string status;
    std::string reason;
    if (described.ok()) {
      status = described->status;
      reason = described->status_reason;
    } else if (described.status().kind() == base::ErrorKind::kNotFound) {
      status = "DELETE_COMPLETE";
    } else if (described.status().kind() != base::ErrorKind::kThrottled &&
               described.status().kind() != base::ErrorKind::kTransient) {
      return described.status();
    }
    // Event reporting is best effort: a failed page must not end the wait.
    (void)ReportNewEvents(stack, &result.failures);
    if (!status.empty() && IsTerminalStatus(status)) {
      result.final_status = status;
      if (result.failures.empty() && status.ends_with("_FAILED") && !reason.empty()) {
        result.failures.push_back({stack, "AWS::CloudFormation::Stack", status, reason});
      }
      return result;
    }
    if (clock_.SteadyNow() >= deadline) {
      return base::TransientError("timed out waiting for stack " + stack + " (last status " +
                                  (status.empty() ? "unknown" : status) +
                                  "); it is still running and will be waited on next time");
    }
    clock_.SleepFor(options_.poll_interval);
  }
}

}  // namespace ecsync::reconcile
