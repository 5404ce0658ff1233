#include "controller/poller.h"

#include <algorithm>
#include <optional>
#include <set>

#include "base/log.h"
#include "controller/delete_approvals.h"
#include "controller/poll_backoff.h"
#include "controller/projects.h"
#include "controller/repository_pruner.h"
#include "controller/signature_gate.h"
#include "git/url.h"

namespace ecsync::controller {

using base::LogLevel;
using std::chrono::milliseconds;

namespace {

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

}  // namespace

void Poller::Start(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

void Poller::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

bool Poller::TakeOwnership(const std::string& name, RepoState& repo) {
  if (!deps_.fence_for) return true;
  // Every repository is asked about at least once per kOwnershipRefresh plus the loop's
  // longest wait, so one whose shard this replica takes is checked within two seconds.
  const bool owned = deps_.fence_for(repo.config.url).has_value();
  if (owned && !repo.owned) {
    repo.check_now = true;
    repo.full_pass = true;
    // Not ready for it until it is checked again (Controller::UncheckedRepositories).
    status_.SetUnpolled(name);
  }
  repo.owned = owned;
  return owned;
}

milliseconds Poller::Jittered(milliseconds d) {
  // +-10%, so repositories configured together do not poll in lockstep.
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return milliseconds(static_cast<int64_t>(static_cast<double>(d.count()) * factor(state_.random)));
}

void Poller::Loop() {
  std::unique_lock<std::mutex> lock(state_.mu);
  while (!state_.stopping.load()) {
    auto now = deps_.clock->SteadyNow();
    // Ownership is asked for once a second, not on every pass: each pass looks at every
    // repository, and a pass runs for every check (see docs/high-availability.md).
    const bool ask_owners = !owners_asked_ || now - *owners_asked_ >= kOwnershipRefresh;
    if (ask_owners) owners_asked_ = now;
    std::vector<std::string> due;  // in name order
    auto earliest = now + std::chrono::hours(24);
    for (auto& [name, repo] : state_.repos) {
      if (state_.polling.contains(name)) continue;
      if (ask_owners) TakeOwnership(name, *repo);
      if (!repo->owned) continue;
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
    if (state_.config.drift_interval.count() > 0) {
      for (auto& [key, project] : state_.projects) {
        if (project->condition != Condition::kReady || state_.Suspended(key, project->spec)) {
          continue;
        }
        if (project->next_drift <= now) {
          project->next_drift = now + state_.config.drift_interval;
          project->drift_requested = true;
          queue_.Add(key);
        } else {
          earliest = std::min(earliest, project->next_drift);
        }
      }
    }
    if (due.empty()) {
      // One poller sleeps until the next repository is due; the others until they are
      // notified (a webhook, a reload, more due than one poller takes), so that a due time
      // does not wake every poller to find the same repository. The clock may be a fake:
      // each wakes at least every second to re-read it.
      const bool timer = !timer_taken_;
      if (timer) timer_taken_ = true;
      auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kMaxWait);
      if (timer) wait = std::min<std::chrono::steady_clock::duration>(earliest - now, wait);
      state_.poll_cv.wait_for(lock, wait);
      if (timer) timer_taken_ = false;
      continue;
    }
    // Take turns: the first due repository after the one claimed last, so a repository
    // that is due again and again (webhooks) cannot starve the others.
    auto next = std::upper_bound(due.begin(), due.end(), cursor_);
    const std::string name = next != due.end() ? *next : due.front();
    RepoState& claimed = *state_.repos.at(name);
    // Between two asks the answer may be up to a second old: ask again for this one.
    if (!ask_owners && !TakeOwnership(name, claimed)) continue;
    cursor_ = name;
    state_.polling.insert(name);  // claimed: the other pollers pass it by
    // More are due than this poller takes: another poller may be asleep.
    if (due.size() > 1) state_.poll_cv.notify_one();
    lock.unlock();
    PollRepository(name, /*full=*/false);
    lock.lock();
  }
}

base::Result<std::optional<git::Verdict>> Poller::CheckFetched(const config::RepositoryConfig& repo,
                                                               git::GitSource& git,
                                                               const std::string& commit,
                                                               const std::string& previous) {
  if (!previous.empty() || !repo.verify || repo.verify->mode != git::VerifyMode::kStrict) {
    return CheckRevision(git, repo, commit, previous);
  }
  // Strict, and this controller has accepted nothing yet (it just started): the chain is
  // checked from what the repository's stacks run, so a restart lets no unsigned commit in.
  auto deployed = engine_.DeployedRevisions(repo.url);
  if (!deployed.ok()) {
    return base::Status(deployed.status().kind(),
                        "verify (strict) needs the deployed revision, and listing the stacks "
                        "failed: " +
                            deployed.status().message());
  }
  return CheckRevisionSince(git, repo, commit, *deployed);
}

std::vector<std::string> Poller::PollRepository(const std::string& name, bool full) {
  config::RepositoryConfig repo;
  std::shared_ptr<git::GitSource> source;
  std::string previous;
  std::string refused;                  // the head last refused by repo.verify
  std::vector<std::string> known_keys;  // the projects at `previous`
  bool config_changed = false;
  std::set<std::string> requested;  // by an operator before this check began
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    state_.polling.insert(name);
    auto it = state_.repos.find(name);
    if (it == state_.repos.end()) {
      state_.polling.erase(name);
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
    requested.swap(state.reconcile_requested);
    refused = state.refused_commit;
    known_keys = state.project_keys;
  }
  git::GitSource& git = source ? *source : *deps_.git;
  const std::string display = git::RedactUrl(repo.url);
  auto started = deps_.clock->SteadyNow();
  std::string error;
  std::string commit;
  std::vector<ProjectSpec> specs;
  std::vector<std::string> changed_paths;
  bool head_moved = true;
  std::optional<git::Verdict> refusal;  // repo.verify refused `commit`
  // An unchanged repository costs one remote check (no fetch). A check that fetches whatever
  // the head is (the first one, or a full pass after a configuration change or a shard
  // taken over) skips that check: one connection to the git host instead of two, which is
  // what a replica's catch-up after a failover pays for every repository it takes.
  const bool fetch_anyway = config_changed || full || (previous.empty() && refused.empty());
  auto head = fetch_anyway ? base::Result<std::string>(std::string())
                           : git.RemoteHead(repo.url, RefName(repo));
  if (!head.ok()) {
    error = head.status().message();
  } else if (!fetch_anyway && (*head == previous || (!refused.empty() && *head == refused))) {
    head_moved = false;
    commit = previous;
  } else {
    auto fetched = git.Fetch(repo.url, RefName(repo));
    // A repository with verify: the revision is checked before anything of it is read.
    auto verdict = fetched.ok() ? CheckFetched(repo, git, *fetched, previous)
                                : base::Result<std::optional<git::Verdict>>(fetched.status());
    if (!verdict.ok()) {
      error = verdict.status().message();
    } else if (verdict->has_value()) {
      commit = *fetched;
      refusal = std::move(*verdict);
      if (known_keys.empty()) {
        // Only to name the refused projects in the status: their files are not loaded.
        auto expanded = ExpandProjects(repo, git, commit);
        if (expanded.ok()) specs = std::move(*expanded);
      }
    } else {
      commit = *fetched;
      if (commit != previous) {
        // For the status UI; a source that cannot tell leaves the subject empty.
        if (auto summary = git.DescribeCommit(repo.url, commit); summary.ok()) {
          status_.RecordCommit(name, commit, {summary->subject, summary->author});
        }
      }
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
  if (error.empty() && head_moved && state_.refresh_on_poll.load()) engine_.RefreshListing();

  std::vector<std::string> queued;
  std::lock_guard<std::mutex> lock(state_.mu);
  state_.polling.erase(name);
  auto it = state_.repos.find(name);
  if (it == state_.repos.end()) return {};
  RepoState& state = *it->second;
  auto now = deps_.clock->SteadyNow();
  // Asked for by an operator: re-applied after this check even when nothing changed, and at
  // the last known commit when the check failed.
  for (const std::string& key : requested) {
    auto project = state_.projects.find(key);
    if (project == state_.projects.end()) continue;
    project->second->force = true;
    project->second->operator_requested = true;
    queue_.Add(key);
    queued.push_back(key);
  }
  if (!error.empty()) {
    // Keeps failing: back off from the first failure instead of hammering the host.
    if (config_changed) state.full_pass = true;  // still owed a full pass
    const milliseconds delay = state.backoff.Failed(now, repo.poll_interval, state_.random);
    status_.UpdateRepository(name, [&](RepositoryStatus& s) {
      s.last_error = error;
      s.polled = true;
    });
    ShowBackoff(name, state.backoff, std::nullopt, *deps_.clock, status_, deps_.metrics);
    base::Log(LogLevel::kWarn, "checking the repository failed",
              {{"repository", name},
               {"url", display},
               {"error", error},
               {"failures", std::to_string(state.backoff.failures())},
               {"retry_in_seconds", std::to_string(delay.count() / 1000)}});
    return queued;
  }
  state.backoff.Reset();
  const bool webhook_only = repo.poll_interval.count() == 0;
  state.next_poll = now + Jittered(webhook_only ? std::chrono::hours(24) : repo.poll_interval);
  ShowBackoff(name, state.backoff, webhook_only ? std::nullopt : std::optional(state.next_poll),
              *deps_.clock, status_, deps_.metrics);
  // Shown once the commit's work is queued: whoever sees the commit here and an idle queue
  // knows that everything it asked for ran.
  auto show_checked = [&] {
    status_.UpdateRepository(name, [&](RepositoryStatus& s) {
      s.last_commit = commit;
      s.last_fetch = deps_.clock->Now();
      s.last_error.clear();
      s.polled = true;
    });
  };
  if (!head_moved) {
    show_checked();
    return queued;
  }
  if (refusal) {
    // Refused: every project keeps its revision; `commit` is not fetched again until the
    // head moves or the configuration changes.
    state.refused_commit = commit;
    std::vector<std::string> keys = known_keys;
    for (const ProjectSpec& spec : specs) {
      keys.push_back(spec.key);
      status_.UpdateProject(spec.key, [&](ProjectStatus& s) {
        s.repository = repo.name;
        s.name = spec.name;
        s.stack = spec.stack_name;
      });
    }
    for (const std::string& key : keys) {
      auto project = state_.projects.find(key);
      if (project != state_.projects.end()) project->second->condition = Condition::kStalled;
    }
    RecordRefusal(name, commit, *refusal, keys, recorder_, deps_.metrics);
    show_checked();
    return queued;
  }
  state.refused_commit.clear();
  if (previous != commit) {
    base::Log(LogLevel::kInfo, "new revision",
              {{"repository", name}, {"revision", commit}, {"previous", previous}});
  }
  state.commit = commit;

  std::set<std::string> current;
  for (ProjectSpec& spec : specs) {
    current.insert(spec.key);
    auto& project = state_.projects[spec.key];
    bool is_new = !project;
    if (is_new) project = std::make_unique<ProjectState>();
    bool spec_changed = is_new || project->spec.config_digest != spec.config_digest;
    bool affected =
        full || config_changed || spec_changed || previous.empty() || Affects(spec, changed_paths);
    project->spec = spec;
    project->repo_url = repo.url;
    project->git = source;
    project->ref = RefName(repo);
    if (affected || project->commit.empty()) project->commit = commit;
    if (state_.force_all) project->force = true;
    status_.UpdateProject(spec.key, [&](ProjectStatus& s) {
      s.repository = repo.name;
      s.name = spec.name;
      s.stack = spec.stack_name;
      state_.ShowSuspension(spec.key, spec, &s);
    });
    if (affected) {
      queued.push_back(spec.key);
      queue_.Add(spec.key);
    }
  }
  // A project back in git: the delete kept for it (approval: manual) is moot.
  std::set<std::string> paths;
  for (const ProjectSpec& spec : specs) paths.insert(spec.files.front());
  DeleteApprovals::DropLocked(
      state_, recorder_, name,
      [&](const std::string& key, const PendingDelete& pending) {
        return current.contains(key) || paths.contains(pending.compose_path);
      },
      /*announce=*/true);
  for (const std::string& key : state.project_keys) {
    if (current.contains(key)) continue;
    // Gone from git at this commit: its stack is pruned (unless opted out) by the
    // repository's prune run; the project itself is forgotten.
    queue_.Forget(key);
    state_.projects.erase(key);
    recorder_.Forget(key);
  }
  state.project_keys.assign(current.begin(), current.end());
  if (!queued.empty() || config_changed || full || previous != commit) {
    queue_.Add(name + kPruneSuffix);
    queued.push_back(name + kPruneSuffix);
  }
  show_checked();
  return queued;
}

}  // namespace ecsync::controller
