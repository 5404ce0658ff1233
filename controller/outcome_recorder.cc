#include "controller/outcome_recorder.h"

#include <chrono>

#include "base/log.h"
#include "base/utf8.h"
#include "reconcile/stack_tags.h"

namespace ecsync::controller {

using base::LogLevel;
using notify::EventKind;

namespace {

// Descriptions are one line for people; a run's message may be long (every failure reason).
constexpr size_t kDescriptionBytes = 500;

std::string OneLine(const std::string& text) {
  return base::Utf8Prefix(text.substr(0, text.find('\n')), kDescriptionBytes);
}

}  // namespace

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
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.last_attempted_revision = revision;
    s.progress.clear();
  });
  base::Log(LogLevel::kInfo, "reconciling",
            {{"project", key}, {"stack", stack}, {"revision", revision}});
}

void OutcomeRecorder::DeployStarted(const std::string& key, const std::string& stack,
                                    const std::string& revision) {
  Publish(EventKind::kDeployStarted, key, stack, revision,
          "deploying revision " + reconcile::ShortRevision(revision) + " to stack " + stack);
}

void OutcomeRecorder::Publish(EventKind kind, const std::string& key, const std::string& stack,
                              const std::string& revision, const std::string& description,
                              const std::string& change_set, const std::string& actor) {
  if (events_ == nullptr) return;
  notify::Event event;
  event.kind = kind;
  event.project_key = key;
  event.stack = stack;
  event.revision = revision;
  event.description = OneLine(description);
  event.change_set = change_set;
  event.actor = actor;
  // Drift has its own memory (drift_): it says nothing about the deploy's outcome.
  if (kind != EventKind::kDriftDetected) {
    std::lock_guard<std::mutex> lock(mu_);
    // Failures compare their description too: another reason is news.
    const bool failure = kind == EventKind::kDeployFailed || kind == EventKind::kDeployError ||
                         kind == EventKind::kStalled || kind == EventKind::kSignatureRefused ||
                         kind == EventKind::kApprovalPending;
    auto it = last_.find(key);
    if (it != last_.end() && it->second.kind == kind && it->second.revision == revision &&
        (!failure || it->second.description == event.description)) {
      return;
    }
    last_[key] = LastEvent{kind, revision, event.description};
  }
  // Keys are "<repository>/<project>"; repository names hold no '/'.
  const size_t slash = key.find('/');
  event.repository = key.substr(0, slash);
  event.project = slash == std::string::npos ? key : key.substr(slash + 1);
  for (const RepositoryStatus& repo : status_.Repositories()) {
    if (repo.name == event.repository) event.repository_url = repo.url;  // redacted
  }
  event.at = clock_.Now();
  events_->Publish(event);
}

void OutcomeRecorder::PublishFinished(const std::string& key, const FinishedRun& finished) {
  const RunRecord& run = finished.run;
  if (finished.interrupted || finished.quiet) return;
  const std::string& stack = finished.stack;
  const std::string& revision = finished.revision;
  if (finished.succeeded) {
    if (run.action == "none") {
      // Up to date: news only after another event of this project or another revision.
      std::lock_guard<std::mutex> lock(mu_);
      auto it = last_.find(key);
      if (it == last_.end()) return;
    }
    Publish(EventKind::kDeploySucceeded, key, stack, revision, run.message);
    return;
  }
  if (run.result == "failed" || (run.result == "error" && finished.needs_input)) {
    Publish(EventKind::kDeployFailed, key, stack, revision, run.message);
  } else if (run.result == "error") {
    Publish(EventKind::kDeployError, key, stack, revision, run.message);
  }
  if (finished.needs_input) Publish(EventKind::kStalled, key, stack, revision, finished.reason);
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
  Publish(EventKind::kHeld, key, stack, revision, gate.reason);
}

// The run is recorded before the condition changes, here and in Finished: whoever sees the
// new condition (a status reader, the UI's stream) also sees the run that explains it.
void OutcomeRecorder::SignatureRefused(const std::string& key, const std::string& revision,
                                       const std::string& reason) {
  RunRecord run;
  run.started = clock_.Now();
  run.revision = revision;
  run.action = "none";
  run.result = "refused";
  run.message = reason;
  status_.AddRun(key, std::move(run));
  std::string stack;
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.last_attempted_revision = revision;
    stack = s.stack;
  });
  SetCondition(key, Condition::kStalled, reason, /*needs_input=*/true);
  Publish(EventKind::kSignatureRefused, key, stack, revision, reason);
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
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.progress.clear();
    if (error) return;
    if (finished.condition != Condition::kAwaitingApproval) {
      // Applied, or no longer needed: nothing waits for an operator.
      s.pending_change_set.clear();
      s.pending_changes.clear();
      s.pending_template_diff.clear();
    }
    s.stack_status = finished.final_status;
    if (finished.succeeded) s.last_applied_revision = finished.revision;
  });
  status_.AddRun(key, run);
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
    const bool waiting = finished.condition == Condition::kWaitingForImages ||
                         finished.condition == Condition::kAwaitingApproval;
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
  PublishFinished(key, finished);
}

void OutcomeRecorder::AwaitingApproval(const std::string& key, const std::string& stack,
                                       const PendingChange& pending) {
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    if (s.pending_change_set != pending.change_set) s.pending_since = clock_.Now();
    s.pending_change_set = pending.change_set;
    s.pending_action = pending.action;
    s.pending_revision = pending.revision;
    s.pending_changes = pending.changes;
    s.pending_template_diff = pending.template_diff;
  });
  base::Log(LogLevel::kInfo, "awaiting approval",
            {{"project", key},
             {"stack", stack},
             {"revision", pending.revision},
             {"action", pending.action},
             {"change_set", pending.change_set},
             {"changes", std::to_string(pending.changes.size())}});
  Publish(EventKind::kApprovalPending, key, stack, pending.revision, pending.message,
          pending.change_set);
}

void OutcomeRecorder::Decided(const std::string& key, const std::string& stack,
                              const PendingChange& pending, const std::string& by, bool approved,
                              const std::string& note) {
  const std::string what =
      pending.action + " of stack " + stack +
      (pending.project_gone ? " (its project left git at revision " : " to revision ") +
      reconcile::ShortRevision(pending.revision) + (pending.project_gone ? ") (" : " (") +
      pending.change_set + ")";
  if (!approved) {
    SetCondition(key, Condition::kStalled,
                 "rejected by " + by + ": " + what +
                     (pending.project_gone
                          ? "; the stack stays, and its delete is proposed again only when a "
                            "later commit removes the project again"
                          : "; waiting for a new commit or configuration (reconcile or "
                            "acknowledge proposes it again)") +
                     note,
                 /*needs_input=*/true);
    status_.UpdateProject(key, [](ProjectStatus& s) {
      s.pending_change_set.clear();
      s.pending_changes.clear();
      s.pending_template_diff.clear();
    });
    RunRecord run;
    run.started = clock_.Now();
    run.revision = pending.revision;
    run.action = pending.action;
    run.result = "rejected";
    run.message = "rejected by " + by + ": " + what + note;
    run.change_set = pending.change_set;
    run.approved_by = by;
    run.approved_at = run.started;
    status_.AddRun(key, run);
  }
  base::Log(LogLevel::kInfo, approved ? "change approved" : "change rejected",
            {{"project", key},
             {"stack", stack},
             {"revision", pending.revision},
             {"action", pending.action},
             {"change_set", pending.change_set},
             {"by", by}});
  Publish(approved ? EventKind::kApproved : EventKind::kRejected, key, stack, pending.revision,
          (approved ? "approved by " : "rejected by ") + by + ": " + what + note,
          pending.change_set, by);
}

void OutcomeRecorder::Superseded(const std::string& key, const std::string& stack,
                                 const PendingChange& old, const std::string& replacement) {
  if (replacement.empty()) {
    status_.UpdateProject(key, [](ProjectStatus& s) {
      s.pending_change_set.clear();
      s.pending_changes.clear();
      s.pending_template_diff.clear();
    });
  }
  const std::string description = old.change_set + " (revision " +
                                  reconcile::ShortRevision(old.revision) + ") is superseded: " +
                                  (replacement.empty() ? "the newer revision needs no approval"
                                                       : replacement + " waits instead");
  base::Log(LogLevel::kInfo, "approval superseded",
            {{"project", key},
             {"stack", stack},
             {"revision", old.revision},
             {"change_set", old.change_set},
             {"replacement", replacement}});
  Publish(EventKind::kSuperseded, key, stack, old.revision, description, old.change_set);
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
  bool news = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& last = drift_[key];
    news = drifted > 0 && last != detail;
    last = drifted > 0 ? detail : "";
  }
  if (news) {
    std::string revision;
    ProjectStatus project;
    if (status_.FindProject(key, &project)) revision = project.last_applied_revision;
    Publish(EventKind::kDriftDetected, key, stack, revision,
            std::to_string(drifted) + " resource(s) of stack " + stack + " drifted: " + detail);
  }
  if (drifted == 0) return;
  base::Log(LogLevel::kWarn, "stack drifted",
            {{"project", key}, {"stack", stack}, {"drift", detail}});
}

void OutcomeRecorder::DriftFailed(const std::string& key, const std::string& stack,
                                  const std::string& error) {
  base::Log(LogLevel::kWarn, "drift detection failed",
            {{"project", key}, {"stack", stack}, {"error", error}});
}

void OutcomeRecorder::Pruned(const std::string& repository, const std::string& stack,
                             const std::string& revision, bool succeeded,
                             const std::string& message, const std::string& key) {
  // The project is gone from git, so its stack names it (unless a delete waiting for approval
  // kept its key).
  Publish(succeeded ? EventKind::kPruned : EventKind::kDeployFailed,
          key.empty() ? repository + "/" + stack : key, stack, revision, message);
}

void OutcomeRecorder::Forget(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_.erase(key);
    drift_.erase(key);
  }
  status_.RemoveProject(key);
  if (metrics_ != nullptr) metrics_->RemoveProject(key);
}

}  // namespace ecsync::controller
