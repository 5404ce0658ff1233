#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws/cloudformation.h"
#include "aws/ecs.h"
#include "aws/efs.h"
#include "aws/elbv2.h"
#include "aws/s3.h"
#include "base/clock.h"
#include "base/result.h"
#include "cfn/convert.h"
#include "config/config.h"
#include "controller/projects.h"
#include "controller/status.h"
#include "controller/work_queue.h"
#include "git/credentials.h"
#include "git/source.h"
#include "metrics/metrics.h"

namespace ecsync::controller {

// What the controller talks to. Not owned; they outlive the controller.
struct ControllerDeps {
  git::GitSource* git = nullptr;
  // Makes the git source of one repository entry, which reaches the remote with that entry's
  // credentials only and keeps what they fetched apart from other entries (see
  // MakeRepositoryGitSource). Called when an entry is added or changed, with the controller's
  // lock held (so it must not call back). Empty: every repository uses `git` (tests).
  std::function<std::shared_ptr<git::GitSource>(const config::RepositoryConfig&)> git_for;
  aws::CloudFormation* cloudformation = nullptr;
  aws::Ec2* ec2 = nullptr;  // null: the network must be configured (aws.vpc_id, subnet_ids)
  aws::Ecs* ecs = nullptr;  // null: no fail-fast on crashing tasks
  // Carries templates over 51,200 bytes to aws.template_bucket; null (stack files): every
  // template goes inline.
  aws::S3* s3 = nullptr;
  // Look up x-aws-loadbalancer and retained EFS file systems; null (stack files): neither.
  aws::Elbv2* elbv2 = nullptr;
  aws::Efs* efs = nullptr;
  base::Clock* clock = nullptr;
  metrics::Metrics* metrics = nullptr;  // may be null
  // How often stacks are polled while a deploy runs.
  std::chrono::milliseconds stack_poll_interval{std::chrono::seconds(5)};
  // How long a stack listing may decide that a stack is up to date without asking
  // CloudFormation again (a restart queues every project at once; they run inside this
  // window). Later runs (drift checks, retries) ask for their one stack.
  std::chrono::milliseconds snapshot_trust{std::chrono::seconds(60)};
};

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
  std::vector<std::string> lines;  // one per project and per pruned stack, for humans
};

// The GitOps loop: polls every configured repository (with jitter, and backing off while
// one keeps failing), reconciles the projects whose files changed through a work queue (one
// run per project at a time, coalesced triggers, per-project backoff, a global concurrency
// limit), prunes stacks whose project is gone, checks drift on a schedule, and records
// everything in a StatusStore and the metrics.
//
// A failed revision is not retried in a loop: after a rejected or rolled-back deploy the
// project is Stalled and tried again only after a growing backoff (10 min doubling up to 6 h),
// or at once on a new commit or a configuration change. Bad input (a compose file that does
// not load) waits for a new commit or configuration.
//
// Thread-safe. Start/Stop once each.
class Controller {
 public:
  Controller(config::Config config, ControllerDeps deps);
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
  // stacks stay). `concurrency` takes effect on restart.
  void Reload(config::Config config);

  // The repositories whose URL matches one of `clone_urls` (by CloneUrlKey).
  std::vector<WebhookTarget> MatchRepositories(const std::vector<std::string>& clone_urls) const;
  // Every configured repository, in configuration order.
  std::vector<WebhookTarget> WebhookTargets() const;
  // Checks `repository` now (a webhook arrived). Repeated triggers while a check runs
  // coalesce into one more check.
  void Trigger(const std::string& repository);

  // Polls every repository once, reconciles every project (all of them, not only changed
  // ones; `force` also re-applies up-to-date stacks), prunes, and waits for all of it.
  // For `ecsync reconcile --once --config`. Call instead of Start, not with it.
  OnceSummary RunOnce(bool force, const std::atomic<bool>* interrupted);

  const StatusStore& status() const { return status_; }
  // True once every repository has been checked at least once.
  bool Ready() const { return status_.AllPolled(); }
  // Seconds the longest-running reconcile has been running; 0 when idle.
  double LongestRunningSeconds() const;
  size_t QueueDepth() const;
  // True when nothing is queued or running (for tests and shutdown).
  bool Idle() const;

 private:
  struct RepoState;
  struct ProjectState;

  void PollLoop();
  // One check of one repository; queues the projects that need a reconcile. Returns the
  // keys queued.
  std::vector<std::string> PollRepository(const std::string& name, bool full);
  WorkQueue::Outcome Handle(const std::string& key);
  WorkQueue::Outcome ReconcileProject(const std::string& key);
  WorkQueue::Outcome PruneRepository(const std::string& repository);
  void CheckDrift(const std::string& key, const ProjectSpec& spec);
  base::Result<cfn::ConvertOptions> Network();
  // Lists the managed stacks unless the current listing is younger than `max_age`.
  void RefreshSnapshot(std::chrono::milliseconds max_age);
  void ForgetSnapshotEntry(const std::string& stack);
  std::chrono::milliseconds Jittered(std::chrono::milliseconds d);
  void ApplyConfigLocked(const config::Config& config, bool initial);
  void RecordCondition(const std::string& key, Condition condition, const std::string& reason);

  ControllerDeps deps_;
  StatusStore status_;

  mutable std::mutex mu_;
  std::condition_variable poll_cv_;
  config::Config config_;
  std::map<std::string, std::unique_ptr<RepoState>> repos_;
  std::map<std::string, std::unique_ptr<ProjectState>> projects_;
  std::shared_ptr<const std::map<std::string, aws::Stack>> snapshot_;
  std::chrono::steady_clock::time_point snapshot_taken_{};
  bool snapshot_refreshing_ = false;  // a RefreshSnapshot is listing
  uint64_t snapshot_generation_ = 0;  // bumped by ForgetSnapshotEntry
  // Repositories a poller is checking (claimed in PollLoop, released by PollRepository).
  // Kept apart from RepoState so that a repository removed and re-added by a reload while
  // it is checked is not checked twice at once.
  std::set<std::string> polling_;
  std::optional<cfn::ConvertOptions> network_;
  std::mt19937_64 random_;
  bool force_all_ = false;  // RunOnce --force
  std::atomic<bool> refresh_on_poll_{true};

  std::atomic<bool> stopping_{false};
  const std::atomic<bool>* external_interrupt_ = nullptr;
  std::unique_ptr<WorkQueue> queue_;
  // config_.poll_concurrency threads running PollLoop; each claims one due repository
  // at a time (RepoState::polling), taking turns after poll_cursor_.
  std::vector<std::thread> pollers_;
  std::string poll_cursor_;  // the repository claimed last
};

}  // namespace ecsync::controller
