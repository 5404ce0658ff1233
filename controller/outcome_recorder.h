#pragma once

#include <string>

#include "base/clock.h"
#include "controller/status.h"
#include "metrics/metrics.h"
#include "reconcile/drift.h"
#include "schedule/window.h"

namespace ecsync::controller {

// How one run of a project ended.
struct FinishedRun {
  RunRecord run;  // run.result "error": the run could not decide or act
  // The stack and revision the log line names (the report's, when there is one).
  std::string stack;
  std::string revision;
  Condition condition = Condition::kReady;
  std::string reason;
  bool needs_input = false;  // stalled until a human changes the commit or configuration
  // When the run reported (result is not "error"): whether the deploy succeeded, and the
  // stack's status after it.
  bool succeeded = false;
  std::string final_status;
};

// Writes what happens to a project to every place that shows it: the status store (API and
// page), the metrics and the log, each outcome in one call. Thread-safe (the status store
// and metrics are). `metrics` may be null.
class OutcomeRecorder {
 public:
  OutcomeRecorder(StatusStore& status, metrics::Metrics* metrics, base::Clock& clock)
      : status_(status), metrics_(metrics), clock_(clock) {}

  // The project is not run (suspended); it keeps `condition`.
  void Skipped(const std::string& key, Condition condition, const std::string& reason);
  // A run of `revision` begins.
  void Started(const std::string& key, const std::string& stack, const std::string& revision);
  // A run ended.
  void Finished(const std::string& key, const FinishedRun& finished);
  // A change to `revision` (`trigger`: "revision" or "self-heal") is not applied: the deploy
  // windows are closed until `until` (nullopt: they do not open within a year). Held, with
  // the gate's reason; one structured log line.
  void Held(const std::string& key, const std::string& stack, const std::string& revision,
            const std::string& trigger, const schedule::Gate& gate);
  // A held project runs: its windows opened, or an operator overrode them (`how`).
  void Released(const std::string& key, const std::string& revision, const std::string& how);
  // A drift check of `stack` completed.
  void DriftChecked(const std::string& key, const std::string& stack,
                    const reconcile::DriftReport& report);
  // A drift check of `stack` could not complete; the next one is on schedule.
  void DriftFailed(const std::string& key, const std::string& stack, const std::string& error);
  // The project left the configuration or its repository: nothing shows it any more.
  void Forget(const std::string& key);

 private:
  void SetCondition(const std::string& key, Condition condition, const std::string& reason,
                    bool needs_input);

  StatusStore& status_;
  metrics::Metrics* metrics_;
  base::Clock& clock_;
};

}  // namespace ecsync::controller
