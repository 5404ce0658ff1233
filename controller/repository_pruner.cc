#include "controller/repository_pruner.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "base/log.h"
#include "controller/projects.h"

namespace ecsync::controller {

using base::LogLevel;

WorkQueue::Outcome RepositoryPruner::Run(const std::string& repository) {
  config::RepositoryConfig repo;
  reconcile::RepositoryPrune request;
  std::set<std::string> suspended;  // compose paths of projects an operator suspended
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.repos.find(repository);
    if (it == state_.repos.end() || it->second->commit.empty()) return WorkQueue::Outcome::kDone;
    repo = it->second->config;
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
  request.repo_url = repo.url;
  request.allow_delete_all = repo.allow_prune_all;
  request.wait.poll_interval = deps_.stack_poll_interval;
  request.wait.timeout = repo.timeout;
  request.wait.interrupted = &state_.stopping;
  request.refresh_listing = state_.refresh_on_poll.load();
  // Stacks whose deploy windows are closed, by compose path, with the verdict.
  std::map<std::string, schedule::Gate> held;
  // Stacks of entries with approval: manual: never deleted without an operator.
  std::set<std::string> awaiting;
  const auto now = deps_.clock->Now();
  request.keep = [&repo, &held, &suspended, &awaiting, now](const std::string& compose_path) {
    if (KeepWhenGone(repo, compose_path) || suspended.contains(compose_path)) return true;
    if (ApprovalRequiredFor(repo, compose_path)) {
      awaiting.insert(compose_path);
      return true;
    }
    const std::vector<schedule::Window> windows = WindowsForPath(repo, compose_path);
    if (windows.empty()) return false;
    schedule::Gate gate = schedule::Evaluate(windows, now);
    if (gate.open) return false;
    held.emplace(compose_path, std::move(gate));
    return true;
  };
  if (deps_.fence_for) {
    // Replicas sharing the projects: only the repository's owner prunes, within its fence.
    if (!deps_.fence_for(repo.url)) return WorkQueue::Outcome::kDone;
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
  for (const std::string& path : awaiting) {
    base::Log(LogLevel::kWarn, "prune waits for an operator: approval: manual",
              {{"repository", repository},
               {"compose_file", path},
               {"revision", commit},
               {"what_to_do",
                "the stack stays; delete it with `ecsync down <stack>` once agreed, "
                "or restore the compose file"}});
  }
  if (reopen) {
    queue_.AddAfter(repository + kPruneSuffix,
                    std::chrono::ceil<std::chrono::milliseconds>(*reopen - now));
  }
  if (!listed) return WorkQueue::Outcome::kRetry;
  if (!pruned.ok()) {
    status_.UpdateRepository(
        repository, [&](RepositoryStatus& s) { s.last_error = pruned.status().message(); });
    base::Log(
        LogLevel::kError, "pruning refused or failed",
        {{"repository", repository}, {"revision", commit}, {"error", pruned.status().message()}});
    return pruned.status().kind() == base::ErrorKind::kConflict ? WorkQueue::Outcome::kDone
                                                                : WorkQueue::Outcome::kRetry;
  }
  for (const std::string& line : pruned->kept) {
    base::Log(LogLevel::kWarn, line, {{"repository", repository}, {"revision", commit}});
  }
  for (const reconcile::ReconcileReport& deleted : pruned->deleted) {
    base::Log(deleted.succeeded ? LogLevel::kInfo : LogLevel::kError, deleted.message,
              {{"repository", repository}, {"stack", deleted.stack_name}, {"revision", commit}});
    recorder_.Pruned(repository, deleted.stack_name, commit, deleted.succeeded, deleted.message);
  }
  return WorkQueue::Outcome::kDone;
}

}  // namespace ecsync::controller
