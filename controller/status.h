#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ecsync::controller {

// Where a project stands, as Kubernetes-style conditions say it:
//   Ready        its stack matches the last revision seen;
//   Reconciling  a reconcile is queued or running;
//   WaitingForImages  the revision's images (external builder) are not in the registry yet;
//                checked again every images.poll_interval until images.wait, and
//                superseded by a new commit; the stack is untouched meanwhile;
//   Stalled      the last attempt failed and needs a new commit, a configuration change, or
//                (for transient trouble) a retry after backoff; `reason` says which.
//   Held         a change (new revision, configuration, self-heal) arrived while the
//                project's deploy windows are closed; the stack is untouched and the change is
//                applied when they open (`held_until`; see docs/deploy-windows.md).
enum class Condition { kReady, kReconciling, kWaitingForImages, kStalled, kHeld };
const char* ConditionName(Condition condition);

struct RunRecord {
  std::chrono::system_clock::time_point started;
  double seconds = 0;
  std::string revision;
  std::string action;  // none | create | update | delete | drift
  std::string result;  // success | noop | failed | error | skipped
  std::string message;
};

struct ProjectStatus {
  std::string key;
  std::string repository;
  std::string name;
  std::string stack;
  Condition condition = Condition::kReconciling;
  std::string reason;
  std::string last_applied_revision;
  std::string last_attempted_revision;
  std::string stack_status;
  bool suspended = false;
  // Stalled on input a human must fix (a bad compose file, a stack owned by someone else).
  bool needs_input = false;
  // While Held: when the deploy windows open (the epoch when they do not open within a year).
  std::chrono::system_clock::time_point held_until{};
  std::string drift_status;  // "" until checked; IN_SYNC | DRIFTED | UNKNOWN
  int drifted_resources = 0;
  std::string drift_detail;
  std::chrono::system_clock::time_point drift_checked{};
  std::deque<RunRecord> runs;  // newest first, at most kMaxRuns
  static constexpr size_t kMaxRuns = 5;
};

struct RepositoryStatus {
  std::string name;
  std::string url;  // redacted: no password
  std::string ref;
  std::string last_commit;
  std::chrono::system_clock::time_point last_fetch{};
  std::string last_error;
  int consecutive_failures = 0;
  // While checks keep failing: the delay chosen after the last failure (0 otherwise).
  double backoff_seconds = 0;
  // When the next check is due: the retry while failing, else the next poll; the epoch when
  // none is scheduled (webhooks only, or not checked yet).
  std::chrono::system_clock::time_point next_attempt{};
  bool polled = false;  // at least one check finished (with success or error)
};

// The controller's view of every repository and project, for the status API, the HTML page
// and readiness. Thread-safe; updates take a function run under the lock.
class StatusStore {
 public:
  void UpdateRepository(const std::string& name, const std::function<void(RepositoryStatus&)>& fn);
  void UpdateProject(const std::string& key, const std::function<void(ProjectStatus&)>& fn);
  // Appends a run (newest first, keeping kMaxRuns).
  void AddRun(const std::string& key, RunRecord run);
  void RemoveProject(const std::string& key);
  void RemoveRepository(const std::string& name);

  std::vector<RepositoryStatus> Repositories() const;
  std::vector<ProjectStatus> Projects() const;
  bool FindProject(const std::string& key, ProjectStatus* out) const;
  // True once every repository has been checked at least once.
  bool AllPolled() const;

  // The /api/v1/status document.
  nlohmann::ordered_json ToJson() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, RepositoryStatus> repositories_;
  std::map<std::string, ProjectStatus> projects_;
};

// RFC 3339 UTC with seconds ("2026-11-22T02:14:37Z"); "" for the epoch (never).
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace ecsync::controller
