#include "controller/outcome_recorder.h"

#include <chrono>

#include "base/log.h"
#include "reconcile/stack_tags.h"

namespace ecsync::controller {

using base::LogLevel;

void OutcomeRecorder::SetCondition(const std::string& key, Condition condition,
                                   const std::string& reason, bool needs_input) {
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.condition = condition;
    s.reason = reason;
    s.needs_input = needs_input;
  });
  if (metrics_ != nullptr) metrics_->SetCondition(key, ConditionName(condition));
}

void OutcomeRecorder::Skipped(const std::string& key, Condition condition,
                              const std::string& reason) {
  SetCondition(key, condition, reason, /*needs_input=*/false);
}

void OutcomeRecorder::Started(const std::string& key, const std::string& stack,
                              const std::string& revision) {
  SetCondition(key, Condition::kReconciling,
               "reconciling revision " + reconcile::ShortRevision(revision),
               /*needs_input=*/false);
  status_.UpdateProject(key, [&](ProjectStatus& s) { s.last_attempted_revision = revision; });
  base::Log(LogLevel::kInfo, "reconciling",
            {{"project", key}, {"stack", stack}, {"revision", revision}});
}

void OutcomeRecorder::Held(const std::string& key, const std::string& stack,
                           const std::string& revision, const std::string& trigger,
                           const schedule::Gate& gate) {
  SetCondition(key, Condition::kHeld, gate.reason, /*needs_input=*/false);
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.held_until = gate.opens_at.value_or(std::chrono::system_clock::time_point{});
  });
  base::Log(LogLevel::kInfo, "held by deploy window",
            {{"project", key},
             {"stack", stack},
             {"revision", revision},
             {"trigger", trigger},
             {"until", gate.opens_at ? FormatTime(*gate.opens_at) : "never"},
             {"manual_sync", gate.overridable ? "true" : "false"},
             {"reason", gate.reason}});
}

void OutcomeRecorder::Released(const std::string& key, const std::string& revision,
                               const std::string& how) {
  status_.UpdateProject(key, [&](ProjectStatus& s) { s.held_until = {}; });
  base::Log(LogLevel::kInfo, "released by deploy window",
            {{"project", key}, {"revision", revision}, {"how", how}});
}

void OutcomeRecorder::Finished(const std::string& key, const FinishedRun& finished) {
  const RunRecord& run = finished.run;
  const bool error = run.result == "error";
  if (!error) {
    status_.UpdateProject(key, [&](ProjectStatus& s) {
      s.stack_status = finished.final_status;
      if (finished.succeeded) s.last_applied_revision = finished.revision;
    });
  }
  SetCondition(key, finished.condition, finished.reason, finished.needs_input);
  if (error) {
    base::Log(LogLevel::kError, "reconcile failed",
              {{"project", key},
               {"stack", finished.stack},
               {"revision", finished.revision},
               {"error", run.message}});
  } else {
    if (metrics_ != nullptr) {
      metrics_->SetStack(key, finished.stack, finished.final_status, finished.revision);
      if (finished.succeeded) metrics_->SetLastSuccess(key, clock_.Now());
    }
    const bool waiting = finished.condition == Condition::kWaitingForImages;
    base::Log(finished.succeeded || waiting ? LogLevel::kInfo : LogLevel::kError, run.message,
              {{"project", key},
               {"stack", finished.stack},
               {"revision", finished.revision},
               {"action", run.action},
               {"result", run.result}});
  }
  if (metrics_ != nullptr) {
    metrics_->ReconcileFinished(key, run.result, std::chrono::duration<double>(run.seconds));
  }
  status_.AddRun(key, run);
}

void OutcomeRecorder::DriftChecked(const std::string& key, const std::string& stack,
                                   const reconcile::DriftReport& report) {
  const int drifted = static_cast<int>(report.drifted.size());
  const std::string detail = reconcile::DescribeDrift(report);
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.drift_status = report.status;
    s.drifted_resources = drifted;
    s.drift_detail = detail;
    s.drift_checked = clock_.Now();
  });
  if (metrics_ != nullptr) metrics_->SetDrift(key, stack, drifted);
  if (drifted == 0) return;
  base::Log(LogLevel::kWarn, "stack drifted",
            {{"project", key}, {"stack", stack}, {"drift", detail}});
}

void OutcomeRecorder::DriftFailed(const std::string& key, const std::string& stack,
                                  const std::string& error) {
  base::Log(LogLevel::kWarn, "drift detection failed",
            {{"project", key}, {"stack", stack}, {"error", error}});
}

void OutcomeRecorder::Forget(const std::string& key) {
  status_.RemoveProject(key);
  if (metrics_ != nullptr) metrics_->RemoveProject(key);
}

}  // namespace ecsync::controller
