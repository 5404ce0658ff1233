#pragma once

#include <chrono>
#include <string>

#include "base/result.h"

namespace ecsync::notify {

// What happened to a project, as the controller reports it to notifiers and git hosts.
enum class EventKind {
  kDeployStarted,    // a reconcile that will change the stack began (commit status: pending)
  kDeploySucceeded,  // the stack matches the revision (also: already up to date on a new revision)
  kDeployFailed,     // rejected, rolled back, or bad input (commit status: failure)
  kDeployError,      // git or AWS trouble; will be retried (commit status: error)
  kDriftDetected,
  kStalled,  // the project gave up until a new commit, config change or operator action
  kPruned,   // the project's stack was deleted because the project left git
  // Gate decisions (docs/signed-commits.md, docs/deploy-windows.md): a revision refused by
  // the repository's `verify:` policy (commit status: failure); a change held by closed
  // deploy windows (commit status: pending, saying until when).
  kSignatureRefused,
  kHeld,
  // Manual approval (docs/manual-approval.md); `change_set` names the change, `actor` who
  // decided (approved, rejected).
  kApprovalPending,  // a change set (or the plan of a create or delete) waits for an operator
  kApproved,         // an operator approved it; the deploy follows
  kRejected,         // an operator rejected it; its change set was deleted
  kSuperseded,       // a newer revision replaced it before anyone decided
};
const char* EventKindName(EventKind kind);  // "deploy_started", "deploy_succeeded", ...

struct Event {
  EventKind kind = EventKind::kDeployStarted;
  std::string project_key;     // "<repository>/<project>", unique
  std::string repository;      // the configured repository name
  std::string repository_url;  // redacted clone URL (no password)
  std::string project;
  std::string stack;
  std::string revision;     // full commit SHA the event is about ("" when none)
  std::string description;  // one line for humans: e.g. the resource that failed and why
  std::string change_set;   // approval events: the change set (or plan) decided on
  std::string actor;        // kApproved, kRejected: who (an API token's name, a user)
  std::chrono::system_clock::time_point at{};
};

// One destination (a Slack webhook, a git host's commit status API...). Deliver is called
// from the dispatcher's worker thread only, never from a reconcile; it may block, bounded by
// its HTTP client's timeouts. kThrottled and kTransient are retried by the dispatcher with
// backoff; any other error drops the event (logged without secrets).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string name() const = 0;  // for logs and metrics, no secrets: "slack:ops"
  virtual bool Wants(const Event& event) const = 0;  // the sink's event filter
  virtual base::Status Deliver(const Event& event) = 0;
};

}  // namespace ecsync::notify
