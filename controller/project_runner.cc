#include "controller/project_runner.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "base/log.h"

namespace ecsync::controller {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kFailedRevisionBackoff = std::chrono::minutes(10);
constexpr milliseconds kMaxFailedRevisionBackoff = std::chrono::hours(6);

std::string ResultWord(const reconcile::ReconcileReport& report) {
  if (!report.succeeded) return "failed";
  return report.action == reconcile::Action::kNone ? "noop" : "success";
}

// The log lines of a run's progress, each naming the project, stack and revision.
reconcile::ProgressSink LogSink(const std::string& key, const std::string& stack,
                                const std::string& revision, StatusStore& status) {
  return [key, stack, revision, &status](const reconcile::ProgressEvent& event) {
    // The latest line, for the status UI's live view.
    status.UpdateProject(key, [&](ProjectStatus& p) {
      p.progress = reconcile::FormatText(event);
      if (event.kind == reconcile::ProgressEvent::Kind::kResource && event.logical_id == stack &&
          event.resource_type == "AWS::CloudFormation::Stack") {
        p.stack_status = event.status;
      }
    });
    if (event.kind == reconcile::ProgressEvent::Kind::kResource) {
      base::Log(base::LogLevel::kInfo, event.status,
                {{"project", key},
                 {"stack", stack},
                 {"revision", revision},
                 {"resource", event.logical_id},
                 {"type", event.resource_type},
                 {"reason", event.reason}});
    } else {
      base::Log(base::LogLevel::kInfo, event.message,
                {{"project", key}, {"stack", stack}, {"revision", revision}});
    }
  };
}

}  // namespace

void ProjectRunner::SetCondition(const std::string& key, Condition condition) {
  std::lock_guard<std::mutex> lock(state_.mu);
  auto it = state_.projects.find(key);
  if (it != state_.projects.end()) it->second->condition = condition;
}

WorkQueue::Outcome ProjectRunner::Run(const std::string& key) {
  ProjectState state;
  bool drift_due = false;
  std::optional<milliseconds> listing_trust;
  reconcile::ReconcileOptions options;
  bool suspended = false;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end()) return WorkQueue::Outcome::kDone;
    state = *it->second;
    it->second->force = false;
    it->second->operator_requested = false;
    suspended = state_.Suspended(key, state.spec);
    // A listing older than deps_.snapshot_trust is not trusted for a no-op decision (drift
    // checks and retries come long after the poll that listed); the reconcile then asks for
    // its one stack. RunOnce trusts the listing it took at its start for the whole run.
    if (state_.refresh_on_poll.load()) listing_trust = deps_.snapshot_trust;
    const milliseconds drift_interval = state_.config.drift_interval;
    drift_due = drift_interval.count() > 0 &&
                (state.drift_requested || deps_.clock->SteadyNow() >= state.next_drift);
    it->second->drift_requested = false;
    it->second->window_override = false;  // one run only
    options.template_bucket = state_.config.aws.template_bucket;
    // The configured network; the engine completes it (and looks it up again after a
    // reload names another one).
    options.network.vpc_id = state_.config.aws.vpc_id;
    options.network.subnet_ids = state_.config.aws.subnet_ids;
    if (state.spec.manual_approval) {
      options.approval = state.approval;
      options.approval.required = true;
    }
  }
  const ProjectSpec& spec = state.spec;
  if (suspended) {
    SetCondition(key, state.condition);
    recorder_.Skipped(key, state.condition, "suspended: not reconciled until resumed");
    return WorkQueue::Outcome::kDone;
  }
  // Replicas sharing the projects: asked again right before the run, whose every write to
  // CloudFormation then obeys the fence.
  if (deps_.fence_for) {
    if (!deps_.fence_for(state.repo_url)) {
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.FenceClosed(state.repo_url);
      return WorkQueue::Outcome::kDone;
    }
    options.fence = [fence_for = deps_.fence_for, url = state.repo_url] { return fence_for(url); };
  }
  const std::string fingerprint = state.commit + "/" + spec.config_digest;
  auto now = deps_.clock->SteadyNow();
  if (!state.force && fingerprint == state.failed_fingerprint && now < state.failed_until) {
    // A failed revision waits for its backoff, a new commit or a configuration change.
    queue_.AddAfter(key, std::chrono::duration_cast<milliseconds>(state.failed_until - now));
    return WorkQueue::Outcome::kDone;
  }

  if (HoldForWindows(key, state, fingerprint)) return WorkQueue::Outcome::kDone;

  SetCondition(key, Condition::kReconciling);
  recorder_.Started(key, spec.stack_name, state.commit);
  options.repo_url = state.repo_url;
  options.ref = state.ref;
  options.commit = state.commit;
  options.compose_path = spec.files.front();
  options.extra_files.assign(spec.files.begin() + 1, spec.files.end());
  options.profiles = spec.profiles;
  options.env_file = spec.env_file;
  options.environment = spec.variables;
  options.stack_name = spec.stack_name;
  // The compose project name (template resource names) comes from the file, as with the CLI.
  options.force = state.force;
  options.wait.poll_interval = deps_.stack_poll_interval;
  options.wait.timeout = spec.timeout;
  options.wait.interrupted = &state_.stopping;
  options.images = spec.images;  // asked once per run: a wait re-queues, holding no worker

  const auto started_wall = deps_.clock->Now();
  const auto started = deps_.clock->SteadyNow();
  // The first resource change or stack event means the run is changing a stack.
  bool changing = false;
  reconcile::ProgressSink log = LogSink(key, spec.stack_name, state.commit, recorder_.status());
  reconcile::ProgressSink sink = [&](const reconcile::ProgressEvent& event) {
    log(event);
    if (!changing && event.kind != reconcile::ProgressEvent::Kind::kStep) {
      changing = true;
      recorder_.DeployStarted(key, spec.stack_name, state.commit);
    }
  };
  base::Result<reconcile::ReconcileReport> result = engine_.Reconcile(
      std::move(options), state.git ? *state.git : *deps_.git, sink, listing_trust);

  FinishedRun finished;
  finished.run.started = started_wall;
  finished.run.seconds = std::chrono::duration<double>(deps_.clock->SteadyNow() - started).count();
  finished.run.revision = state.commit;
  WorkQueue::Outcome outcome = WorkQueue::Outcome::kDone;
  if (!result.ok()) {
    const base::Status& status = result.status();
    finished.run.action = "none";
    finished.run.result = "error";
    finished.run.message = status.message();
    finished.stack = spec.stack_name;
    finished.revision = state.commit;
    finished.condition = Condition::kStalled;
    const bool permanent =
        status.kind() == base::ErrorKind::kInvalid || status.kind() == base::ErrorKind::kConflict;
    if (state_.stopping.load()) {
      // Shutting down: the stack (if an operation runs) carries on and is resumed next start.
      finished.condition = Condition::kReconciling;
      finished.reason = "interrupted by shutdown: " + status.message();
      finished.interrupted = true;
    } else if (permanent) {
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        auto it = state_.projects.find(key);
        if (it != state_.projects.end()) {
          it->second->failed_fingerprint = fingerprint;
          it->second->failed_until = std::chrono::steady_clock::time_point::max();
        }
      }
      finished.reason = status.message() + " (waiting for a new commit or configuration)";
      finished.needs_input = true;
    } else {
      finished.reason = "will retry: " + status.message();
      outcome = WorkQueue::Outcome::kRetry;
    }
  } else if (!result->missing_images.empty()) {
    WaitForImages(key, fingerprint, spec, *result, &finished);
  } else if (result->awaiting_approval) {
    AwaitApproval(key, fingerprint, spec, *result, &finished);
  } else {
    SettleApproval(key, spec, *result, &finished);
    const reconcile::ReconcileReport& report = *result;
    finished.run.action = reconcile::ActionName(report.action);
    finished.run.result = ResultWord(report);
    if (finished.run.message.empty()) finished.run.message = report.message;
    finished.stack = report.stack_name;
    finished.revision = report.revision;
    finished.succeeded = report.succeeded;
    finished.final_status = report.final_status;
    if (!report.changes.empty() || !report.template_diff.empty()) {
      std::vector<ChangeRecord> changes;
      for (const aws::ResourceChange& change : report.changes) {
        changes.push_back(
            {change.action, change.logical_id, change.resource_type, change.replacement});
      }
      recorder_.status().UpdateProject(key, [&](ProjectStatus& p) {
        p.last_changes = std::move(changes);
        p.last_template_diff = report.template_diff;
        p.last_changes_revision = report.revision;
      });
    }
    if (report.succeeded) {
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        auto it = state_.projects.find(key);
        if (it != state_.projects.end()) {
          it->second->failed_fingerprint.clear();
          it->second->failed_deploys = 0;
          it->second->waiting_fingerprint.clear();
          it->second->applied_fingerprint = fingerprint;
        }
      }
      finished.condition = Condition::kReady;
      finished.reason = report.message;
    } else {
      milliseconds backoff = kFailedRevisionBackoff;
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        auto it = state_.projects.find(key);
        if (it != state_.projects.end()) {
          ProjectState& p = *it->second;
          for (int i = 0; i < p.failed_deploys && backoff < kMaxFailedRevisionBackoff; ++i) {
            backoff *= 2;
          }
          backoff = std::min(backoff, kMaxFailedRevisionBackoff);
          ++p.failed_deploys;
          p.failed_fingerprint = fingerprint;
          p.failed_until = deps_.clock->SteadyNow() + backoff;
        }
      }
      finished.condition = Condition::kStalled;
      finished.reason =
          report.message + " (retried in " +
          std::to_string(std::chrono::duration_cast<std::chrono::minutes>(backoff).count()) +
          " min, or on a new commit)";
      queue_.AddAfter(key, backoff);
    }
  }
  SetCondition(key, finished.condition);
  recorder_.Finished(key, finished);
  if (drift_due && result.ok() && result->succeeded && !state_.stopping.load()) {
    CheckDrift(key, spec);
  }
  return outcome;
}

bool ProjectRunner::HoldForWindows(const std::string& key, const ProjectState& state,
                                   const std::string& fingerprint) {
  // A run of what is deployed already changes nothing (a drift check's run): not held.
  const bool changes = state.force || fingerprint != state.applied_fingerprint;
  if (!changes || state.spec.windows.empty()) return false;
  const std::string trigger = state.force ? "self-heal" : "revision";
  if (state.window_override) {
    recorder_.Released(key, state.commit, "operator override");
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) it->second->held = false;
    return false;
  }
  const auto now = deps_.clock->Now();
  const schedule::Gate gate = schedule::Evaluate(state.spec.windows, now);
  if (gate.open) {
    if (!state.held) return false;
    recorder_.Released(key, state.commit, "window opened");
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) it->second->held = false;
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) {
      ProjectState& p = *it->second;
      p.held = true;
      p.condition = Condition::kHeld;
      p.force = p.force || state.force;  // a self-heal stays owed
    }
  }
  if (gate.opens_at) {
    // The queue's timer wakes the project at the opening instant, not at the next poll. It
    // is set before the hold is published: the delay is counted from `now`, and a clock
    // that jumps once the status says Held (a test's FakeClock) must find the timer set
    // already, or the timer would start after the jump and wait the whole hold again.
    queue_.AddAfter(key, std::chrono::ceil<milliseconds>(*gate.opens_at - now));
  }
  recorder_.Held(key, state.spec.stack_name, state.commit, trigger, gate);
  return true;
}

void ProjectRunner::AwaitApproval(const std::string& key, const std::string& fingerprint,
                                  const ProjectSpec& spec, const reconcile::ReconcileReport& report,
                                  FinishedRun* finished) {
  ProjectState::PendingApproval old;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) {
      ProjectState& p = *it->second;
      if (p.pending.change_set != report.change_set) {
        old = p.pending;
        p.approval = {};  // an approval of another change does not carry over
      }
      p.pending = {report.change_set, reconcile::ActionName(report.action), report.revision,
                   fingerprint};
    }
  }
  if (!old.change_set.empty()) Supersede(key, spec, old, report.change_set);
  PendingChange pending{report.change_set,
                        reconcile::ActionName(report.action),
                        report.revision,
                        report.message,
                        {},
                        report.template_diff};
  for (const aws::ResourceChange& change : report.changes) {
    pending.changes.push_back(
        {change.action, change.logical_id, change.resource_type, change.replacement});
  }
  recorder_.AwaitingApproval(key, report.stack_name, pending);
  finished->run.action = pending.action;
  finished->run.result = "awaiting_approval";
  finished->run.message = report.message;
  finished->run.change_set = report.change_set;
  finished->stack = report.stack_name;
  finished->revision = report.revision;
  finished->final_status = report.final_status;
  finished->condition = Condition::kAwaitingApproval;
  finished->reason = report.message + "; approve or reject it (docs/manual-approval.md)";
}

void ProjectRunner::SettleApproval(const std::string& key, const ProjectSpec& spec,
                                   const reconcile::ReconcileReport& report,
                                   FinishedRun* finished) {
  ProjectState::PendingApproval done;
  reconcile::ApprovalGate gate;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end()) return;
    done = std::exchange(it->second->pending, {});
    gate = std::exchange(it->second->approval, {});
  }
  if (!report.approved_change_set.empty()) {
    finished->run.change_set = report.approved_change_set;
    finished->run.approved_by = gate.approved_by;
    finished->run.approved_at = gate.approved_at;
    finished->run.message = report.message + " (approved by " + gate.approved_by + " at " +
                            FormatTime(gate.approved_at) + ", " + report.approved_change_set + ")";
  } else if (!done.change_set.empty()) {
    // The revision now deployed changes nothing (or approval was turned off).
    Supersede(key, spec, done, "");
  }
}

void ProjectRunner::Supersede(const std::string& key, const ProjectSpec& spec,
                              const ProjectState::PendingApproval& old,
                              const std::string& replacement) {
  if (old.action == "update") {
    if (base::Status deleted = engine_.DiscardChangeSet(spec.stack_name, old.change_set);
        !deleted.ok()) {
      base::Log(base::LogLevel::kWarn, "could not delete a superseded change set",
                {{"project", key}, {"change_set", old.change_set}, {"error", deleted.message()}});
    }
  }
  recorder_.Superseded(key, spec.stack_name,
                       PendingChange{old.change_set, old.action, old.revision, "", {}, {}},
                       replacement);
}

void ProjectRunner::WaitForImages(const std::string& key, const std::string& fingerprint,
                                  const ProjectSpec& spec, const reconcile::ReconcileReport& report,
                                  FinishedRun* finished) {
  finished->run.action = "none";
  finished->run.result = "waiting";
  finished->run.message = report.message;
  finished->stack = report.stack_name;
  finished->revision = report.revision;
  const auto now = deps_.clock->SteadyNow();
  milliseconds waited{0};
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) {
      ProjectState& p = *it->second;
      if (p.waiting_fingerprint != fingerprint) {
        // A new commit or configuration starts its own wait.
        p.waiting_fingerprint = fingerprint;
        p.waiting_since = now;
      }
      waited = std::chrono::duration_cast<milliseconds>(now - p.waiting_since);
      if (waited >= spec.images.wait) {
        p.failed_fingerprint = fingerprint;
        p.failed_until = std::chrono::steady_clock::time_point::max();
      }
    }
  }
  if (waited >= spec.images.wait) {
    finished->condition = Condition::kStalled;
    finished->needs_input = true;
    finished->reason =
        report.message + "; gave up after " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count()) +
        "s (images.wait): waiting for a new commit or configuration";
    return;
  }
  finished->condition = Condition::kWaitingForImages;
  finished->reason =
      report.message + "; checked again every " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(spec.images.poll_interval).count()) +
      "s";
  queue_.AddAfter(key, spec.images.poll_interval);
}

void ProjectRunner::CheckDrift(const std::string& key, const ProjectSpec& spec) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) {
      it->second->next_drift = deps_.clock->SteadyNow() + state_.config.drift_interval;
    }
  }
  reconcile::WaitOptions wait;
  wait.poll_interval = deps_.stack_poll_interval;
  wait.timeout = std::chrono::minutes(10);
  wait.interrupted = &state_.stopping;
  auto report = engine_.DetectDrift(spec.stack_name, wait);
  if (!report.ok()) {
    recorder_.DriftFailed(key, spec.stack_name, report.status().message());
    return;
  }
  recorder_.DriftChecked(key, spec.stack_name, *report);
  if (report->drifted.empty() || !spec.self_heal) return;
  // Re-apply the revision: CloudFormation puts drifted properties back.
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it != state_.projects.end()) it->second->force = true;
  }
  queue_.Add(key);
}

}  // namespace ecsync::controller
