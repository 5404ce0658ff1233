#include "controller/controller.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "webhook/clone_url.h"
#include "controller/poll_backoff.h"
#include "git/url.h"
#include "reconcile/drift.h"
#include "reconcile/prune.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"

namespace ecsync::controller {

namespace {

using std::chrono::milliseconds;
using base::LogLevel;

constexpr milliseconds kFailedRevisionBackoff = std::chrono::minutes(10);
constexpr milliseconds kMaxFailedRevisionBackoff = std::chrono::hours(6);
constexpr char kPruneSuffix[] = "#prune";
// A stack listing younger than this is reused instead of listing again: many repositories
// moving at once (a restart) cost one listing, not one each. Stacks this process changes
// are dropped from it at once, so only changes made elsewhere can be this late.
constexpr milliseconds kSnapshotMaxAge = std::chrono::seconds(5);

std::string Short(const std::string& revision) { return revision.substr(0, 12); }

std::string RefName(const config::RepositoryConfig& repo) {
  switch (repo.ref_kind) {
    case config::RefKind::kBranch:
      return "refs/heads/" + repo.ref;
    case config::RefKind::kTag:
      return "refs/tags/" + repo.ref;
    case config::RefKind::kCommit:
      return repo.ref;
  }
  return repo.ref;
}

std::string ResultWord(const reconcile::ReconcileReport& report) {
  if (!report.succeeded) return "failed";
  return report.action == reconcile::Action::kNone ? "noop" : "success";
}

double SecondsSince(base::Clock& clock, std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(clock.SteadyNow() - start).count();
}

}  // namespace

// Per repository, guarded by Controller::mu_.
struct Controller::RepoState {
  config::RepositoryConfig config;
  // This entry's own view of git (its credentials, its cache); null: ControllerDeps::git.
  std::shared_ptr<git::GitSource> git;
  std::chrono::steady_clock::time_point next_poll{};  // while not failing
  bool triggered = false;  // a webhook asked for a check
  bool check_now = true;   // the start or a configuration change: check at once
  bool full_pass = true;   // every project is reconciled at the next successful check
  PollBackoff backoff;     // while checks keep failing
  std::string commit;      // last fetched
  std::vector<std::string> project_keys;
};

// Per project, guarded by Controller::mu_.
struct Controller::ProjectState {
  ProjectSpec spec;
  std::string repo_url;
  std::shared_ptr<git::GitSource> git;  // the repository entry's; null: ControllerDeps::git
  std::string ref;
  std::string commit;  // the repository commit this project should be at
  // A deploy of (commit, config) that failed: not tried again before `failed_until`.
  std::string failed_fingerprint;
  std::chrono::steady_clock::time_point failed_until{};
  int failed_deploys = 0;
  bool force = false;  // re-apply even if up to date (self-heal, --force)
  std::chrono::steady_clock::time_point next_drift{};
  bool drift_requested = false;  // the poller queued this run for a drift check
  Condition condition = Condition::kReconciling;
};

Controller::Controller(config::Config config, ControllerDeps deps)
    : deps_(std::move(deps)), random_(std::random_device{}()) {
  WorkQueue::Options options;
  options.workers = std::max(1, config.concurrency);
  queue_ = std::make_unique<WorkQueue>(options, *deps_.clock,
                                       [this](const std::string& key) { return Handle(key); });
  if (deps_.metrics != nullptr) {
    deps_.metrics->SetLongestRunningSource([this] { return LongestRunningSeconds(); });
  }
  std::lock_guard<std::mutex> lock(mu_);
  ApplyConfigLocked(config, /*initial=*/true);
}

Controller::~Controller() {
  Stop();
  if (deps_.metrics != nullptr) deps_.metrics->SetLongestRunningSource(nullptr);
}

void Controller::Start() {
  queue_->Start();
  int pollers = 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pollers = std::max(1, config_.poll_concurrency);
  }
  for (int i = 0; i < pollers; ++i) pollers_.emplace_back([this] { PollLoop(); });
}

void Controller::Stop() {
  stopping_.store(true);
  poll_cv_.notify_all();
  for (std::thread& poller : pollers_) {
    if (poller.joinable()) poller.join();
  }
  pollers_.clear();
  queue_->Stop(/*drain=*/false);
}

milliseconds Controller::Jittered(milliseconds d) {
  // +-10%, so repositories configured together do not poll in lockstep.
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return milliseconds(static_cast<int64_t>(static_cast<double>(d.count()) * factor(random_)));
}

void Controller::ApplyConfigLocked(const config::Config& config, bool initial) {
  std::set<std::string> kept;
  for (const config::RepositoryConfig& repo : config.repositories) {
    kept.insert(repo.name);
    auto& state = repos_[repo.name];
    if (!state) state = std::make_unique<RepoState>();
    bool changed = initial || state->config.url != repo.url || state->config.ref != repo.ref ||
                   state->config.ref_kind != repo.ref_kind || state->config.auth != repo.auth ||
                   state->config.projects.size() != repo.projects.size();
    if (!changed) {
      for (size_t i = 0; i < repo.projects.size(); ++i) {
        const config::ProjectConfig& a = state->config.projects[i];
        const config::ProjectConfig& b = repo.projects[i];
        if (a.name != b.name || a.files != b.files || a.glob != b.glob ||
            a.stack_name != b.stack_name || a.profiles != b.profiles ||
            a.variables != b.variables || a.env_file != b.env_file || a.prune != b.prune ||
            a.suspend != b.suspend || a.timeout != b.timeout || a.self_heal != b.self_heal) {
          changed = true;
        }
      }
      changed = changed || state->config.timeout != repo.timeout ||
                state->config.allow_prune_all != repo.allow_prune_all;
    }
    state->config = repo;
    if (changed) {
      // A new configuration is checked at once and starts without backoff; if that check
      // fails, it backs off from its first failure like any other.
      state->check_now = true;
      state->full_pass = true;
      state->next_poll = {};
      state->backoff.Reset();
      // The entry's credentials go with a source of its own, never with its URL: another
      // entry for the same URL must neither use them nor read what they fetched.
      state->git = deps_.git_for ? deps_.git_for(repo) : nullptr;
      ShowBackoff(repo.name, state->backoff, std::nullopt, *deps_.clock, status_, deps_.metrics);
    }
    status_.UpdateRepository(repo.name, [&](RepositoryStatus& s) {
      s.url = git::RedactUrl(repo.url);
      s.ref = repo.ref;
    });
  }
  for (auto it = repos_.begin(); it != repos_.end();) {
    if (kept.contains(it->first)) {
      ++it;
      continue;
    }
    // A repository removed from the configuration: its projects are forgotten; their stacks
    // stay (deleting production stacks because a config line went away is never intended).
    for (const std::string& key : it->second->project_keys) {
      queue_->Forget(key);
      projects_.erase(key);
      status_.RemoveProject(key);
      if (deps_.metrics != nullptr) deps_.metrics->RemoveProject(key);
    }
    status_.RemoveRepository(it->first);
    if (deps_.metrics != nullptr) deps_.metrics->SetGitBackoff(it->first, 0, 0.0);
    it = repos_.erase(it);
  }
  config_ = config;
}

void Controller::Reload(config::Config config) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ApplyConfigLocked(config, /*initial=*/false);
  }
  base::Log(LogLevel::kInfo, "configuration reloaded",
            {{"repositories", std::to_string(config.repositories.size())}});
  poll_cv_.notify_all();
}

std::vector<WebhookTarget> Controller::MatchRepositories(
    const std::vector<std::string>& clone_urls) const {
  std::set<std::string> keys;
  for (const std::string& url : clone_urls) {
    if (!url.empty()) keys.insert(webhook::CloneUrlKey(url));
  }
  std::vector<WebhookTarget> targets;
  std::lock_guard<std::mutex> lock(mu_);
  for (const config::RepositoryConfig& repo : config_.repositories) {
    if (!keys.contains(webhook::CloneUrlKey(repo.url))) continue;
    WebhookTarget target;
    target.repository = repo.name;
    target.url = repo.url;
    target.ref_kind = repo.ref_kind;
    target.ref = repo.ref;
    target.secret = repo.webhook_secret.empty() ? config_.webhooks.secret : repo.webhook_secret;
    targets.push_back(std::move(target));
  }
  return targets;
}

std::vector<WebhookTarget> Controller::WebhookTargets() const {
  std::vector<WebhookTarget> targets;
  std::lock_guard<std::mutex> lock(mu_);
  for (const config::RepositoryConfig& repo : config_.repositories) {
    WebhookTarget target;
    target.repository = repo.name;
    target.url = repo.url;
    target.ref_kind = repo.ref_kind;
    target.ref = repo.ref;
    target.secret = repo.webhook_secret.empty() ? config_.webhooks.secret : repo.webhook_secret;
    targets.push_back(std::move(target));
  }
  return targets;
}

void Controller::Trigger(const std::string& repository) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repos_.find(repository);
    if (it == repos_.end()) return;
    // Due now unless the repository backs off; then see PollBackoff for the one early check.
    it->second->triggered = true;
  }
  poll_cv_.notify_all();
}

double Controller::LongestRunningSeconds() const {
  auto longest = queue_->LongestRunning();
  return longest ? std::chrono::duration<double>(*longest).count() : 0.0;
}

size_t Controller::QueueDepth() const { return queue_->Depth(); }

bool Controller::Idle() const { return queue_->Idle(); }

void Controller::PollLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_.load()) {
    auto now = deps_.clock->SteadyNow();
    std::vector<std::string> due;  // in name order
    auto earliest = now + std::chrono::hours(24);
    for (auto& [name, repo] : repos_) {
      if (polling_.contains(name)) continue;
      bool webhook_only = repo->config.poll_interval.count() == 0;
      bool is_due = false;
      if (repo->check_now) {
        is_due = true;
      } else if (repo->backoff.failing()) {
        // A failed check is retried on the backoff schedule, webhook-only repositories too;
        // a webhook does not bypass it (beyond PollBackoff's one early check).
        is_due = repo->backoff.Due(now, repo->triggered);
        if (!is_due) earliest = std::min(earliest, repo->backoff.next_attempt());
      } else {
        is_due = repo->triggered || (!webhook_only && repo->next_poll <= now);
        if (!is_due && !webhook_only) earliest = std::min(earliest, repo->next_poll);
      }
      if (is_due) due.push_back(name);
    }
    // Drift checks run inside a project's reconcile (after it, when due), so a Ready
    // project whose check is due is queued; the reconcile itself is a cheap no-op then.
    if (config_.drift_interval.count() > 0) {
      for (auto& [key, project] : projects_) {
        if (project->condition != Condition::kReady || project->spec.suspend) continue;
        if (project->next_drift <= now) {
          project->next_drift = now + config_.drift_interval;
          project->drift_requested = true;
          queue_->Add(key);
        } else {
          earliest = std::min(earliest, project->next_drift);
        }
      }
    }
    if (due.empty()) {
      // The clock may be a fake: wake at least every second to re-read it.
      auto wait = std::min<std::chrono::steady_clock::duration>(earliest - now,
                                                                std::chrono::seconds(1));
      poll_cv_.wait_for(lock, wait);
      continue;
    }
    // Take turns: the first due repository after the one claimed last, so a repository
    // that is due again and again (webhooks) cannot starve the others.
    auto next = std::upper_bound(due.begin(), due.end(), poll_cursor_);
    const std::string name = next != due.end() ? *next : due.front();
    poll_cursor_ = name;
    polling_.insert(name);  // claimed: the other pollers pass it by
    lock.unlock();
    PollRepository(name, /*full=*/false);
    lock.lock();
    // Another poller may be waiting for this repository (triggered while it was polled).
    poll_cv_.notify_all();
  }
}

std::vector<std::string> Controller::PollRepository(const std::string& name, bool full) {
  config::RepositoryConfig repo;
  std::shared_ptr<git::GitSource> source;
  std::string previous;
  bool config_changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    polling_.insert(name);
    auto it = repos_.find(name);
    if (it == repos_.end()) {
      polling_.erase(name);
      return {};
    }
    RepoState& state = *it->second;
    state.triggered = false;
    state.check_now = false;
    state.backoff.Started(deps_.clock->SteadyNow());
    config_changed = state.full_pass;
    state.full_pass = false;
    repo = state.config;
    source = state.git;
    previous = state.commit;
  }
  git::GitSource& git = source ? *source : *deps_.git;
  const std::string display = git::RedactUrl(repo.url);
  auto started = deps_.clock->SteadyNow();
  std::string error;
  std::string commit;
  std::vector<ProjectSpec> specs;
  std::vector<std::string> changed_paths;
  bool head_moved = true;
  // An unchanged repository costs one remote check (no fetch).
  auto head = git.RemoteHead(repo.url, RefName(repo));
  if (!head.ok()) {
    error = head.status().message();
  } else if (*head == previous && !config_changed && !full) {
    head_moved = false;
    commit = previous;
  } else {
    auto fetched = git.Fetch(repo.url, RefName(repo));
    if (!fetched.ok()) {
      error = fetched.status().message();
    } else {
      commit = *fetched;
      auto expanded = ExpandProjects(repo, git, commit);
      if (!expanded.ok()) {
        error = expanded.status().message();
      } else {
        specs = std::move(*expanded);
        if (!previous.empty() && previous != commit && !config_changed && !full) {
          auto changed = git.ChangedPaths(repo.url, previous, commit);
          if (changed.ok()) {
            changed_paths = std::move(*changed);
          } else {
            config_changed = true;  // cannot tell what changed: reconcile everything
          }
        }
      }
    }
  }
  if (deps_.metrics != nullptr) {
    deps_.metrics->GitFetch(repo.name, deps_.clock->SteadyNow() - started, error.empty());
  }

  // A new revision: list the managed stacks once before queueing its projects, so those
  // whose stack is up to date cost no further call (RunOnce lists once for all repositories).
  if (error.empty() && head_moved && refresh_on_poll_.load()) RefreshSnapshot(kSnapshotMaxAge);

  std::vector<std::string> queued;
  std::lock_guard<std::mutex> lock(mu_);
  polling_.erase(name);
  auto it = repos_.find(name);
  if (it == repos_.end()) return {};
  RepoState& state = *it->second;
  auto now = deps_.clock->SteadyNow();
  if (!error.empty()) {
    // Keeps failing: back off from the first failure instead of hammering the host.
    if (config_changed) state.full_pass = true;  // still owed a full pass
    const milliseconds delay = state.backoff.Failed(now, repo.poll_interval, random_);
    status_.UpdateRepository(name, [&](RepositoryStatus& s) {
      s.last_error = error;
      s.polled = true;
    });
    ShowBackoff(name, state.backoff, std::nullopt, *deps_.clock, status_, deps_.metrics);
    base::Log(LogLevel::kWarn, "checking the repository failed",
              {{"repository", name}, {"url", display}, {"error", error},
               {"failures", std::to_string(state.backoff.failures())},
               {"retry_in_seconds", std::to_string(delay.count() / 1000)}});
    return {};
  }
  state.backoff.Reset();
  const bool webhook_only = repo.poll_interval.count() == 0;
  state.next_poll = now + Jittered(webhook_only ? std::chrono::hours(24) : repo.poll_interval);
  ShowBackoff(name, state.backoff, webhook_only ? std::nullopt : std::optional(state.next_poll),
              *deps_.clock, status_, deps_.metrics);
  status_.UpdateRepository(name, [&](RepositoryStatus& s) {
    s.last_commit = commit;
    s.last_fetch = deps_.clock->Now();
    s.last_error.clear();
    s.polled = true;
  });
  if (!head_moved) return {};
  if (previous != commit) {
    base::Log(LogLevel::kInfo, "new revision",
              {{"repository", name}, {"revision", commit}, {"previous", previous}});
  }
  state.commit = commit;

  std::set<std::string> current;
  for (ProjectSpec& spec : specs) {
    current.insert(spec.key);
    auto& project = projects_[spec.key];
    bool is_new = !project;
    if (is_new) project = std::make_unique<ProjectState>();
    bool spec_changed = is_new || project->spec.config_digest != spec.config_digest;
    bool affected = full || config_changed || spec_changed || previous.empty() ||
                    Affects(spec, changed_paths);
    project->spec = spec;
    project->repo_url = repo.url;
    project->git = source;
    project->ref = RefName(repo);
    if (affected || project->commit.empty()) project->commit = commit;
    if (force_all_) project->force = true;
    status_.UpdateProject(spec.key, [&](ProjectStatus& s) {
      s.repository = repo.name;
      s.name = spec.name;
      s.stack = spec.stack_name;
      s.suspended = spec.suspend;
    });
    if (affected) {
      queued.push_back(spec.key);
      queue_->Add(spec.key);
    }
  }
  for (const std::string& key : state.project_keys) {
    if (current.contains(key)) continue;
    // Gone from git at this commit: its stack is pruned (unless opted out) by the
    // repository's prune run; the project itself is forgotten.
    queue_->Forget(key);
    projects_.erase(key);
    status_.RemoveProject(key);
    if (deps_.metrics != nullptr) deps_.metrics->RemoveProject(key);
  }
  state.project_keys.assign(current.begin(), current.end());
  if (!queued.empty() || config_changed || full || previous != commit) {
    queue_->Add(name + kPruneSuffix);
    queued.push_back(name + kPruneSuffix);
  }
  return queued;
}

void Controller::RefreshSnapshot(milliseconds max_age) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ && deps_.clock->SteadyNow() - snapshot_taken_ < max_age) return;
    // Another poller is listing already; its listing serves this cycle too.
    if (snapshot_refreshing_) return;
    snapshot_refreshing_ = true;
    generation = snapshot_generation_;
  }
  auto taken = deps_.clock->SteadyNow();
  auto stacks = reconcile::ListManagedStacks(*deps_.cloudformation);
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_refreshing_ = false;
  if (!stacks.ok()) return;  // reconciles then ask per stack; no harm done
  // A stack changed while listing (ForgetSnapshotEntry): this listing may show it as it was,
  // so it is dropped; the next refresh lists again.
  if (generation != snapshot_generation_) return;
  auto snapshot = std::make_shared<std::map<std::string, aws::Stack>>();
  for (aws::Stack& stack : *stacks) snapshot->emplace(stack.name, std::move(stack));
  snapshot_ = std::move(snapshot);
  snapshot_taken_ = taken;
}

void Controller::ForgetSnapshotEntry(const std::string& stack) {
  std::lock_guard<std::mutex> lock(mu_);
  ++snapshot_generation_;
  if (!snapshot_ || !snapshot_->contains(stack)) return;
  // Copy on write: running reconciles keep the map they hold.
  auto copy = std::make_shared<std::map<std::string, aws::Stack>>(*snapshot_);
  copy->erase(stack);
  snapshot_ = std::move(copy);
}

base::Result<cfn::ConvertOptions> Controller::Network() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (network_) return *network_;
    if (!config_.aws.vpc_id.empty() && !config_.aws.subnet_ids.empty()) {
      network_ = cfn::ConvertOptions(config_.aws.vpc_id, config_.aws.subnet_ids);
      return *network_;
    }
  }
  if (deps_.ec2 == nullptr) {
    return base::InvalidError("no VPC to deploy into: set aws.vpc_id and aws.subnet_ids in the "
                              "configuration");
  }
  std::string vpc;
  {
    std::lock_guard<std::mutex> lock(mu_);
    vpc = config_.aws.vpc_id;
  }
  if (vpc.empty()) {
    auto found = deps_.ec2->DefaultVpcId();
    if (!found.ok()) {
      return found.status().WithContext("looking up the default VPC (or set aws.vpc_id)");
    }
    vpc = *found;
  }
  auto subnets = deps_.ec2->SubnetIds(vpc);
  if (!subnets.ok()) return subnets.status().WithContext("looking up the subnets of " + vpc);
  if (subnets->empty()) {
    return base::InvalidError("VPC " + vpc + " has no subnets; set aws.subnet_ids");
  }
  cfn::ConvertOptions found(vpc, *subnets);
  // The load balancer goes into the VPC's public subnets, when it has two.
  ECSYNC_RETURN_IF_ERROR(reconcile::AddPublicSubnets(*deps_.ec2, &found));
  std::lock_guard<std::mutex> lock(mu_);
  network_ = std::move(found);
  return *network_;
}

WorkQueue::Outcome Controller::Handle(const std::string& key) {
  if (stopping_.load()) return WorkQueue::Outcome::kDone;
  if (key.ends_with(kPruneSuffix)) {
    return PruneRepository(key.substr(0, key.size() - std::string(kPruneSuffix).size()));
  }
  return ReconcileProject(key);
}

void Controller::RecordCondition(const std::string& key, Condition condition,
                                 const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = projects_.find(key);
    if (it != projects_.end()) it->second->condition = condition;
  }
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.condition = condition;
    s.reason = reason;
    s.needs_input = false;
  });
  if (deps_.metrics != nullptr) deps_.metrics->SetCondition(key, ConditionName(condition));
}

WorkQueue::Outcome Controller::ReconcileProject(const std::string& key) {
  ProjectState state;
  std::shared_ptr<const std::map<std::string, aws::Stack>> snapshot;
  bool drift_due = false;
  milliseconds drift_interval{0};
  std::string template_bucket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = projects_.find(key);
    if (it == projects_.end()) return WorkQueue::Outcome::kDone;
    state = *it->second;
    it->second->force = false;
    // A listing older than deps_.snapshot_trust is not trusted for a no-op decision (drift checks
    // and retries come long after the poll that listed); the reconcile then asks for its one
    // stack. RunOnce trusts the listing it took at its start for the whole run.
    const bool trusted = !refresh_on_poll_.load() ||
                         deps_.clock->SteadyNow() - snapshot_taken_ < deps_.snapshot_trust;
    if (trusted) snapshot = snapshot_;
    drift_interval = config_.drift_interval;
    template_bucket = config_.aws.template_bucket;
    drift_due = drift_interval.count() > 0 &&
                (state.drift_requested || deps_.clock->SteadyNow() >= state.next_drift);
    it->second->drift_requested = false;
  }
  const ProjectSpec& spec = state.spec;
  if (spec.suspend) {
    RecordCondition(key, state.condition, "suspended: not reconciled until resumed");
    return WorkQueue::Outcome::kDone;
  }
  const std::string fingerprint = state.commit + "/" + spec.config_digest;
  auto now = deps_.clock->SteadyNow();
  if (!state.force && fingerprint == state.failed_fingerprint && now < state.failed_until) {
    // A failed revision waits for its backoff, a new commit or a configuration change.
    queue_->AddAfter(key, std::chrono::duration_cast<milliseconds>(state.failed_until - now));
    return WorkQueue::Outcome::kDone;
  }

  auto network = Network();
  RecordCondition(key, Condition::kReconciling, "reconciling revision " + Short(state.commit));
  status_.UpdateProject(key, [&](ProjectStatus& s) { s.last_attempted_revision = state.commit; });

  reconcile::ReconcileOptions options;
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
  options.snapshot = snapshot.get();
  options.wait.poll_interval = deps_.stack_poll_interval;
  options.wait.timeout = spec.timeout;
  options.wait.interrupted = &stopping_;
  options.template_bucket = template_bucket;
  if (network.ok()) options.network = *network;

  const auto started_wall = deps_.clock->Now();
  const auto started = deps_.clock->SteadyNow();
  base::Log(LogLevel::kInfo, "reconciling",
            {{"project", key}, {"stack", spec.stack_name}, {"revision", state.commit}});
  reconcile::Reconciler reconciler(
      state.git ? *state.git : *deps_.git, *deps_.cloudformation, deps_.ec2, *deps_.clock,
      [&](const reconcile::ProgressEvent& event) {
        if (event.kind == reconcile::ProgressEvent::Kind::kResource) {
          base::Log(LogLevel::kInfo, event.status,
                    {{"project", key}, {"stack", spec.stack_name}, {"revision", state.commit},
                     {"resource", event.logical_id}, {"type", event.resource_type},
                     {"reason", event.reason}});
        } else {
          base::Log(LogLevel::kInfo, event.message,
                    {{"project", key}, {"stack", spec.stack_name}, {"revision", state.commit}});
        }
      });
  reconciler.WatchForCrashes(deps_.ecs);
  reconciler.UseS3(deps_.s3);
  reconciler.UseElbv2(deps_.elbv2);
  reconciler.UseEfs(deps_.efs);
  base::Result<reconcile::ReconcileReport> result =
      network.ok() ? reconciler.Reconcile(options)
                   : base::Result<reconcile::ReconcileReport>(network.status());
  const double seconds = SecondsSince(*deps_.clock, started);
  // This run may have changed the stack: later runs must not trust the listing for it.
  if (!result.ok() || result->action != reconcile::Action::kNone) {
    ForgetSnapshotEntry(spec.stack_name);
  }

  RunRecord run;
  run.started = started_wall;
  run.seconds = seconds;
  run.revision = state.commit;
  WorkQueue::Outcome outcome = WorkQueue::Outcome::kDone;
  if (!result.ok()) {
    const base::Status& status = result.status();
    run.action = "none";
    run.result = "error";
    run.message = status.message();
    const bool permanent = status.kind() == base::ErrorKind::kInvalid ||
                           status.kind() == base::ErrorKind::kConflict;
    if (stopping_.load()) {
      // Shutting down: the stack (if an operation runs) carries on and is resumed next start.
      RecordCondition(key, Condition::kReconciling, "interrupted by shutdown: " + status.message());
    } else if (permanent) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = projects_.find(key);
        if (it != projects_.end()) {
          it->second->failed_fingerprint = fingerprint;
          it->second->failed_until = std::chrono::steady_clock::time_point::max();
        }
      }
      RecordCondition(key, Condition::kStalled,
                      status.message() + " (waiting for a new commit or configuration)");
      status_.UpdateProject(key, [](ProjectStatus& s) { s.needs_input = true; });
    } else {
      RecordCondition(key, Condition::kStalled, "will retry: " + status.message());
      outcome = WorkQueue::Outcome::kRetry;
    }
    base::Log(LogLevel::kError, "reconcile failed",
              {{"project", key}, {"stack", spec.stack_name}, {"revision", state.commit},
               {"error", status.message()}});
  } else {
    const reconcile::ReconcileReport& report = *result;
    run.action = reconcile::ActionName(report.action);
    run.result = ResultWord(report);
    run.message = report.message;
    status_.UpdateProject(key, [&](ProjectStatus& s) { s.stack_status = report.final_status; });
    if (report.succeeded) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = projects_.find(key);
        if (it != projects_.end()) {
          it->second->failed_fingerprint.clear();
          it->second->failed_deploys = 0;
        }
      }
      status_.UpdateProject(key, [&](ProjectStatus& s) { s.last_applied_revision = report.revision; });
      RecordCondition(key, Condition::kReady, report.message);
      if (deps_.metrics != nullptr) {
        deps_.metrics->SetStack(key, report.stack_name, report.final_status, report.revision);
        deps_.metrics->SetLastSuccess(key, deps_.clock->Now());
      }
    } else {
      milliseconds backoff = kFailedRevisionBackoff;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = projects_.find(key);
        if (it != projects_.end()) {
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
      RecordCondition(key, Condition::kStalled,
                      report.message + " (retried in " +
                          std::to_string(std::chrono::duration_cast<std::chrono::minutes>(backoff).count()) +
                          " min, or on a new commit)");
      if (deps_.metrics != nullptr) {
        deps_.metrics->SetStack(key, report.stack_name, report.final_status,
                                report.revision);
      }
      queue_->AddAfter(key, backoff);
    }
    base::Log(report.succeeded ? LogLevel::kInfo : LogLevel::kError, report.message,
              {{"project", key}, {"stack", report.stack_name}, {"revision", report.revision},
               {"action", run.action}, {"result", run.result}});
  }
  if (deps_.metrics != nullptr) {
    deps_.metrics->ReconcileFinished(key, run.result, std::chrono::duration<double>(seconds));
  }
  status_.AddRun(key, run);
  if (drift_due && result.ok() && result->succeeded && !stopping_.load()) CheckDrift(key, spec);
  return outcome;
}

void Controller::CheckDrift(const std::string& key, const ProjectSpec& spec) {
  milliseconds interval{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    interval = config_.drift_interval;
    auto it = projects_.find(key);
    if (it != projects_.end()) it->second->next_drift = deps_.clock->SteadyNow() + interval;
  }
  reconcile::WaitOptions wait;
  wait.poll_interval = deps_.stack_poll_interval;
  wait.timeout = std::chrono::minutes(10);
  wait.interrupted = &stopping_;
  auto report = reconcile::DetectDrift(*deps_.cloudformation, *deps_.clock, spec.stack_name, wait);
  if (!report.ok()) {
    base::Log(LogLevel::kWarn, "drift detection failed",
              {{"project", key}, {"stack", spec.stack_name}, {"error", report.status().message()}});
    return;
  }
  const int drifted = static_cast<int>(report->drifted.size());
  const std::string detail = reconcile::DescribeDrift(*report);
  status_.UpdateProject(key, [&](ProjectStatus& s) {
    s.drift_status = report->status;
    s.drifted_resources = drifted;
    s.drift_detail = detail;
    s.drift_checked = deps_.clock->Now();
  });
  if (deps_.metrics != nullptr) deps_.metrics->SetDrift(key, spec.stack_name, drifted);
  if (drifted == 0) return;
  base::Log(LogLevel::kWarn, "stack drifted",
            {{"project", key}, {"stack", spec.stack_name}, {"drift", detail}});
  if (spec.self_heal) {
    // Re-apply the revision: CloudFormation puts drifted properties back.
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = projects_.find(key);
      if (it != projects_.end()) it->second->force = true;
    }
    queue_->Add(key);
  }
}

WorkQueue::Outcome Controller::PruneRepository(const std::string& repository) {
  config::RepositoryConfig repo;
  std::string commit;
  std::set<std::string> desired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repos_.find(repository);
    if (it == repos_.end() || it->second->commit.empty()) return WorkQueue::Outcome::kDone;
    repo = it->second->config;
    commit = it->second->commit;
    for (const std::string& key : it->second->project_keys) {
      auto p = projects_.find(key);
      if (p == projects_.end()) continue;
      desired.insert(reconcile::SourceId(repo.url, p->second->spec.files.front()));
    }
  }
  // The listing this cycle took (stacks created since belong to desired projects, and
  // deleting a stack that is already gone is harmless).
  if (refresh_on_poll_.load()) RefreshSnapshot(kSnapshotMaxAge);
  std::vector<aws::Stack> listed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_) {
      for (const auto& [name, stack] : *snapshot_) listed.push_back(stack);
    }
  }
  base::Result<std::vector<aws::Stack>> managed = listed;
  if (listed.empty()) managed = reconcile::ListManagedStacks(*deps_.cloudformation);
  if (!managed.ok()) return WorkQueue::Outcome::kRetry;
  reconcile::PruneOptions options;
  options.repo_url = repo.url;
  options.desired_sources = desired;
  options.allow_delete_all = repo.allow_prune_all;
  options.revision = commit;
  options.wait.poll_interval = deps_.stack_poll_interval;
  options.wait.timeout = repo.timeout;
  options.wait.interrupted = &stopping_;
  const std::string prefix = reconcile::SourceId(repo.url, "");
  options.keep = [&](const aws::Stack& stack) {
    auto tag = stack.tags.find(reconcile::kTagSource);
    if (tag == stack.tags.end() || !tag->second.starts_with(prefix)) return false;
    return KeepWhenGone(repo, tag->second.substr(prefix.size()));
  };
  auto pruned = reconcile::Prune(*deps_.cloudformation, *deps_.clock, {}, *managed, options);
  if (!pruned.ok()) {
    status_.UpdateRepository(repository,
                             [&](RepositoryStatus& s) { s.last_error = pruned.status().message(); });
    base::Log(LogLevel::kError, "pruning refused or failed",
              {{"repository", repository}, {"revision", commit},
               {"error", pruned.status().message()}});
    return pruned.status().kind() == base::ErrorKind::kConflict ? WorkQueue::Outcome::kDone
                                                                : WorkQueue::Outcome::kRetry;
  }
  for (const std::string& line : pruned->kept) {
    base::Log(LogLevel::kWarn, line, {{"repository", repository}, {"revision", commit}});
  }
  for (const reconcile::ReconcileReport& deleted : pruned->deleted) {
    ForgetSnapshotEntry(deleted.stack_name);
    base::Log(deleted.succeeded ? LogLevel::kInfo : LogLevel::kError, deleted.message,
              {{"repository", repository}, {"stack", deleted.stack_name}, {"revision", commit}});
  }
  return WorkQueue::Outcome::kDone;
}

OnceSummary Controller::RunOnce(bool force, const std::atomic<bool>* interrupted) {
  external_interrupt_ = interrupted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    force_all_ = force;
  }
  queue_->Start();
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, repo] : repos_) names.push_back(name);
  }
  refresh_on_poll_.store(false);
  RefreshSnapshot(milliseconds(0));
  for (const std::string& name : names) PollRepository(name, /*full=*/true);
  // The workers drain the queue; a failed deploy schedules a retry far in the future, which
  // RunOnce does not wait for: it waits until nothing is due or running.
  while (!(queue_->Depth() == 0 && queue_->Running() == 0)) {
    if (interrupted != nullptr && interrupted->load()) stopping_.store(true);
    deps_.clock->SleepFor(milliseconds(50));
    queue_->Wake();
  }
  queue_->Stop(/*drain=*/false);

  OnceSummary summary;
  for (const RepositoryStatus& repo : status_.Repositories()) {
    if (!repo.last_error.empty()) {
      ++summary.errors;
      summary.lines.push_back("repository " + repo.name + ": " + repo.last_error);
    }
  }
  for (const ProjectStatus& project : status_.Projects()) {
    ++summary.projects;
    std::string result = project.runs.empty() ? "skipped" : project.runs.front().result;
    if (result == "success" || result == "noop") {
      ++summary.succeeded;
    } else if (project.needs_input) {
      ++summary.invalid;
    } else if (result == "failed") {
      ++summary.failed;
    } else if (result != "skipped") {
      ++summary.errors;
    }
    summary.lines.push_back(project.key + ": " + ConditionName(project.condition) + ": " +
                            project.reason);
  }
  return summary;
}

}  // namespace ecsync::controller
