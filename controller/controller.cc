#include "controller/controller.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "controller/poll_backoff.h"
#include "controller/repository_pruner.h"
#include "git/url.h"
#include "reconcile/engine.h"
#include "reconcile/images.h"
#include "webhook/clone_url.h"

namespace ecsync::controller {

namespace {

// What a webhook needs of one repository entry: its own secret, or the global one.
WebhookTarget TargetOf(const config::RepositoryConfig& repo, const config::WebhookConfig& hooks) {
  return {.repository = repo.name,
          .url = repo.url,
          .ref_kind = repo.ref_kind,
          .ref = repo.ref,
          .secret = repo.webhook_secret.empty() ? hooks.secret : repo.webhook_secret};
}

}  // namespace

using base::LogLevel;
using std::chrono::milliseconds;

Controller::Controller(const config::Config& config, ControllerDeps deps)
    : deps_(std::move(deps)),
      engine_(std::make_unique<reconcile::Engine>(deps_.targets, *deps_.clock)),
      recorder_(status_, deps_.metrics, *deps_.clock, deps_.events) {
  if (!config.cache_dir.empty()) {
    engine_->PersistImageDigests(reconcile::ImageDigestFile(config.cache_dir));
  }
  WorkQueue::Options options;
  options.workers = std::max(1, config.concurrency);
  queue_ = std::make_unique<WorkQueue>(options, *deps_.clock,
                                       [this](const std::string& key) { return Handle(key); });
  runner_ = std::make_unique<ProjectRunner>(state_, deps_, *engine_, *queue_, recorder_);
  delete_approvals_ =
      std::make_unique<DeleteApprovals>(state_, deps_, *engine_, *queue_, recorder_);
  pruner_ = std::make_unique<RepositoryPruner>(state_, deps_, *engine_, *queue_, status_, recorder_,
                                               *delete_approvals_);
  poller_ = std::make_unique<Poller>(state_, deps_, *engine_, *queue_, status_, recorder_);
  details_ = std::make_unique<controller::ProjectDetails>(status_, *engine_, *deps_.clock);
  if (deps_.metrics != nullptr) {
    deps_.metrics->SetLongestRunningSource([this] { return LongestRunningSeconds(); });
  }
  std::lock_guard<std::mutex> lock(state_.mu);
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
    std::lock_guard<std::mutex> lock(state_.mu);
    pollers = std::max(1, state_.config.poll_concurrency);
  }
  poller_->Start(pollers);
}

void Controller::Stop() {
  state_.stopping.store(true);
  state_.poll_cv.notify_all();
  poller_->Join();
  queue_->Stop(/*drain=*/false);
}

WorkQueue::Outcome Controller::Handle(const std::string& key) {
  if (state_.stopping.load()) return WorkQueue::Outcome::kDone;
  if (key.ends_with(kPruneSuffix)) {
    return pruner_->Run(key.substr(0, key.size() - std::string(kPruneSuffix).size()));
  }
  return runner_->Run(key);
}

void Controller::ApplyConfigLocked(const config::Config& config, bool initial) {
  // Another VPC or other subnets change every template: every project is reconciled at once
  // (the engine looks the new network up on first use).
  const bool network_changed = !initial && (state_.config.aws.vpc_id != config.aws.vpc_id ||
                                            state_.config.aws.subnet_ids != config.aws.subnet_ids);
  std::set<std::string> kept;
  for (const config::RepositoryConfig& repo : config.repositories) {
    kept.insert(repo.name);
    auto& state = state_.repos[repo.name];
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
                state->config.allow_prune_all != repo.allow_prune_all ||
                state->config.verify != repo.verify;
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
    if (network_changed && !changed) {
      state->check_now = true;
      state->full_pass = true;
    }
    status_.UpdateRepository(repo.name, [&](RepositoryStatus& s) {
      s.url = git::RedactUrl(repo.url);
      s.ref = repo.ref;
    });
  }
  for (auto it = state_.repos.begin(); it != state_.repos.end();) {
    if (kept.contains(it->first)) {
      ++it;
      continue;
    }
    // A repository removed from the configuration: its projects are forgotten; their stacks
    // stay (deleting production stacks because a config line went away is never intended).
    for (const std::string& key : it->second->project_keys) {
      queue_->Forget(key);
      state_.projects.erase(key);
      recorder_.Forget(key);
    }
    std::erase_if(state_.suspensions,
                  [&](const auto& entry) { return entry.second.repository == it->first; });
    // Nothing prunes a repository that is not configured: its deletes wait no more.
    DeleteApprovals::DropLocked(
        state_, recorder_, it->first, [](const std::string&, const PendingDelete&) { return true; },
        /*announce=*/false);
    status_.RemoveRepository(it->first);
    if (deps_.metrics != nullptr) deps_.metrics->SetGitBackoff(it->first, 0, 0.0);
    it = state_.repos.erase(it);
  }
  state_.config = config;
}

void Controller::Reload(const config::Config& config) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    ApplyConfigLocked(config, /*initial=*/false);
  }
  base::Log(LogLevel::kInfo, "configuration reloaded",
            {{"repositories", std::to_string(config.repositories.size())}});
  state_.poll_cv.notify_all();
}

std::vector<WebhookTarget> Controller::MatchRepositories(
    const std::vector<std::string>& clone_urls) const {
  std::set<std::string> keys;
  for (const std::string& url : clone_urls) {
    if (!url.empty()) keys.insert(webhook::CloneUrlKey(url));
  }
  std::vector<WebhookTarget> targets;
  std::lock_guard<std::mutex> lock(state_.mu);
  for (const config::RepositoryConfig& repo : state_.config.repositories) {
    if (keys.contains(webhook::CloneUrlKey(repo.url))) {
      targets.push_back(TargetOf(repo, state_.config.webhooks));
    }
  }
  return targets;
}

std::vector<WebhookTarget> Controller::WebhookTargets() const {
  std::vector<WebhookTarget> targets;
  std::lock_guard<std::mutex> lock(state_.mu);
  for (const config::RepositoryConfig& repo : state_.config.repositories) {
    targets.push_back(TargetOf(repo, state_.config.webhooks));
  }
  return targets;
}

void Controller::Trigger(const std::string& repository) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.repos.find(repository);
    if (it == state_.repos.end()) return;
    // Due now unless the repository backs off; then see PollBackoff for the one early check.
    it->second->triggered = true;
  }
  state_.poll_cv.notify_all();
}

base::Status Controller::OverrideWindow(const std::string& project_key) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    auto it = state_.projects.find(project_key);
    if (it == state_.projects.end()) {
      return base::NotFoundError("no project \"" + project_key + "\"");
    }
    const schedule::Gate gate = schedule::Evaluate(it->second->spec.windows, deps_.clock->Now());
    if (!gate.open && !gate.overridable) {
      base::Log(LogLevel::kWarn, "deploy window override refused",
                {{"project", project_key}, {"reason", gate.reason}});
      return base::ConflictError("project " + project_key + " is " + gate.reason +
                                 "; a window keeping it closed does not allow manual_sync");
    }
    it->second->window_override = !gate.open;
    base::Log(LogLevel::kInfo, gate.open ? "sync requested" : "deploy window overridden",
              {{"project", project_key}, {"revision", it->second->commit}});
  }
  queue_->Add(project_key);
  return base::Status::Ok();
}

double Controller::LongestRunningSeconds() const {
  auto longest = queue_->LongestRunning();
  return longest ? std::chrono::duration<double>(*longest).count() : 0.0;
}

size_t Controller::UncheckedRepositories() const {
  if (!deps_.fence_for) return status_.Unpolled();
  // A replica checks only the repositories whose shard it holds.
  std::set<std::string> owned;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    for (const auto& [name, repo] : state_.repos) {
      if (deps_.fence_for(repo->config.url)) owned.insert(name);
    }
  }
  return status_.Unpolled(&owned);
}

size_t Controller::QueueDepth() const { return queue_->Depth(); }

bool Controller::Idle() const { return queue_->Idle(); }

OnceSummary Controller::RunOnce(bool force, const std::atomic<bool>* interrupted) {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    state_.force_all = force;
  }
  queue_->Start();
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    for (const auto& [name, repo] : state_.repos) names.push_back(name);
  }
  state_.refresh_on_poll.store(false);
  engine_->RefreshListing(milliseconds(0));
  for (const std::string& name : names) poller_->PollRepository(name, /*full=*/true);
  // The workers drain the queue; a failed deploy schedules a retry far in the future, which
  // RunOnce does not wait for: it waits until nothing is due or running.
  while (!(queue_->Depth() == 0 && queue_->Running() == 0)) {
    if (interrupted != nullptr && interrupted->load()) state_.stopping.store(true);
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
    if (project.condition == Condition::kHeld ||
        project.condition == Condition::kAwaitingApproval) {
      ++summary.held;
    } else if (result == "success" || result == "noop") {
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
