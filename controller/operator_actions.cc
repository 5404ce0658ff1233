// The controller's operator actions (ReconcileNow, Suspend, Resume, Acknowledge,
// ApproveDeployment): what the operator API asks of the loop. Kept apart from controller.cc, which
// wires the loop.
#include "controller/controller.h"

#include <optional>

namespace ecsync::controller {

namespace {

base::Status UnknownProject(const std::string& key) {
  return base::NotFoundError("no project " + key);
}

}  // namespace

void Controller::ShowSuspensionLocked(const std::string& key) {
  auto it = state_.projects.find(key);
  if (it == state_.projects.end()) return;  // gone from git: nothing shows it
  status_.UpdateProject(
      key, [&](ProjectStatus& s) { state_.ShowSuspension(key, it->second->spec, &s); });
}

base::Status Controller::ReconcileNow(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end()) return UnknownProject(key);
    const ProjectState& project = *it->second;
    if (state_.Suspended(key, project.spec)) {
      return base::ConflictError("the project is suspended; resume it first");
    }
    auto repo = state_.repos.find(project.spec.repository);
    if (repo == state_.repos.end()) return UnknownProject(key);
    // The poller checks the repository first (past its backoff, like a configuration change)
    // and then queues the project with `force`.
    repo->second->reconcile_requested.insert(key);
    repo->second->check_now = true;
  }
  state_.poll_cv.notify_all();
  return base::Status::Ok();
}

base::Status Controller::Suspend(const std::string& key, const std::string& by) {
  std::lock_guard<std::mutex> lock(state_.mu);
  auto it = state_.projects.find(key);
  if (it == state_.projects.end()) return UnknownProject(key);
  const ProjectSpec& spec = it->second->spec;
  state_.suspensions.try_emplace(key, OperatorSuspension{.repository = spec.repository,
                                                         .compose_path = spec.files.front(),
                                                         .by = by,
                                                         .at = deps_.clock->Now()});
  ShowSuspensionLocked(key);
  return base::Status::Ok();
}

base::Status Controller::Resume(const std::string& key) {
  std::string prune;  // the repository whose prune run is owed, when the project left git
  bool reconcile = false;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto suspension = state_.suspensions.find(key);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end() && suspension == state_.suspensions.end()) {
      return UnknownProject(key);
    }
    if (suspension != state_.suspensions.end()) {
      if (it == state_.projects.end()) prune = suspension->second.repository;
      state_.suspensions.erase(suspension);
    }
    if (it != state_.projects.end()) {
      ShowSuspensionLocked(key);
      // Commits that arrived meanwhile were recorded but not applied: catch up now.
      reconcile = !it->second->spec.suspend;
    }
  }
  if (reconcile) queue_->Add(key);
  if (!prune.empty()) queue_->Add(prune + kPruneSuffix);
  return base::Status::Ok();
}

base::Status Controller::Acknowledge(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end()) return UnknownProject(key);
    ProjectState& project = *it->second;
    if (project.condition != Condition::kStalled) {
      return base::ConflictError(std::string("the project is not stalled (it is ") +
                                 ConditionName(project.condition) + "); nothing to acknowledge");
    }
    if (state_.Suspended(key, project.spec)) {
      return base::ConflictError("the project is suspended; resume it first");
    }
    project.failed_fingerprint.clear();
    project.failed_until = {};
    project.failed_deploys = 0;
    project.waiting_fingerprint.clear();
  }
  // Forget drops the queue's own retry backoff (transient errors); Add runs the key now.
  queue_->Forget(key);
  queue_->Add(key);
  return base::Status::Ok();
}

base::Result<Controller::ChangeDecision> Controller::DecideChange(const std::string& key,
                                                                  const std::string& by,
                                                                  bool reject) {
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    known = state_.projects.contains(key);
  }
  if (!known) {
    // Perhaps the delete of a project that left git, kept under the key it had.
    std::optional<base::Result<ChangeDecision>> kept = delete_approvals_->Decide(key, by, reject);
    return kept ? *std::move(kept) : base::Result<ChangeDecision>(UnknownProject(key));
  }
  ChangeDecision decision;
  std::string stack;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end()) return UnknownProject(key);
    ProjectState& project = *it->second;
    if (project.pending.change_set.empty()) return decision;
    decision.waiting = true;
    decision.change_set = project.pending.change_set;
    decision.action = project.pending.action;
    decision.revision = project.pending.revision;
    stack = project.spec.stack_name;
    if (reject) {
      // Not proposed again until a new commit or configuration (or an operator's reconcile
      // or acknowledge, which clear this).
      project.failed_fingerprint = project.pending.fingerprint;
      project.failed_until = std::chrono::steady_clock::time_point::max();
      project.pending = {};
      project.approval = {};
      project.condition = Condition::kStalled;
    } else {
      project.approval.required = true;
      project.approval.change_set = decision.change_set;
      project.approval.approved_by = by;
      project.approval.approved_at = deps_.clock->Now();
    }
  }
  const PendingChange pending{decision.change_set, decision.action, decision.revision, "", {}, {}};
  if (reject && decision.action == "update") {
    if (base::Status deleted = engine_->DiscardChangeSet(stack, decision.change_set);
        !deleted.ok()) {
      decision.note = "; the change set could not be deleted: " + deleted.message();
    }
  }
  recorder_.Decided(key, stack, pending, by, /*approved=*/!reject, decision.note);
  if (!reject) queue_->Add(key);
  return decision;
}

base::Result<reconcile::ApprovalReport> Controller::ApproveDeployment(const std::string& key,
                                                                      bool rollback) {
  std::string stack;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(key);
    if (it == state_.projects.end()) return UnknownProject(key);
    stack = it->second->spec.stack_name;
  }
  return engine_->Approve(stack, "", rollback);
}

}  // namespace ecsync::controller
