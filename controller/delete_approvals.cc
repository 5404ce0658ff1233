#include "controller/delete_approvals.h"

#include <utility>
#include <vector>

#include "base/log.h"
#include "controller/projects.h"
#include "controller/repository_pruner.h"
#include "reconcile/approval_gate.h"
#include "reconcile/stack_tags.h"

namespace ecsync::controller {

namespace {

using base::LogLevel;
using Phase = PendingDelete::Phase;

bool Waiting(const PendingDelete& pending) {
  return pending.phase == Phase::kAwaiting || pending.phase == Phase::kApproved;
}

PendingChange ChangeOf(const PendingDelete& pending) {
  PendingChange change;
  change.change_set = pending.identity;
  change.action = "delete";
  change.revision = pending.revision;
  change.project_gone = true;
  return change;
}

// One log line per prune run for each delete kept for an operator.
void LogKept(const std::string& key, const PendingDelete& pending) {
  const bool rejected = pending.phase == Phase::kRejected;
  base::Log(rejected ? LogLevel::kInfo : LogLevel::kWarn,
            rejected ? "prune keeps a stack whose delete was rejected"
                     : "prune waits for an operator: approval: manual",
            {{"repository", pending.repository},
             {"compose_file", pending.compose_path},
             {"project", key},
             {"stack", pending.stack},
             {"revision", pending.revision},
             {"change_set", pending.identity},
             {"what_to_do",
              rejected ? "nothing: the stack stays until a later commit removes the project "
                         "again (then its delete waits for approval again), or `ecsync down`"
                       : "approve or reject the delete: POST /api/v1/projects/<project>/approve "
                         "or /reject, or `ecsync approve <project> --server URL`; restore the "
                         "compose file to keep the project"}});
}

}  // namespace

bool DeleteApprovals::Approved(const std::string& repository,
                               const std::string& compose_path) const {
  std::lock_guard<std::mutex> lock(state_.mu);
  for (const auto& [key, pending] : state_.pending_deletes) {
    if (pending.repository == repository && pending.compose_path == compose_path) {
      return pending.phase == Phase::kApproved;
    }
  }
  return false;
}

DeleteApprovals::Entry DeleteApprovals::FindLocked(const std::string& repository,
                                                   const std::string& compose_path) {
  for (auto it = state_.pending_deletes.begin(); it != state_.pending_deletes.end(); ++it) {
    if (it->second.repository == repository && it->second.compose_path == compose_path) return it;
  }
  return state_.pending_deletes.end();
}

std::map<std::string, std::string> DeleteApprovals::Executed(const std::string& repository,
                                                             const std::set<std::string>& approved,
                                                             const reconcile::PruneReport& report) {
  std::map<std::string, std::string> keys;
  std::lock_guard<std::mutex> lock(state_.mu);
  for (const std::string& path : approved) {
    Entry found = FindLocked(repository, path);
    if (found == state_.pending_deletes.end()) continue;  // dropped meanwhile
    const std::string& key = found->first;
    PendingDelete& pending = found->second;
    FinishedRun finished;
    ProjectStatus shown;
    if (recorder_.status().FindProject(key, &shown)) finished.final_status = shown.stack_status;
    std::string failure;  // why a stack of the delete is still there
    for (const std::string& stack : pending.stacks) {
      keys[stack] = key;
      for (const reconcile::ReconcileReport& deleted : report.deleted) {
        if (deleted.stack_name != stack) continue;
        if (stack == pending.stack) finished.final_status = deleted.final_status;
        if (!deleted.succeeded) failure += (failure.empty() ? "" : "; ") + deleted.message;
      }
      for (const reconcile::PruneReport::Kept& kept : report.kept) {
        if (kept.stack == stack) failure += (failure.empty() ? "" : "; ") + kept.message;
      }
    }
    const reconcile::ApprovalGate approval = pending.approval;
    const std::string by = " (approved by " + approval.approved_by + " at " +
                           FormatTime(approval.approved_at) + ", " + pending.identity + ")";
    finished.run.started = deps_.clock->Now();
    finished.run.revision = pending.revision;
    finished.run.action = "delete";
    finished.run.change_set = pending.identity;
    finished.run.approved_by = approval.approved_by;
    finished.run.approved_at = approval.approved_at;
    finished.stack = pending.stack;
    finished.revision = pending.revision;
    finished.quiet = true;  // the prune run publishes each stack's pruned (or failed) event
    if (failure.empty()) {
      pending.phase = Phase::kDeleted;
      finished.run.result = "success";
      finished.run.message = "deleted stack " + pending.stack +
                             ": its project left git at revision " +
                             reconcile::ShortRevision(pending.revision) + by;
      finished.condition = Condition::kReady;
      finished.reason = finished.run.message;
      finished.succeeded = true;
      finished.final_status = "DELETE_COMPLETE";
    } else {
      // Asked again rather than retried on its own: the stack is not what was approved any
      // more (a failed delete, protection turned on).
      pending.phase = Phase::kAwaiting;
      pending.approval = {};
      finished.run.result = "failed";
      finished.run.message = failure + by;
      finished.condition = Condition::kAwaitingApproval;
      finished.reason = failure + "; the delete waits for approval again (approve to try again)";
    }
    recorder_.Finished(key, finished);
  }
  return keys;
}

bool DeleteApprovals::ShowLocked(const config::RepositoryConfig& repo, const std::string& revision,
                                 const std::string& compose_path,
                                 const reconcile::PlannedRemoval& plan) {
  const std::string& stack = plan.stacks.front();
  std::string key;
  for (const std::string& candidate :
       {ProjectKeyFor(repo, compose_path), repo.name + "/" + stack}) {
    if (!candidate.empty() && !state_.projects.contains(candidate) &&
        !state_.pending_deletes.contains(candidate)) {
      key = candidate;
      break;
    }
  }
  if (key.empty()) return false;
  PendingDelete& pending = state_.pending_deletes[key];
  pending.repository = repo.name;
  pending.compose_path = compose_path;
  pending.stack = stack;
  pending.stacks = plan.stacks;
  pending.revision = revision;
  pending.identity = reconcile::ApprovalIdentity("delete", revision, "");
  std::string stacks = stack;
  for (size_t i = 1; i < plan.stacks.size(); ++i) stacks += " and " + plan.stacks[i];
  PendingChange change = ChangeOf(pending);
  change.message = compose_path + " is gone at revision " + reconcile::ShortRevision(revision) +
                   "; deleting stack " + stacks + " (" + std::to_string(plan.changes.size()) +
                   " resource change(s)) waits for approval of " + pending.identity;
  for (const aws::ResourceChange& c : plan.changes) {
    change.changes.push_back({c.action, c.logical_id, c.resource_type, c.replacement});
  }
  recorder_.status().UpdateProject(key, [&](ProjectStatus& s) {
    s.repository = repo.name;
    s.name = key.substr(repo.name.size() + 1);
    s.stack = stack;
  });
  recorder_.AwaitingApproval(key, stack, change);
  FinishedRun finished;
  finished.run.started = deps_.clock->Now();
  finished.run.revision = revision;
  finished.run.action = "delete";
  finished.run.result = "awaiting_approval";
  finished.run.message = change.message;
  finished.run.change_set = pending.identity;
  finished.stack = stack;
  finished.revision = revision;
  finished.final_status = plan.status;
  finished.condition = Condition::kAwaitingApproval;
  finished.reason = change.message + "; approve or reject it (docs/manual-approval.md)";
  recorder_.Finished(key, finished);
  return true;
}

base::Status DeleteApprovals::Plan(const config::RepositoryConfig& repo,
                                   const std::string& revision,
                                   const std::set<std::string>& awaiting,
                                   const std::set<std::string>& retained) {
  // Whether `revision` is still what the repository's prune runs act on.
  auto current = [&] {
    auto it = state_.repos.find(repo.name);
    return it != state_.repos.end() && it->second->commit == revision;
  };
  std::vector<std::string> fresh;  // paths of `awaiting` without a delete kept for them
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    if (!current()) return base::Status::Ok();
    DropLocked(
        state_, recorder_, repo.name,
        [&](const std::string&, const PendingDelete& pending) {
          return !awaiting.contains(pending.compose_path) &&
                 !retained.contains(pending.compose_path);
        },
        /*announce=*/true);
    for (const std::string& path : awaiting) {
      Entry found = FindLocked(repo.name, path);
      if (found == state_.pending_deletes.end()) {
        fresh.push_back(path);
      } else {
        LogKept(found->first, found->second);
      }
    }
  }
  base::Status result = base::Status::Ok();
  for (const std::string& path : fresh) {
    // AWS calls: without the lock.
    base::Result<reconcile::PlannedRemoval> plan = engine_.PlanRemoval(repo.url, path);
    if (!plan.ok()) {
      result = plan.status();
      continue;
    }
    if (plan->stacks.empty()) continue;  // gone since the prune run listed it
    std::lock_guard<std::mutex> lock(state_.mu);
    if (!current() || FindLocked(repo.name, path) != state_.pending_deletes.end()) continue;
    if (!ShowLocked(repo, revision, path, *plan)) {
      base::Log(LogLevel::kWarn, "prune waits for an operator: approval: manual",
                {{"repository", repo.name},
                 {"compose_file", path},
                 {"stack", plan->stacks.front()},
                 {"what_to_do",
                  "its project's key is taken by another project, so its delete cannot be "
                  "approved through the API: delete it with `ecsync down` once agreed"}});
      continue;
    }
    Entry shown = FindLocked(repo.name, path);
    LogKept(shown->first, shown->second);
  }
  return result;
}

std::optional<base::Result<ChangeDecision>> DeleteApprovals::Decide(const std::string& key,
                                                                    const std::string& by,
                                                                    bool reject) {
  std::string repository;
  ChangeDecision decision;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.pending_deletes.find(key);
    if (it == state_.pending_deletes.end()) return std::nullopt;
    PendingDelete& pending = it->second;
    const std::string what = "the delete of stack " + pending.stack +
                             " (its project left git at revision " +
                             reconcile::ShortRevision(pending.revision) + ")";
    if (pending.phase == Phase::kRejected) {
      return base::ConflictError(what + " was rejected by " + pending.approval.approved_by +
                                 "; nothing waits until a later commit removes the project "
                                 "again");
    }
    if (pending.phase == Phase::kDeleted) {
      return base::ConflictError(what + " is done (approved by " + pending.approval.approved_by +
                                 "); nothing waits");
    }
    pending.phase = reject ? Phase::kRejected : Phase::kApproved;
    pending.approval.required = true;
    pending.approval.change_set = pending.identity;
    pending.approval.approved_by = by;
    pending.approval.approved_at = deps_.clock->Now();
    // Under the lock: a prune run or the project's return must not interleave its own
    // status updates with these.
    recorder_.Decided(key, pending.stack, ChangeOf(pending), by, /*approved=*/!reject, "");
    repository = pending.repository;
    decision.waiting = true;
    decision.change_set = pending.identity;
    decision.action = "delete";
    decision.revision = pending.revision;
  }
  if (!reject) queue_.Add(repository + kPruneSuffix);
  return decision;
}

void DeleteApprovals::DropLocked(
    ControllerState& state, OutcomeRecorder& recorder, const std::string& repository,
    const std::function<bool(const std::string& key, const PendingDelete&)>& drop, bool announce) {
  for (auto it = state.pending_deletes.begin(); it != state.pending_deletes.end();) {
    const std::string& key = it->first;
    const PendingDelete& pending = it->second;
    if (pending.repository != repository || !drop(key, pending)) {
      ++it;
      continue;
    }
    if (announce && Waiting(pending))
      recorder.Superseded(key, pending.stack, ChangeOf(pending), "");
    if (!state.projects.contains(key)) recorder.Forget(key);
    it = state.pending_deletes.erase(it);
  }
}

}  // namespace ecsync::controller
