#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
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
//   AwaitingApproval  (approval: manual) a change set, or the plan of a create or delete,
//                waits for an operator to approve or reject it (`pending_*`; see
//                docs/manual-approval.md); the stack is untouched meanwhile.
enum class Condition {
  kReady,
  kReconciling,
  kWaitingForImages,
  kStalled,
  kHeld,
  kAwaitingApproval
};
const char* ConditionName(Condition condition);

struct RunRecord {
  std::chrono::system_clock::time_point started;
  double seconds = 0;
  std::string revision;
  std::string action;  // none | create | update | delete | drift
  std::string result;  // success | noop | failed | error | skipped | awaiting_approval | rejected
  std::string message;
  // Manual approval: the change set (or plan) this run applied or rejected, and who decided
  // when; empty otherwise.
  std::string change_set;
  std::string approved_by;
  std::chrono::system_clock::time_point approved_at{};
};

// One resource change of a change set, as the status UI lists it.
struct ChangeRecord {
  std::string action;  // Add | Modify | Remove | ...
  std::string logical_id;
  std::string resource_type;
  std::string replacement;  // Modify only: True | False | Conditional
};

// A commit as the status UI shows it (see git::CommitSummary).
struct CommitRecord {
  std::string subject;
  std::string author;
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
  // Who suspended it: "configuration" (suspend: true, which wins) or the operator API token's
  // name; and since when (the epoch for the configuration).
  std::string suspended_by;
  std::chrono::system_clock::time_point suspended_at{};
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
  // The running reconcile's latest progress line ("" when none runs).
  std::string progress;
  // The last update's change set and template diff (kept until the next update changes
  // something), and the revision it deployed.
  std::vector<ChangeRecord> last_changes;
  std::vector<std::string> last_template_diff;
  std::string last_changes_revision;
  // While AwaitingApproval: the change waiting (an update's change set name, or a create's
  // or delete's plan), what it does, and since when.
  std::string pending_change_set;
  std::string pending_action;  // create | update | delete
  std::string pending_revision;
  std::chrono::system_clock::time_point pending_since{};
  std::vector<ChangeRecord> pending_changes;
  std::vector<std::string> pending_template_diff;
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
  // The subject and author of the latest revisions fetched (at most kMaxCommits), so a
  // project deployed from an older one still shows it.
  std::map<std::string, CommitRecord> commits;
  std::deque<std::string> commit_order;  // oldest first
  static constexpr size_t kMaxCommits = 16;
};

// The controller's view of every repository and project, for the status API, the UI and
// readiness. Thread-safe; updates take a function run under the lock. Every change bumps
// version() and then, outside the lock, calls the observers with the project's key, or ""
// and the repository's name for a repository change.
class StatusStore {
 public:
  using Observer = std::function<void(uint64_t version, const std::string& project_key,
                                      const std::string& repository)>;
  // Adds `observer`, called on the updating thread after each change (keep it cheap; it must
  // not update the store). Returns an id for RemoveObserver. Const: observing changes nothing.
  int AddObserver(Observer observer) const;
  void RemoveObserver(int id) const;
  uint64_t version() const;

  void UpdateRepository(const std::string& name, const std::function<void(RepositoryStatus&)>& fn);
  void UpdateProject(const std::string& key, const std::function<void(ProjectStatus&)>& fn);
  // Records the subject and author of `commit` for `repository` (keeping kMaxCommits).
  void RecordCommit(const std::string& repository, const std::string& commit, CommitRecord record);
  // Appends a run (newest first, keeping kMaxRuns).
  void AddRun(const std::string& key, RunRecord run);
  void RemoveProject(const std::string& key);
  void RemoveRepository(const std::string& name);

  std::vector<RepositoryStatus> Repositories() const;
  std::vector<ProjectStatus> Projects() const;
  bool FindProject(const std::string& key, ProjectStatus* out) const;
  // How many repositories (of `among`, when given) have not been checked since they were
  // added or marked unchecked (SetUnpolled).
  size_t Unpolled(const std::set<std::string>* among = nullptr) const;
  // A repository whose shard this replica just took: to be checked again before it counts.
  void SetUnpolled(const std::string& name);

  // The /api/v1/status document: every repository, and every project's summary (its entry
  // without the run history, change set and template diff, which only ProjectJson has). Kept
  // small because the overview of thousands of projects fetches it on every change.
  nlohmann::ordered_json ToJson() const;
  // One project's full entry (the summary plus `runs`, `lastChanges`, `lastTemplateDiff` and
  // `lastChangesRevision`); nullopt when there is no such project.
  std::optional<nlohmann::ordered_json> ProjectJson(const std::string& key) const;
  // One repository's entry of the list; nullopt when there is no such repository.
  std::optional<nlohmann::ordered_json> RepositoryJson(const std::string& name) const;

 private:
  void Changed(const std::string& project_key, const std::string& repository = "");
  nlohmann::ordered_json ProjectJsonLocked(const ProjectStatus& p, bool full) const;

  mutable std::mutex mu_;
  uint64_t version_ = 0;  // guarded by mu_
  mutable std::mutex observers_mu_;
  mutable std::map<int, Observer> observers_;  // guarded by observers_mu_
  mutable int next_observer_ = 0;              // guarded by observers_mu_
  std::map<std::string, RepositoryStatus> repositories_;
  std::map<std::string, ProjectStatus> projects_;
};

// RFC 3339 UTC with seconds ("2026-11-22T02:14:37Z"); "" for the epoch (never).
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace ecsync::controller
