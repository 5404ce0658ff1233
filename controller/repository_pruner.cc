#include "controller/repository_pruner.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/log.h"
#include "controller/projects.h"

namespace ecsync::controller {

using base::LogLevel;

WorkQueue::Outcome RepositoryPruner::Run(const std::string& repository) {
  config::RepositoryConfig repo;
  reconcile::RepositoryPrune request;
  std::shared_ptr<git::GitSource> own_git;  // the entry's view of git; null: deps_.git
  std::set<std::string> suspended;          // compose paths of projects an operator suspended
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.repos.find(repository);
    if (it == state_.repos.end() || it->second->commit.empty()) return WorkQueue::Outcome::kDone;
    repo = it->second->config;
    own_git = it->second->git;
    request.revision = it->second->commit;
    for (const std::string& key : it->second->project_keys) {
      auto p = state_.projects.find(key);
      if (p == state_.projects.end()) continue;
      request.desired_paths.insert(p->second->spec.files.front());
    }
    for (const auto& [key, suspension] : state_.suspensions) {
      if (suspension.repository == repository) suspended.insert(suspension.compose_path);
    }
  }
  const std::string& commit = request.revision;
  git::GitSource* git = own_git ? own_git.get() : deps_.git;
  request.repo_url = repo.url;
  request.allow_delete_all = repo.allow_prune_all;
  request.wait.poll_interval = deps_.stack_poll_interval;
  request.wait.timeout = repo.timeout;
  request.wait.interrupted = &state_.stopping;
  request.refresh_listing = state_.refresh_on_poll.load();
  // Stacks whose deploy windows are closed, by compose path, with the verdict.
  std::map<std::string, schedule::Gate> held;
  // Stacks of entries with approval: manual: kept for an operator, or deleted now because one
  // approved (DeleteApprovals). Windows apply first, as to a project's changes.
  std::set<std::string> awaiting;
  std::set<std::string> approved;
  const auto now = deps_.clock->Now();
  bool unreadable = false;  // the revision could not be read: the run is tried again
  request.keep = [&](const std::string& compose_path) -> std::optional<std::string> {
    // Only git decides what is gone: a file still in the revision that no configuration
    // entry deploys (its entry was removed, or its glob or files changed) keeps its stack.
    base::Result<std::optional<std::string>> file = git->ReadFile(repo.url, commit, compose_path);
    if (!file.ok()) {
      unreadable = true;
      return "its compose file " + compose_path + " could not be read at revision " +
             commit.substr(0, 12) + " (" + file.status().message() + "); tried again later";
    }
    if (file->has_value()) {
      return "its compose file " + compose_path + " is still in git at revision " +
             commit.substr(0, 12) +
             " but no entry of the configuration deploys it; the configuration never deletes "
             "stacks: remove the file in git to prune the stack, or delete it by hand with "
             "`ecsync down`";
    }
    if (suspended.contains(compose_path)) return "its project is gone from git but is suspended";
    if (KeepWhenGone(repo, compose_path)) {
      return "its project is gone from git but its entry has prune: false (or suspend: true)";
    }
    const std::vector<schedule::Window> windows = WindowsForPath(repo, compose_path);
    if (!windows.empty()) {
      schedule::Gate gate = schedule::Evaluate(windows, now);
      if (!gate.open) {
        std::string until = gate.opens_at ? FormatTime(*gate.opens_at) : "never";
        held.emplace(compose_path, std::move(gate));
        return "its project is gone from git but a deploy window holds the delete (until " + until +
               ")";
      }
    }
    if (!ApprovalRequiredFor(repo, compose_path)) return std::nullopt;
    if (approvals_.Approved(repository, compose_path)) {
      approved.insert(compose_path);
      return std::nullopt;
    }
    awaiting.insert(compose_path);
    return "its project is gone from git and its entry has approval: manual; the delete waits "
           "for an operator";
  };
  if (deps_.fence_for) {
    // Replicas sharing the projects: only the repository's owner prunes, within its fence.
    if (!deps_.fence_for(repo.url)) {
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.FenceClosed(repo.url);
      return WorkQueue::Outcome::kDone;
    }
    request.fence = [fence_for = deps_.fence_for, url = repo.url] { return fence_for(url); };
  }
  bool listed = true;
  auto pruned = engine_.PruneRepository(request, &listed);
  std::optional<std::chrono::system_clock::time_point> reopen;
  for (const auto& [path, gate] : held) {
    base::Log(LogLevel::kInfo, "prune held by deploy window",
              {{"repository", repository},
               {"compose_file", path},
               {"revision", commit},
               {"until", gate.opens_at ? FormatTime(*gate.opens_at) : "never"},
               {"reason", gate.reason}});
    if (gate.opens_at) reopen = reopen ? std::min(*reopen, *gate.opens_at) : *gate.opens_at;
  }
  if (reopen) {
    queue_.AddAfter(repository + kPruneSuffix,
                    std::chrono::ceil<std::chrono::milliseconds>(*reopen - now));
  }
  if (!listed || unreadable) return WorkQueue::Outcome::kRetry;
  if (!pruned.ok()) {
    status_.UpdateRepository(
        repository, [&](RepositoryStatus& s) { s.last_error = pruned.status().message(); });
    base::Log(
        LogLevel::kError, "pruning refused or failed",
        {{"repository", repository}, {"revision", commit}, {"error", pruned.status().message()}});
    return pruned.status().kind() == base::ErrorKind::kConflict ? WorkQueue::Outcome::kDone
                                                                : WorkQueue::Outcome::kRetry;
  }
  for (const reconcile::PruneReport::Kept& kept : pruned->kept) {
    base::Log(LogLevel::kWarn, kept.message,
              {{"repository", repository}, {"stack", kept.stack}, {"revision", commit}});
  }
  // The approved deletes are shown under their project's key, and so are their events.
  const std::map<std::string, std::string> keys =
      approvals_.Executed(repository, approved, *pruned);
  for (const reconcile::ReconcileReport& deleted : pruned->deleted) {
    base::Log(deleted.succeeded ? LogLevel::kInfo : LogLevel::kError, deleted.message,
              {{"repository", repository}, {"stack", deleted.stack_name}, {"revision", commit}});
    auto key = keys.find(deleted.stack_name);
    recorder_.Pruned(repository, deleted.stack_name, commit, deleted.succeeded, deleted.message,
                     key == keys.end() ? "" : key->second);
  }
  std::set<std::string> retained = approved;
  for (const auto& [path, gate] : held) retained.insert(path);
  if (base::Status planned = approvals_.Plan(repo, commit, awaiting, retained); !planned.ok()) {
    base::Log(LogLevel::kWarn, "planning a delete that waits for approval failed",
              {{"repository", repository}, {"revision", commit}, {"error", planned.message()}});
    return WorkQueue::Outcome::kRetry;
  }
  return WorkQueue::Outcome::kDone;
}

}  // namespace ecsync::controller
