#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace ecsync::metrics {

// The controller's Prometheus metrics, every family prefixed `ecsync_`, in base units
// (seconds, bytes). Label values come from bounded sets: configured repository and project
// names, stack names, AWS service/operation/error codes, fixed result words. Never pass a
// secret, URL with credentials, or request body as a label.
//
// Thread-safe: every method may be called from any thread at any time.
class Metrics {
 public:
  // Registers every family; `version` and `revision` go into ecsync_build_info.
  Metrics(const std::string& version, const std::string& revision);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A reconcile of `project` ended. `result` is one of "success" (deployed), "noop" (nothing
  // to do), "failed" (CloudFormation rejected or rolled back), "error" (could not decide or
  // act: bad compose file, git or AWS trouble).
  // ecsync_reconciles_total{project,result}, ecsync_reconcile_duration_seconds{project}.
  // A project's first reconcile creates all four result series; those not reported start at 0.
  void ReconcileFinished(const std::string& project, const std::string& result,
                         std::chrono::duration<double> duration);

  // The project's stack as last seen: ecsync_stack_status{project,stack,status} is 1 for the
  // current status only (the previous series is removed), ecsync_stack_revision_info
  // {project,stack,revision} likewise.
  void SetStack(const std::string& project, const std::string& stack, const std::string& status,
                const std::string& revision);
  // ecsync_project_condition{project,condition} is 1 for the current condition ("Ready",
  // "Reconciling" or "Stalled") and 0 for the other two.
  void SetCondition(const std::string& project, const std::string& condition);
  // ecsync_stack_drifted_resources{project,stack}: resources not IN_SYNC at the last check.
  void SetDrift(const std::string& project, const std::string& stack, int drifted_resources);
  // ecsync_last_success_timestamp_seconds{project}: Unix time of the last successful or
  // no-op reconcile.
  void SetLastSuccess(const std::string& project, std::chrono::system_clock::time_point when);
  // Drops every series labelled with `project` (it left the configuration).
  void RemoveProject(const std::string& project);

  // One git fetch or remote check of `repository` (the configured name).
  // ecsync_git_fetch_duration_seconds{repository}, ecsync_git_fetch_errors_total{repository}.
  void GitFetch(const std::string& repository, std::chrono::duration<double> duration, bool ok);
  // Where `repository`'s failing checks stand: ecsync_git_consecutive_failures{repository}
  // and ecsync_git_backoff_seconds{repository} (the delay before the next retry); both 0
  // once a check succeeds or the repository leaves the configuration.
  void SetGitBackoff(const std::string& repository, int consecutive_failures,
                     double backoff_seconds);

  // One AWS call after its last attempt. ecsync_aws_requests_total{service,operation,code}
  // where code is "OK" when `ok`, else `error_code`, else "NetworkError" (the caller passes
  // a code such as "HTTP503" when a response came without one);
  // ecsync_aws_retries_total{service,operation} += attempts - 1.
  void AwsCall(const std::string& service, const std::string& operation,
               const std::string& error_code, bool ok, int attempts);

  // A revision of `repository` refused by its verify policy (git/signature.h):
  // ecsync_signature_refusals_total{repository,reason}; `reason` is one of "unsigned",
  // "bad_signature", "unknown_key", "expired_key", "revoked_key", "key_not_allowed",
  // "committer", "error".
  void SignatureRefused(const std::string& repository, const std::string& reason);

  // ecsync_webhook_requests_total{provider,result}; result is one of "accepted", "ignored",
  // "duplicate", "unauthorized", "unknown_repository", "too_large", "bad_request",
  // "rate_limited".
  void Webhook(const std::string& provider, const std::string& result);

  // ecsync_operator_actions_total{action,result}: `action` is "reconcile", "suspend",
  // "resume" or "acknowledge"; `result` one of "accepted", "unauthorized", "forbidden",
  // "not_found", "conflict", "bad_request", "error" (see web/operator_api).
  void OperatorAction(const std::string& action, const std::string& result);

  // ecsync_http_refused_total{listener,reason}: `listener` is "public", "admin" or
  // "metrics"; `reason` one of "connection_limit", "client_connection_limit",
  // "idle_evicted", "request_timeout", "write_timeout", "headers_too_large",
  // "body_too_large", "bad_request", "overloaded", "stream_limit", "slow_stream" (see
  // server::Listener).
  void HttpRefused(const std::string& listener, const std::string& reason);

  // ecsync_notifications_total{sink_type,result}: one notification (an event for one sink)
  // ended; `sink_type` is "slack", "teams", "webhook" or a git host; `result` one of
  // "delivered", "failed" (refused, or its last retry failed), "dropped" (a full queue or
  // shutdown).
  void Notification(const std::string& sink_type, const std::string& result);

  // ecsync_queue_depth: projects waiting for a worker.
  void SetQueueDepth(size_t depth);
  // ecsync_repositories_unchecked: repositories not checked since the start or, with
  // replicas, since their shard arrived (a catch-up after a failover counts down to 0).
  void SetUncheckedRepositories(size_t repositories);
  // With replicas sharing the projects (docs/high-availability.md): ecsync_shards_owned,
  // the shards this replica holds a valid lease of, and ecsync_coordination_healthy, 0 while
  // DynamoDB fails (the replica then stops writing). Neither series exists without
  // coordination.
  void SetShardsOwned(int shards, bool healthy);
  // Called at each scrape for ecsync_reconcile_longest_running_seconds (0 when idle; 0 too
  // while no source is set). It runs on the scraping thread without any lock of Metrics held
  // (so it may take its own locks or call back into Metrics), possibly on several threads at
  // once, and must stay callable until it is replaced or Metrics is destroyed.
  void SetLongestRunningSource(std::function<double()> seconds);

  // The Prometheus text exposition format (version 0.0.4) of every family.
  std::string Serialize() const;

 private:
  struct Families;
  std::unique_ptr<Families> families_;
};

}  // namespace ecsync::metrics
