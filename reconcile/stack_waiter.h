#pragma once

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"
#include "reconcile/crash_detector.h"
#include "reconcile/deployment_watcher.h"
#include "reconcile/progress.h"

namespace ecsync::reconcile {

struct WaitOptions {
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds timeout{std::chrono::minutes(60)};
  // When set and it becomes true (Ctrl-C), waiting stops at the next check; the stack's
  // operation goes on in CloudFormation. Not owned.
  const std::atomic<bool>* interrupted = nullptr;
};

// A resource whose operation failed, with CloudFormation's reason.
struct FailedResource {
  std::string logical_id;
  std::string resource_type;
  std::string status;
  std::string reason;
};

struct WaitResult {
  // The terminal status, e.g. "CREATE_COMPLETE" ("DELETE_COMPLETE" when the stack is gone);
  // when timed_out or interrupted, the last status seen, still in progress.
  std::string final_status;
  std::vector<FailedResource> failures;  // in the order they happened; root causes first
  bool timed_out = false;                // the timeout passed first
  bool interrupted = false;              // WaitOptions::interrupted was set first
  // Set when the crash detector saw a service's tasks keep stopping: what it saw.
  std::string crashed;
};

// The stack name in a StackId ARN; anything else is returned as it is.
std::string StackNameOf(const std::string& name_or_id);

// True for statuses that end an operation (nothing more will happen without a new call).
bool IsTerminalStatus(const std::string& status);

// True for statuses from which a stack cannot be updated, only deleted and created again.
bool NeedsRecreate(const std::string& status);

// Polls one stack until its status is terminal, reporting each new stack event to the
// sink as it appears. Not thread-safe; one waiter per operation.
class StackWaiter {
 public:
  StackWaiter(aws::CloudFormation& cfn, base::Clock& clock, ProgressSink sink, WaitOptions options);

  // Records the events the stack already has, so Wait reports only new ones. Call before
  // starting the operation; a stack that does not exist yet has none.
  base::Status Begin(const std::string& stack);

  // While the stack is in progress, also asks `detector` (every third poll) whether a
  // service's tasks keep stopping, and stops waiting when they do. Not owned; may be null.
  void WatchForCrashes(CrashDetector* detector) { detector_ = detector; }

  // While the stack is in progress, also lets `watcher` (every third poll, from the first)
  // report the stages of the ECS service deployments it waits for. Not owned; may be null.
  void WatchDeployments(DeploymentWatcher* watcher) { watcher_ = watcher; }

  // Waits until `stack` (a name or, better, a StackId, which keeps answering after a
  // delete) reaches a terminal status, the timeout passes or the wait is interrupted (see
  // WaitResult). A stack that disappears counts as DELETE_COMPLETE. Errors only when AWS
  // keeps refusing (kInvalid etc.); throttling and transient errors are waited through.
  base::Result<WaitResult> Wait(const std::string& stack);

 private:
  // Fetches events, reports the unseen ones oldest first and records failures.
  base::Status ReportNewEvents(const std::string& stack, std::vector<FailedResource>* failures);
  // `failed` is a nested stack's resource event (*_FAILED): reports the failed resources of
  // that nested stack's last operation (recursing into its own nested stacks), or `failed`
  // itself when there are none to read.
  void ReportNestedFailures(const aws::StackEvent& failed, int depth,
                            std::vector<FailedResource>* failures);
  bool Interrupted() const;

  aws::CloudFormation& cfn_;
  base::Clock& clock_;
  ProgressSink sink_;
  WaitOptions options_;
  CrashDetector* detector_ = nullptr;
  DeploymentWatcher* watcher_ = nullptr;
  std::set<std::string> seen_events_;
  std::set<std::string> examined_nested_;  // nested StackId and status already looked into
  std::chrono::steady_clock::time_point started_;
};

}  // namespace ecsync::reconcile
