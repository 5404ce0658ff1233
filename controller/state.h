#pragma once

// The controller's memory of its repositories and projects, shared by the façade
// (configuration, webhooks), the poller and the project runner.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "controller/poll_backoff.h"
#include "controller/projects.h"
#include "controller/status.h"
#include "git/source.h"
#include "reconcile/approval_gate.h"

namespace ecsync::controller {

// Per repository.
struct RepoState {
  config::RepositoryConfig config;
  // This entry's own view of git (its credentials, its cache); null: ControllerDeps::git.
  std::shared_ptr<git::GitSource> git;
  std::chrono::steady_clock::time_point next_poll{};  // while not failing
  bool triggered = false;                             // a webhook asked for a check
  bool check_now = true;  // the start or a configuration change: check at once
  bool full_pass = true;  // every project is reconciled at the next successful check
  // Replicas sharing the projects: this replica held the repository's shard at the poller's
  // last look. One taken over is checked at once with every project reconciled (the
  // previous owner may have left anything half done).
  bool owned = true;
  PollBackoff backoff;  // while checks keep failing
  std::string commit;   // last fetched (and accepted by config.verify, when set)
  // The last head config.verify refused; not fetched or checked again.
  std::string refused_commit;
  std::vector<std::string> project_keys;
  // Projects an operator asked to reconcile now (Controller::ReconcileNow): queued with
  // `force` after the next check of this repository, whether it succeeds or not.
  std::set<std::string> reconcile_requested;
};

// Per project.
struct ProjectState {
  ProjectSpec spec;
  std::string repo_url;
  std::shared_ptr<git::GitSource> git;  // the repository entry's; null: ControllerDeps::git
  std::string ref;
  std::string commit;  // the repository commit this project should be at
  // A deploy of (commit, config) that failed: not tried again before `failed_until`.
  std::string failed_fingerprint;
  std::chrono::steady_clock::time_point failed_until{};
  int failed_deploys = 0;
  // The (commit, config) whose images are awaited, since when (see ImageSettings::wait).
  std::string waiting_fingerprint;
  std::chrono::steady_clock::time_point waiting_since{};
  bool force = false;  // re-apply even if up to date (self-heal, --force)
  // An operator asked for this run (Controller::ReconcileNow); cleared when a run starts.
  // For gates that an operator may override (a deploy window's manual_sync).
  bool operator_requested = false;
  std::chrono::steady_clock::time_point next_drift{};
  bool drift_requested = false;  // the poller queued this run for a drift check
  // The (commit, config) fingerprint last deployed or found up to date: a run of the same
  // fingerprint changes nothing, so deploy windows do not hold it (drift checks still run).
  std::string applied_fingerprint;
  bool held = false;             // the last run was held by the deploy windows
  bool window_override = false;  // an operator let the next run through (OverrideWindow)
  Condition condition = Condition::kReconciling;
  // Manual approval (spec.manual_approval, docs/manual-approval.md). The change waiting for
  // an operator (change_set empty: none): what it is called, and the (commit, config) it
  // belongs to. An update's change set waits on the stack; a create's or delete's plan only
  // here, so a restart shows it again at the next run.
  struct PendingApproval {
    std::string change_set;
    std::string action;  // create | update | delete
    std::string revision;
    std::string fingerprint;
  } pending;
  // The operator's approval of `pending`, consumed by the next run that reports.
  reconcile::ApprovalGate approval;
};

// A suspension an operator asked for through the API (Controller::Suspend). Kept by project
// key apart from ProjectState so that it survives reloads and a project leaving git (whose
// stack is then kept, not pruned, until Resume).
struct OperatorSuspension {
  std::string repository;
  std::string compose_path;  // the project's first compose file, as pruning names it
  std::string by;            // the API token's name
  std::chrono::system_clock::time_point at;
};

// The delete of a stack whose project left git while its config entry has approval: manual
// (docs/manual-approval.md): planned by the repository's prune run, shown under the key the
// project had, decided by an operator. In memory only: the first prune run after a restart
// plans it again.
struct PendingDelete {
  std::string repository;
  std::string compose_path;
  std::string stack;                // the project's stack; its companions follow in `stacks`
  std::vector<std::string> stacks;  // every stack the delete removes
  // The revision of the prune run that first found the project gone, and the delete's name
  // (reconcile::ApprovalIdentity("delete", revision, "")): both stay while it stays gone.
  std::string revision;
  std::string identity;
  // kAwaiting: shown, waiting for an operator. kApproved: the next prune run deletes it.
  // kRejected: the stack stays and nobody is asked again while the project stays gone.
  // kDeleted: done; shown (with its run) until the repository's next prune run.
  enum class Phase { kAwaiting, kApproved, kRejected, kDeleted } phase = Phase::kAwaiting;
  reconcile::ApprovalGate approval;  // kApproved: who approved and when
};

// Everything below `mu` is guarded by it; the atomics are read without it. Reconciles, git
// checks and AWS calls run without the lock.
struct ControllerState {
  mutable std::mutex mu;
  std::condition_variable poll_cv;  // a repository may have become due
  config::Config config;
  std::map<std::string, std::unique_ptr<RepoState>> repos;
  std::map<std::string, std::unique_ptr<ProjectState>> projects;
  // Repositories a poller is checking (claimed by Poller::Loop, released by
  // Poller::PollRepository). Kept apart from RepoState so that a repository removed and
  // re-added by a reload while it is checked is not checked twice at once.
  std::set<std::string> polling;
  std::mt19937_64 random{std::random_device{}()};
  bool force_all = false;                                 // RunOnce --force
  std::map<std::string, OperatorSuspension> suspensions;  // by project key
  // By the key the project had (DeleteApprovals::KeyFor); never a key of `projects`.
  std::map<std::string, PendingDelete> pending_deletes;

  // Whether project `key` is suspended: by its configuration (suspend: true) or by an
  // operator. REQUIRES: mu held.
  bool Suspended(const std::string& key, const ProjectSpec& spec) const {
    return spec.suspend || suspensions.contains(key);
  }
  // Writes whether, by whom and since when `key` is suspended into `status`; the
  // configuration wins (its suspension has no time). REQUIRES: mu held.
  void ShowSuspension(const std::string& key, const ProjectSpec& spec,
                      ProjectStatus* status) const {
    auto it = suspensions.find(key);
    status->suspended = Suspended(key, spec);
    status->suspended_by = spec.suspend              ? "configuration"
                           : it != suspensions.end() ? it->second.by
                                                     : "";
    status->suspended_at = !spec.suspend && it != suspensions.end()
                               ? it->second.at
                               : std::chrono::system_clock::time_point{};
  }

  // A run found its repository's fence closed (another replica holds the shard now, or this
  // one could not renew its lease in time) and dropped its work: the repository counts as not
  // held, so the poller's next look at the owners, within a second, checks it again with
  // every project if the shard is still or again this replica's. Nothing is lost to a
  // momentary lapse. REQUIRES: mu held.
  void FenceClosed(const std::string& repo_url) {
    for (auto& [name, repo] : repos) {
      if (repo->config.url == repo_url) repo->owned = false;
    }
  }

  std::atomic<bool> stopping{false};
  // Serving: each new revision refreshes the stack listing, which is trusted for a limited
  // time. A one-shot run lists once at its start and trusts that listing throughout.
  std::atomic<bool> refresh_on_poll{true};
};

}  // namespace ecsync::controller
