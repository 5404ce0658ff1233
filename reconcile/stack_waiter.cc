#include "reconcile/stack_waiter.h"

#include <algorithm>

namespace ecsync::reconcile {

namespace {

// CloudFormation's follow-on failures: they name the cancellation, not the cause.
bool IsConsequence(const std::string& reason) {
  return reason.find("Resource creation cancelled") != std::string::npos ||
         reason.find("Resource update cancelled") != std::string::npos ||
         reason.find("The following resource(s) failed") != std::string::npos;
}

}  // namespace

std::string StackNameOf(const std::string& name_or_id) {
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  auto start = name_or_id.find(":stack/");
  if (name_or_id.rfind("arn:", 0) != 0 || start == std::string::npos) return name_or_id;
  start += 7;
  auto end = name_or_id.find('/', start);
  return name_or_id.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool NeedsRecreate(const std::string& status) {
  return status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" ||
         status == "REVIEW_IN_PROGRESS" || status == "CREATE_FAILED" || status == "DELETE_FAILED";
}

bool IsTerminalStatus(const std::string& status) {
  if (status.find("IN_PROGRESS") != std::string::npos) return false;
  return status.ends_with("_COMPLETE") || status.ends_with("_FAILED");
}

StackWaiter::StackWaiter(aws::CloudFormation& cfn, base::Clock& clock, ProgressSink sink,
                         WaitOptions options)
    : cfn_(cfn),
      clock_(clock),
      sink_(std::move(sink)),
      options_(options),
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

bool StackWaiter::Interrupted() const {
  return options_.interrupted != nullptr && options_.interrupted->load();
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
  const double elapsed = std::chrono::duration<double>(clock_.SteadyNow() - started_).count();
  for (const aws::StackEvent* e : fresh) {
    if (sink_) {
      ProgressEvent event;
      event.kind = ProgressEvent::Kind::kResource;
      event.stack = StackNameOf(stack);
      event.logical_id = e->logical_id;
      event.resource_type = e->resource_type;
      event.status = e->status;
      event.reason = e->reason;
      event.elapsed_seconds = elapsed;
      sink_(event);
    }
    if (!e->status.ends_with("_FAILED") || e->reason.empty()) continue;
    if (e->resource_type == "AWS::CloudFormation::Stack") {
      // The stack's own event, or a nested stack's, whose reason only says that something
      // inside failed: the root causes are the nested stack's own failed resources.
      if (e->logical_id != StackNameOf(stack) && !e->physical_id.empty()) {
        ReportNestedFailures(*e, /*depth=*/1, failures);
      }
      continue;
    }
    if (!IsConsequence(e->reason)) {
      failures->push_back({e->logical_id, e->resource_type, e->status, e->reason});
    }
  }
  return base::Status::Ok();
}

void StackWaiter::ReportNestedFailures(const aws::StackEvent& failed, int depth,
                                       std::vector<FailedResource>* failures) {
  const size_t before = failures->size();
  if (examined_nested_.insert(failed.physical_id + "\n" + failed.status).second) {
    auto events = cfn_.DescribeStackEvents(failed.physical_id);
    if (events.ok()) {
      // Newest first: the nested stack's failures of this operation come before the event
      // that started it (its own *_IN_PROGRESS), where older history begins.
      const std::string nested = StackNameOf(failed.physical_id);
      std::vector<const aws::StackEvent*> found;
      for (const aws::StackEvent& e : *events) {
        const bool own = e.resource_type == "AWS::CloudFormation::Stack" && e.logical_id == nested;
        if (own && (e.status == "CREATE_IN_PROGRESS" || e.status == "UPDATE_IN_PROGRESS" ||
                    e.status == "DELETE_IN_PROGRESS")) {
          break;
        }
        if (!own && e.status.ends_with("_FAILED") && !e.reason.empty()) found.push_back(&e);
      }
      std::reverse(found.begin(), found.end());
      for (const aws::StackEvent* e : found) {
        if (e->resource_type == "AWS::CloudFormation::Stack") {
          if (depth < 3 && !e->physical_id.empty()) {
            ReportNestedFailures(*e, depth + 1, failures);
          }
          continue;
        }
        if (IsConsequence(e->reason)) continue;
        if (sink_) {
          ProgressEvent event;
          event.kind = ProgressEvent::Kind::kResource;
          event.stack = nested;
          // Text output names no stack: the path through the parent tells where it failed.
          event.logical_id = failed.logical_id + "/" + e->logical_id;
          event.resource_type = e->resource_type;
          event.status = e->status;
          event.reason = e->reason;
          event.elapsed_seconds =
              std::chrono::duration<double>(clock_.SteadyNow() - started_).count();
          sink_(event);
        }
        failures->push_back({e->logical_id, e->resource_type, e->status,
                             e->reason + " (in nested stack " + failed.logical_id + ")"});
      }
    }
  }
  if (failures->size() == before && depth == 1) {
    // The nested stack's events could not be read or named no cause: its stack resource's
    // own event is the best there is.
    failures->push_back({failed.logical_id, failed.resource_type, failed.status, failed.reason});
  }
}

base::Result<WaitResult> StackWaiter::Wait(const std::string& stack) {
  WaitResult result;
  auto deadline = clock_.SteadyNow() + options_.timeout;
  int polls = 0;
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
    result.final_status = status;
    ++polls;
    if (watcher_ != nullptr && !status.empty() && polls % 3 == 1) {
      // Best effort, like the events: what ECS says of its deployments is for the reader.
      (void)watcher_->Check(stack);
    }
    if (detector_ != nullptr && !status.empty() && polls % 3 == 0) {
      // Best effort, like the events: a failed look must not end the wait.
      auto crash = detector_->Check(stack);
      if (crash.ok() && crash->has_value()) {
        result.crashed = **crash;
        return result;
      }
    }
    if (clock_.SteadyNow() >= deadline) {
      result.timed_out = true;
      return result;
    }
    // Sleep in short slices so an interrupt is noticed quickly.
    auto next_poll = clock_.SteadyNow() + options_.poll_interval;
    while (clock_.SteadyNow() < next_poll) {
      if (Interrupted()) {
        result.interrupted = true;
        return result;
      }
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - clock_.SteadyNow());
      clock_.SleepFor(std::min(left, std::chrono::milliseconds(200)));
    }
  }
}

}  // namespace ecsync::reconcile
