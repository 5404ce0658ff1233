#pragma once

#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "controller/status.h"
#include "metrics/metrics.h"
#include "notify/event.h"
#include "notify/publisher.h"
#include "reconcile/drift.h"
#include "schedule/window.h"

namespace ecsync::controller {

// A change waiting for an operator's approval, as the recorder shows it.
struct PendingChange {
  std::string change_set;  // or the plan's identity (create, delete)
  std::string action;      // create | update | delete
  std::string revision;
  std::string message;  // one line: what it does
  std::vector<ChangeRecord> changes;
  std::vector<std::string> template_diff;
  // A prune's delete: the project left git at `revision` (there is no project to run).
  bool project_gone = false;
};

// How one run of a project ended.
struct FinishedRun {
  RunRecord run;  // run.result "error": the run could not decide or act
  // The stack and revision the log line names (the report's, when there is one).
  std::string stack;
  std::string revision;
  Condition condition = Condition::kReady;
  std::string reason;
  bool needs_input = false;  // stalled until a human changes the commit or configuration
  bool interrupted = false;  // stopped by shutdown; resumed by the next start
  bool quiet = false;        // publishes no event: the caller did (an approved prune's kPruned)
  // When the run reported (result is not "error"): whether the deploy succeeded, and the
  // stack's status after it.
  bool succeeded = false;
  std::string final_status;
};

// Writes what happens to a project to every place that shows it: the status store (API and
// page), the metrics, the log and the event publisher (notifications, commit statuses), each
// outcome in one call. Thread-safe (the status store, metrics and publisher are; the memory
// of published events has its own lock). `metrics` and `events` may be null.
//
// Events published (see notify::EventKind), each with the stack, revision and a one-line
// description (for failures the run's message, which names the first failed resource and why):
//   DeployStarted  kDeployStarted
//   Finished       kDeploySucceeded after a deploy, or after an up-to-date run when the last
//                  event of the project was not a success for this revision (a new commit
//                  that changes nothing; a recovery); never for the first up-to-date run after
//                  a start, so a restart does not announce every project again
//                  kDeployFailed for a rejected or rolled-back deploy and for bad input
//                  kDeployError for git or AWS trouble that is retried
//                  kStalled when the project waits for a new commit or configuration
//                  nothing when shutdown interrupted the run, or for a wait for images
//   DriftChecked   kDriftDetected when the drifted resources differ from the last report
//   Pruned         kPruned (kDeployFailed when the delete failed)
//   AwaitingApproval  kApprovalPending (once per change set)
//   Approved, Rejected, Superseded  kApproved, kRejected, kSuperseded
// (The approval events also carry the change set and who decided; each is one log line.)
// An event equal to the project's last deploy event (kind and revision; and description for
// failures) is not published again, so a retried error does not repeat its notification.
class OutcomeRecorder {
 public:
  OutcomeRecorder(StatusStore& status, metrics::Metrics* metrics, base::Clock& clock,
                  notify::EventPublisher* events = nullptr)
      : status_(status), metrics_(metrics), clock_(clock), events_(events) {}

  // The project is not run (suspended); it keeps `condition`.
  void Skipped(const std::string& key, Condition condition, const std::string& reason);
  // A run of `revision` begins.
  void Started(const std::string& key, const std::string& stack, const std::string& revision);
  // The run began changing `stack` (its first resource change or stack event).
  void DeployStarted(const std::string& key, const std::string& stack, const std::string& revision);
  // A run ended.
  void Finished(const std::string& key, const FinishedRun& finished);
  // A change to `revision` (`trigger`: "revision" or "self-heal") is not applied: the deploy
  // windows are closed until `until` (nullopt: they do not open within a year). Held, with
  // the gate's reason; one structured log line and a held event (once per revision).
  void Held(const std::string& key, const std::string& stack, const std::string& revision,
            const std::string& trigger, const schedule::Gate& gate);
  // The signature gate refused `revision` (`reason`: RefusalReasonText): the project is
  // Stalled (needs input) with the reason, gets a run whose result is "refused", and a
  // signature_refused event (once per revision and reason).
  void SignatureRefused(const std::string& key, const std::string& revision,
                        const std::string& reason);
  // A held project runs: its windows opened, or an operator overrode them (`how`).
  void Released(const std::string& key, const std::string& revision, const std::string& how);
  // Manual approval (docs/manual-approval.md). `pending` waits for an operator: shown with
  // its changes (the run's Finished sets the condition).
  void AwaitingApproval(const std::string& key, const std::string& stack,
                        const PendingChange& pending);
  // An operator approved (`approved`) or rejected `pending`; `by` is who. A rejection is
  // also a run in the history, and leaves the project Stalled until a new commit or
  // configuration (or a reconcile or acknowledge, which proposes it again); a prune's delete
  // (pending.project_gone) until a later commit removes the project again.
  void Decided(const std::string& key, const std::string& stack, const PendingChange& pending,
               const std::string& by, bool approved, const std::string& note);
  // `old` stopped waiting before anyone decided: `replacement` (a newer change set or plan)
  // waits instead, or, when empty, the newer revision needs no approval (nothing changes).
  void Superseded(const std::string& key, const std::string& stack, const PendingChange& old,
                  const std::string& replacement);

  // A drift check of `stack` completed.
  void DriftChecked(const std::string& key, const std::string& stack,
                    const reconcile::DriftReport& report);
  // A drift check of `stack` could not complete; the next one is on schedule.
  void DriftFailed(const std::string& key, const std::string& stack, const std::string& error);
  // A prune run of `repository` deleted `stack` (or failed to: !succeeded), whose project
  // left git at `revision`. Published under `key`, or "<repository>/<stack>" when empty.
  void Pruned(const std::string& repository, const std::string& stack, const std::string& revision,
              bool succeeded, const std::string& message, const std::string& key = "");
  // The project left the configuration or its repository: nothing shows it any more.
  void Forget(const std::string& key);

  StatusStore& status() { return status_; }

 private:
  // What was last published for a project.
  struct LastEvent {
    notify::EventKind kind = notify::EventKind::kDeployStarted;
    std::string revision;
    std::string description;
  };

  void SetCondition(const std::string& key, Condition condition, const std::string& reason,
                    bool needs_input);
  // The events of a finished run, in order (see the class comment).
  void PublishFinished(const std::string& key, const FinishedRun& finished);
  // Publishes unless equal to the project's last event.
  void Publish(notify::EventKind kind, const std::string& key, const std::string& stack,
               const std::string& revision, const std::string& description,
               const std::string& change_set = "", const std::string& actor = "");

  StatusStore& status_;
  metrics::Metrics* metrics_;
  base::Clock& clock_;
  notify::EventPublisher* const events_;
  std::mutex mu_;
  std::map<std::string, LastEvent> last_;     // guarded by mu_; by project key
  std::map<std::string, std::string> drift_;  // guarded by mu_; the last drift reported
};

}  // namespace ecsync::controller
