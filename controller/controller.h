#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "controller/controller_deps.h"
#include "controller/delete_approvals.h"
#include "controller/outcome_recorder.h"
#include "controller/poller.h"
#include "controller/project_details.h"
#include "controller/project_runner.h"
#include "controller/repository_pruner.h"
#include "controller/state.h"
#include "controller/status.h"
#include "controller/work_queue.h"
#include "reconcile/deployment_approval.h"
#include "reconcile/engine.h"

namespace ecsync::controller {

// A repository a webhook may name: what the HTTP layer needs to authenticate and route it.
struct WebhookTarget {
  std::string repository;  // RepositoryConfig::name
  std::string url;         // RepositoryConfig::url
  config::RefKind ref_kind = config::RefKind::kBranch;
  std::string ref;
  std::string secret;  // the repository's webhook secret, or the global one
};

// What `reconcile --once --config` did.
struct OnceSummary {
  int projects = 0;
  int succeeded = 0;  // deployed or already up to date
  int failed = 0;     // deploy rejected or rolled back
  int invalid = 0;    // bad compose file or configuration, or a stack owned by someone else
  int errors = 0;     // git or AWS trouble
  // Not deployed: the deploy windows are closed (see docs/deploy-windows.md), or the change
  // waits for an operator's approval (docs/manual-approval.md).
  int held = 0;
  std::vector<std::string> lines;  // one per project and per pruned stack, for humans
};

// The GitOps loop: polls every configured repository (with jitter, and backing off while
// one keeps failing), reconciles the projects whose files changed through a work queue (one
// run per project at a time, coalesced triggers, per-project backoff, a global concurrency
// limit), prunes stacks whose project is gone, checks drift on a schedule, and records
// everything in a StatusStore and the metrics.
//
// A façade: the Poller decides what is due and queues it, the ProjectRunner and the
// RepositoryPruner run what the WorkQueue hands out, the OutcomeRecorder shows it, and the
// reconcile::Engine (built here once from ControllerDeps::targets) does everything that
// touches AWS.
//
// A failed revision is not retried in a loop: after a rejected or rolled-back deploy the
// project is Stalled and tried again only after a growing backoff (10 min doubling up to 6 h),
// or at once on a new commit or a configuration change. Bad input (a compose file that does
// not load) waits for a new commit or configuration.
//
// Thread-safe. Start/Stop once each.
class Controller {
 public:
  Controller(const config::Config& config, ControllerDeps deps);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts the poller and the workers.
  void Start();
  // Stops polling and accepting work; running reconciles stop waiting on CloudFormation
  // (their stacks carry on and are resumed by the next start) and are joined.
  void Stop();

  // Replaces the configuration. Changed repositories are checked again at once, with every
  // project reconciled; projects that vanished from the configuration are forgotten (their
  // stacks stay). Another aws.vpc_id or aws.subnet_ids reconciles every project at once in
  // the new network. `concurrency` takes effect on restart.
  void Reload(const config::Config& config);

  // The repositories whose URL matches one of `clone_urls` (by CloneUrlKey).
  std::vector<WebhookTarget> MatchRepositories(const std::vector<std::string>& clone_urls) const;
  // Every configured repository, in configuration order.
  std::vector<WebhookTarget> WebhookTargets() const;
  // Checks `repository` now (a webhook arrived). Repeated triggers while a check runs
  // coalesce into one more check.
  void Trigger(const std::string& repository);

  // Lets `project_key`'s next run through its closed deploy windows and runs it now, when
  // every window keeping them closed has manual_sync: true (the operator API's override;
  // the HTTP route is the API's). One run only: a later change waits for the windows again.
  // With the windows open it simply runs the project now. kNotFound for an unknown project,
  // kConflict (saying why and until when) when a window does not allow manual_sync.
  base::Status OverrideWindow(const std::string& project_key);

  // Polls every repository once, reconciles every project (all of them, not only changed
  // ones; `force` also re-applies up-to-date stacks), prunes, and waits for all of it.
  // For `ecsync reconcile --once --config`. Call instead of Start, not with it.
  OnceSummary RunOnce(bool force, const std::atomic<bool>* interrupted);

  // Operator actions (the operator API, web/operator_api). `key` is a project key
  // "<repository>/<project>"; an unknown key is kNotFound. Each returns once the action is
  // recorded; the reconciles they cause run on the work queue.
  //
  // Checks the project's repository at once (fetching a new revision, if any) and then
  // re-applies the project even if its stack is up to date, like `reconcile --once --force`
  // for one project, past a failed revision's backoff. kConflict while suspended.
  base::Status ReconcileNow(const std::string& key);
  // Stops reconciling (and pruning) the project until Resume, whatever commits arrive; a run
  // in progress finishes. Recorded with `by` (the token's name) and the time; kept across
  // reloads and while the project is gone from git; forgotten with its repository. Suspending
  // a suspended project keeps the first record.
  base::Status Suspend(const std::string& key, const std::string& by);
  // Lifts Suspend's suspension and reconciles the project at once (or, when it left git
  // meanwhile, prunes its stack as it would have been). A project with `suspend: true` in the
  // configuration stays suspended: the configuration wins.
  base::Status Resume(const std::string& key);
  // A Stalled project: forgets its failed revision's backoff (and the work queue's) and tries
  // it again now. kConflict when the project is not Stalled or is suspended.
  base::Status Acknowledge(const std::string& key);
  // Approves (or, with `rollback`, rejects) the ECS deployments of the project's stack that
  // wait for a manual approval (x-aws-deployment.approval: manual). kNotFound for an unknown
  // project; otherwise reconcile::ApproveDeployments' errors. Calls AWS: no lock is held.
  base::Result<reconcile::ApprovalReport> ApproveDeployment(const std::string& key, bool rollback);

  // Manual approval (approval: manual; docs/manual-approval.md). When a change set (or the
  // plan of a create or delete) of the project waits for an operator: approves it (the
  // project runs at once and applies it, recording `by` and the time in the run history and
  // the stack's tags) or, with `reject`, deletes its change set and leaves the project
  // Stalled until a new commit or configuration. `waiting` false: nothing waits, nothing
  // was done (the caller may then approve ECS deployments instead). kNotFound for an unknown
  // project. A rejection calls AWS: no lock is held then.
  // A key no project has may name the delete of a project that left git (DeleteApprovals):
  // approving lets the repository's prune run delete its stack at once, rejecting keeps it;
  // kConflict when that delete waits no more (rejected, or done).
  using ChangeDecision = controller::ChangeDecision;
  base::Result<ChangeDecision> DecideChange(const std::string& key, const std::string& by,
                                            bool reject);

  const StatusStore& status() const { return status_; }
  // The project page's document (see ProjectDetails::Get). kNotFound for an unknown key.
  base::Result<nlohmann::ordered_json> ProjectDetails(const std::string& key) {
    return details_->Get(key);
  }
  // True once every repository has been checked at least once (with replicas sharing the
  // projects: every repository whose shard this replica holds, each checked since its shard
  // last arrived).
  bool Ready() const { return UncheckedRepositories() == 0; }
  // How many repositories Ready() waits for: never checked, or (replicas) whose shard arrived
  // since their last check: a replica's catch-up after taking shards over.
  size_t UncheckedRepositories() const;
  // Seconds the longest-running reconcile has been running; 0 when idle.
  double LongestRunningSeconds() const;
  size_t QueueDepth() const;
  // True when nothing is queued or running (for tests and shutdown).
  bool Idle() const;

 private:
  // The work queue's handler: a project's run or a repository's prune run.
  WorkQueue::Outcome Handle(const std::string& key);
  // REQUIRES: state_.mu held.
  void ApplyConfigLocked(const config::Config& config, bool initial);
  // Shows `key`'s suspension in the status store. REQUIRES: state_.mu held.
  void ShowSuspensionLocked(const std::string& key);

  ControllerDeps deps_;
  StatusStore status_;
  ControllerState state_;
  std::unique_ptr<reconcile::Engine> engine_;
  OutcomeRecorder recorder_;
  std::unique_ptr<WorkQueue> queue_;
  std::unique_ptr<ProjectRunner> runner_;
  std::unique_ptr<DeleteApprovals> delete_approvals_;
  std::unique_ptr<RepositoryPruner> pruner_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<controller::ProjectDetails> details_;
};

}  // namespace ecsync::controller
