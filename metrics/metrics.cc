#include "metrics/metrics.h"

#include <array>
#include <map>
#include <mutex>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace ecsync::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

// A reconcile ranges from a sub-second no-op to an hour-long CloudFormation rollout.
const Histogram::BucketBoundaries kReconcileBuckets = {0.25, 0.5, 1,   2.5, 5,    10,   30,
                                                       60,   120, 300, 600, 1200, 1800, 3600};
// A fetch ranges from a local ls-remote to a large clone over a slow link.
const Histogram::BucketBoundaries kGitFetchBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,    2.5,   5,    10,  30,   60};

// Created at zero on a project's first reconcile so that rate() and alerts see every result.
constexpr std::array<const char*, 5> kResults = {"success", "noop", "waiting", "failed", "error"};
constexpr std::array<const char*, 6> kConditions = {"Ready",   "Reconciling", "WaitingForImages",
                                                    "Stalled", "Held",        "AwaitingApproval"};

bool IsKnownCondition(const std::string& condition) {
  for (const char* known : kConditions) {
    if (condition == known) return true;
  }
  return false;
}

Family<Counter>& CounterFamily(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}
Family<Gauge>& GaugeFamily(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}
Family<Histogram>& HistogramFamily(prometheus::Registry& registry, const char* name,
                                   const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

struct Metrics::Families {
  // The series labelled with one project, so that RemoveProject can find them all.
  struct Project {
    // Keyed by the series so that a series added again is not recorded twice.
    std::map<const void*, std::function<void()>> removers;
    // The current status and revision series of each stack, replaced on change.
    struct Stack {
      Gauge* status = nullptr;
      Gauge* revision = nullptr;
    };
    std::map<std::string, Stack> stacks;
    // The condition series other than the three known ones (at most one, the current).
    Gauge* unknown_condition = nullptr;
  };

  prometheus::Registry registry;

  Family<Gauge>& build_info =
      GaugeFamily(registry, "ecsync_build_info",
                  "Always 1; the labels name the running ecsync version and source revision.");
  Family<Counter>& reconciles =
      CounterFamily(registry, "ecsync_reconciles_total",
                    "Finished reconciles by project and result (success, noop, failed, error).");
  Family<Histogram>& reconcile_duration =
      HistogramFamily(registry, "ecsync_reconcile_duration_seconds",
                      "Wall time of finished reconciles, in seconds, by project.");
  Family<Gauge>& longest_running = GaugeFamily(
      registry, "ecsync_reconcile_longest_running_seconds",
      "Age in seconds of the oldest reconcile still running at scrape time; 0 when idle.");
  Family<Gauge>& stack_status = GaugeFamily(
      registry, "ecsync_stack_status",
      "1 for the CloudFormation status a project's stack had when last seen; one series per "
      "stack.");
  Family<Gauge>& stack_revision = GaugeFamily(
      registry, "ecsync_stack_revision_info",
      "1 for the git revision applied to a project's stack when last seen; one series per "
      "stack.");
  Family<Gauge>& project_condition = GaugeFamily(
      registry, "ecsync_project_condition",
      "1 for a project's current condition (Ready, Reconciling or Stalled), 0 for the others.");
  Family<Gauge>& stack_drift =
      GaugeFamily(registry, "ecsync_stack_drifted_resources",
                  "Resources of a stack that were not IN_SYNC at the last drift check.");
  Family<Gauge>& last_success =
      GaugeFamily(registry, "ecsync_last_success_timestamp_seconds",
                  "Unix time in seconds of a project's last successful or no-op reconcile.");
  Family<Histogram>& git_fetch_duration =
      HistogramFamily(registry, "ecsync_git_fetch_duration_seconds",
                      "Wall time of git fetches and remote checks, in seconds, by repository.");
  Family<Counter>& git_fetch_errors =
      CounterFamily(registry, "ecsync_git_fetch_errors_total",
                    "Git fetches and remote checks that failed, by repository.");
  Family<Gauge>& git_consecutive_failures =
      GaugeFamily(registry, "ecsync_git_consecutive_failures",
                  "Checks of a repository that failed in a row; 0 after a success.");
  Family<Gauge>& git_backoff = GaugeFamily(
      registry, "ecsync_git_backoff_seconds",
      "Delay in seconds before a failing repository is checked again; 0 when not failing.");
  Family<Counter>& aws_requests = CounterFamily(
      registry, "ecsync_aws_requests_total",
      "AWS API calls after their last attempt, by service, operation and result code (OK, the "
      "AWS error code, or NetworkError).");
  Family<Counter>& aws_retries =
      CounterFamily(registry, "ecsync_aws_retries_total",
                    "AWS API attempts beyond the first, by service and operation.");
  Family<Counter>& webhook_requests =
      CounterFamily(registry, "ecsync_webhook_requests_total",
                    "Webhook deliveries received, by provider and result.");
  Family<Counter>& notifications = CounterFamily(
      registry, "ecsync_notifications_total",
      "Notifications that ended, by sink type and result (delivered, failed, dropped).");
  Family<Counter>& operator_actions =
      CounterFamily(registry, "ecsync_operator_actions_total",
                    "Operator API actions asked for, by action and result.");
  Family<Counter>& signature_refusals =
      CounterFamily(registry, "ecsync_signature_refusals_total",
                    "Revisions refused by a repository's verify policy, by repository and reason.");
  Family<Gauge>& queue_depth =
      GaugeFamily(registry, "ecsync_queue_depth", "Projects waiting for a reconcile worker.");
  Family<Gauge>& repositories_unchecked = GaugeFamily(
      registry, "ecsync_repositories_unchecked",
      "Repositories not checked since the start or, with replicas, since their shard arrived.");
  Family<Gauge>& shards_owned =
      GaugeFamily(registry, "ecsync_shards_owned", "Shards this replica holds a valid lease of.");
  Family<Gauge>& coordination_healthy =
      GaugeFamily(registry, "ecsync_coordination_healthy",
                  "1 while this replica reaches the coordination table; 0: it stopped writing.");
  Family<Counter>& http_refused = CounterFamily(
      registry, "ecsync_http_refused_total",
      "HTTP requests and connections refused or cut off by a limit, by listener and reason.");

  // Guards `projects` and `longest_running_source`, and is held across every change to a
  // series labelled with a project so that RemoveProject cannot free a series in use.
  // Lock order: this mutex, then the prometheus families' own.
  std::mutex mu;
  std::map<std::string, Project> projects;
  std::function<double()> longest_running_source;

  // Adds (or finds) the series `labels` of `family` and records it under `project`.
  // REQUIRES: mu held.
  template <typename T, typename... Args>
  T& AddForProject(const std::string& project, Family<T>& family, const Labels& labels,
                   Args&&... args) {
    T& series = family.Add(labels, std::forward<Args>(args)...);
    projects[project].removers.try_emplace(&series, [&family, &series] { family.Remove(&series); });
    return series;
  }

  // Removes one recorded series of `project`. REQUIRES: mu held.
  static void Drop(Project& project, const void* series) {
    auto it = project.removers.find(series);
    if (it == project.removers.end()) return;
    it->second();
    project.removers.erase(it);
  }
};

Metrics::Metrics(const std::string& version, const std::string& revision)
    : families_(std::make_unique<Families>()) {
  families_->build_info.Add({{"version", version}, {"revision", revision}}).Set(1);
  families_->longest_running.Add({}).Set(0);
  families_->queue_depth.Add({}).Set(0);
  families_->repositories_unchecked.Add({}).Set(0);
}

Metrics::~Metrics() = default;

void Metrics::ReconcileFinished(const std::string& project, const std::string& result,
                                std::chrono::duration<double> duration) {
  Families& f = *families_;
  std::lock_guard lock(f.mu);
  for (const char* known : kResults) {
    f.AddForProject(project, f.reconciles, {{"project", project}, {"result", known}});
  }
  f.AddForProject(project, f.reconciles, {{"project", project}, {"result", result}}).Increment();
  f.AddForProject(project, f.reconcile_duration, {{"project", project}}, kReconcileBuckets)
      .Observe(duration.count());
}

void Metrics::SetStack(const std::string& project, const std::string& stack,
                       const std::string& status, const std::string& revision) {
  Families& f = *families_;
  std::lock_guard lock(f.mu);
  Gauge& status_series = f.AddForProject(
      project, f.stack_status, {{"project", project}, {"stack", stack}, {"status", status}});
  Gauge& revision_series = f.AddForProject(
      project, f.stack_revision, {{"project", project}, {"stack", stack}, {"revision", revision}});
  Families::Project& p = f.projects[project];
  Families::Project::Stack& current = p.stacks[stack];
  // The same labels give back the same series, so a pointer change means a label change.
  if (current.status != nullptr && current.status != &status_series) {
    Families::Drop(p, current.status);
  }
  if (current.revision != nullptr && current.revision != &revision_series) {
    Families::Drop(p, current.revision);
  }
  current.status = &status_series;
  current.revision = &revision_series;
  status_series.Set(1);
  revision_series.Set(1);
}

void Metrics::SetCondition(const std::string& project, const std::string& condition) {
  Families& f = *families_;
  std::lock_guard lock(f.mu);
  for (const char* known : kConditions) {
    f.AddForProject(project, f.project_condition, {{"project", project}, {"condition", known}})
        .Set(condition == known ? 1 : 0);
  }
  Families::Project& p = f.projects[project];
  Gauge* unknown = nullptr;
  if (!IsKnownCondition(condition)) {
    unknown = &f.AddForProject(project, f.project_condition,
                               {{"project", project}, {"condition", condition}});
    unknown->Set(1);
  }
  if (p.unknown_condition != nullptr && p.unknown_condition != unknown) {
    Families::Drop(p, p.unknown_condition);
  }
  p.unknown_condition = unknown;
}

void Metrics::SetDrift(const std::string& project, const std::string& stack,
                       int drifted_resources) {
  Families& f = *families_;
  std::lock_guard lock(f.mu);
  f.AddForProject(project, f.stack_drift, {{"project", project}, {"stack", stack}})
      .Set(drifted_resources);
}

void Metrics::SetLastSuccess(const std::string& project,
                             std::chrono::system_clock::time_point when) {
  // C++20 fixes the system_clock epoch at the Unix epoch.
  const double seconds = std::chrono::duration<double>(when.time_since_epoch()).count();
  Families& f = *families_;
  std::lock_guard lock(f.mu);
  f.AddForProject(project, f.last_success, {{"project", project}}).Set(seconds);
}

void Metrics::RemoveProject(const std::string& project) {
  Families& f = *families_;
  std::lock_guard lock(f.mu);
  auto it = f.projects.find(project);
  if (it == f.projects.end()) return;
  for (auto& [series, remove] : it->second.removers) remove();
  f.projects.erase(it);
}

// The series below carry no project label and are never removed, so a reference returned by
// Family::Add stays valid and needs no lock of ours.

void Metrics::GitFetch(const std::string& repository, std::chrono::duration<double> duration,
                       bool ok) {
  Families& f = *families_;
  f.git_fetch_duration.Add({{"repository", repository}}, kGitFetchBuckets)
      .Observe(duration.count());
  Counter& errors = f.git_fetch_errors.Add({{"repository", repository}});
  if (!ok) errors.Increment();
}

void Metrics::SetGitBackoff(const std::string& repository, int consecutive_failures,
                            double backoff_seconds) {
  Families& f = *families_;
  f.git_consecutive_failures.Add({{"repository", repository}}).Set(consecutive_failures);
  f.git_backoff.Add({{"repository", repository}}).Set(backoff_seconds);
}

void Metrics::AwsCall(const std::string& service, const std::string& operation,
                      const std::string& error_code, bool ok, int attempts) {
  Families& f = *families_;
  std::string code = "OK";
  if (!ok) code = error_code.empty() ? "NetworkError" : error_code;
  f.aws_requests.Add({{"service", service}, {"operation", operation}, {"code", code}}).Increment();
  Counter& retries = f.aws_retries.Add({{"service", service}, {"operation", operation}});
  if (attempts > 1) retries.Increment(attempts - 1);
}

void Metrics::SignatureRefused(const std::string& repository, const std::string& reason) {
  families_->signature_refusals.Add({{"repository", repository}, {"reason", reason}}).Increment();
}

void Metrics::Webhook(const std::string& provider, const std::string& result) {
  families_->webhook_requests.Add({{"provider", provider}, {"result", result}}).Increment();
}

void Metrics::OperatorAction(const std::string& action, const std::string& result) {
  families_->operator_actions.Add({{"action", action}, {"result", result}}).Increment();
}

void Metrics::HttpRefused(const std::string& listener, const std::string& reason) {
  families_->http_refused.Add({{"listener", listener}, {"reason", reason}}).Increment();
}

void Metrics::Notification(const std::string& sink_type, const std::string& result) {
  families_->notifications.Add({{"sink_type", sink_type}, {"result", result}}).Increment();
}

void Metrics::SetQueueDepth(size_t depth) {
  families_->queue_depth.Add({}).Set(static_cast<double>(depth));
}

void Metrics::SetUncheckedRepositories(size_t repositories) {
  families_->repositories_unchecked.Add({}).Set(static_cast<double>(repositories));
}

void Metrics::SetShardsOwned(int shards, bool healthy) {
  families_->shards_owned.Add({}).Set(static_cast<double>(shards));
  families_->coordination_healthy.Add({}).Set(healthy ? 1 : 0);
}

void Metrics::SetLongestRunningSource(std::function<double()> seconds) {
  std::lock_guard lock(families_->mu);
  families_->longest_running_source = std::move(seconds);
}

std::string Metrics::Serialize() const {
  Families& f = *families_;
  std::function<double()> source;
  {
    std::lock_guard lock(f.mu);
    source = f.longest_running_source;
  }
  // Called without our lock: the source belongs to the caller and may take its own locks.
  f.longest_running.Add({}).Set(source ? source() : 0);
  return prometheus::TextSerializer().Serialize(f.registry.Collect());
}

}  // namespace ecsync::metrics
