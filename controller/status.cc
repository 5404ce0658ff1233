#include "controller/status.h"

#include <ctime>
#include <utility>

#include "base/utf8.h"
#include "controller/commit_link.h"

namespace ecsync::controller {

namespace {

// Status text comes from git (compose keys, file names), AWS and error messages, so it may
// hold any bytes; the JSON must stay valid UTF-8 or dumping it throws.
std::string Text(const std::string& text) { return base::SanitizeUtf8(text); }

nlohmann::ordered_json ChangesJson(const std::vector<ChangeRecord>& changes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ChangeRecord& change : changes) {
    out.push_back({{"action", Text(change.action)},
                   {"logicalId", Text(change.logical_id)},
                   {"resourceType", Text(change.resource_type)},
                   {"replacement", Text(change.replacement)}});
  }
  return out;
}

}  // namespace

const char* ConditionName(Condition condition) {
  switch (condition) {
    case Condition::kReady:
      return "Ready";
    case Condition::kReconciling:
      return "Reconciling";
    case Condition::kWaitingForImages:
      return "WaitingForImages";
    case Condition::kStalled:
      return "Stalled";
    case Condition::kHeld:
      return "Held";
    case Condition::kAwaitingApproval:
      return "AwaitingApproval";
  }
  return "Unknown";
}

std::string FormatTime(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "";
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void StatusStore::UpdateRepository(const std::string& name,
                                   const std::function<void(RepositoryStatus&)>& fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RepositoryStatus& status = repositories_[name];
    status.name = name;
    fn(status);
    ++version_;
  }
  Changed("", name);
}

void StatusStore::UpdateProject(const std::string& key,
                                const std::function<void(ProjectStatus&)>& fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ProjectStatus& status = projects_[key];
    status.key = key;
    fn(status);
    ++version_;
  }
  Changed(key);
}

void StatusStore::RecordCommit(const std::string& repository, const std::string& commit,
                               CommitRecord record) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RepositoryStatus& status = repositories_[repository];
    status.name = repository;
    if (status.commits.emplace(commit, std::move(record)).second) {
      status.commit_order.push_back(commit);
    }
    while (status.commit_order.size() > RepositoryStatus::kMaxCommits) {
      status.commits.erase(status.commit_order.front());
      status.commit_order.pop_front();
    }
    ++version_;
  }
  Changed("", repository);
}

void StatusStore::AddRun(const std::string& key, RunRecord run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ProjectStatus& status = projects_[key];
    status.key = key;
    status.runs.push_front(std::move(run));
    while (status.runs.size() > ProjectStatus::kMaxRuns) status.runs.pop_back();
    ++version_;
  }
  Changed(key);
}

void StatusStore::RemoveProject(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    projects_.erase(key);
    ++version_;
  }
  Changed(key);
}

void StatusStore::RemoveRepository(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    repositories_.erase(name);
    ++version_;
  }
  Changed("", name);
}

int StatusStore::AddObserver(Observer observer) const {
  std::lock_guard<std::mutex> lock(observers_mu_);
  const int id = next_observer_++;
  observers_.emplace(id, std::move(observer));
  return id;
}

void StatusStore::RemoveObserver(int id) const {
  std::lock_guard<std::mutex> lock(observers_mu_);
  observers_.erase(id);
}

uint64_t StatusStore::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

void StatusStore::Changed(const std::string& project_key, const std::string& repository) {
  const uint64_t now = version();
  // Observers run under observers_mu_ so that one removed is never called afterwards.
  std::lock_guard<std::mutex> lock(observers_mu_);
  for (const auto& [id, observer] : observers_) observer(now, project_key, repository);
}

std::vector<RepositoryStatus> StatusStore::Repositories() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RepositoryStatus> out;
  for (const auto& [name, status] : repositories_) out.push_back(status);
  return out;
}

std::vector<ProjectStatus> StatusStore::Projects() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ProjectStatus> out;
  for (const auto& [key, status] : projects_) out.push_back(status);
  return out;
}

bool StatusStore::FindProject(const std::string& key, ProjectStatus* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = projects_.find(key);
  if (it == projects_.end()) return false;
  *out = it->second;
  return true;
}

size_t StatusStore::Unpolled(const std::set<std::string>* among) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t unpolled = 0;
  for (const auto& [name, status] : repositories_) {
    if (!status.polled && (among == nullptr || among->contains(name))) ++unpolled;
  }
  return unpolled;
}

void StatusStore::SetUnpolled(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = repositories_.find(name);
  if (it != repositories_.end()) it->second.polled = false;
}

namespace {

nlohmann::ordered_json RepositoryEntry(const RepositoryStatus& r) {
  return {{"name", Text(r.name)},
          {"url", Text(r.url)},
          {"ref", Text(r.ref)},
          {"lastFetchedCommit", Text(r.last_commit)},
          {"lastFetchTime", FormatTime(r.last_fetch)},
          {"lastError", Text(r.last_error)},
          {"consecutiveFailures", r.consecutive_failures},
          {"backoffSeconds", r.backoff_seconds},
          {"nextAttemptAt", FormatTime(r.next_attempt)}};
}

}  // namespace

std::optional<nlohmann::ordered_json> StatusStore::RepositoryJson(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = repositories_.find(name);
  if (it == repositories_.end()) return std::nullopt;
  return RepositoryEntry(it->second);
}

nlohmann::ordered_json StatusStore::ToJson() const {
  nlohmann::ordered_json doc;
  doc["repositories"] = nlohmann::ordered_json::array();
  for (const RepositoryStatus& r : Repositories())
    doc["repositories"].push_back(RepositoryEntry(r));
  doc["projects"] = nlohmann::ordered_json::array();
  std::lock_guard<std::mutex> lock(mu_);
  doc["projects"].get_ref<nlohmann::ordered_json::array_t&>().reserve(projects_.size());
  for (const auto& [key, p] : projects_) {
    doc["projects"].push_back(ProjectJsonLocked(p, /*full=*/false));
  }
  doc["version"] = version_;
  return doc;
}

std::optional<nlohmann::ordered_json> StatusStore::ProjectJson(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = projects_.find(key);
  if (it == projects_.end()) return std::nullopt;
  return ProjectJsonLocked(it->second, /*full=*/true);
}

nlohmann::ordered_json StatusStore::ProjectJsonLocked(const ProjectStatus& p, bool full) const {
  // An ordered_json object is a vector of pairs with a const key, which it copies (members
  // and nested values) whenever it grows: reserved once, a project is built without copies.
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j.get_ref<nlohmann::ordered_json::object_t&>().reserve(24);
  j["key"] = Text(p.key);
  j["repository"] = Text(p.repository);
  j["name"] = Text(p.name);
  j["stack"] = Text(p.stack);
  j["condition"] = {{"type", ConditionName(p.condition)}, {"reason", Text(p.reason)}};
  if (p.condition == Condition::kHeld) j["condition"]["heldUntil"] = FormatTime(p.held_until);
  if (p.condition == Condition::kAwaitingApproval) {
    j["condition"]["changeSet"] = Text(p.pending_change_set);
  }
  j["suspended"] = p.suspended;
  j["suspendedBy"] = Text(p.suspended_by);
  j["suspendedAt"] = FormatTime(p.suspended_at);
  j["lastAppliedRevision"] = Text(p.last_applied_revision);
  j["lastAttemptedRevision"] = Text(p.last_attempted_revision);
  // The commit shown: the one applied, else the one tried.
  const std::string& shown =
      p.last_applied_revision.empty() ? p.last_attempted_revision : p.last_applied_revision;
  nlohmann::ordered_json commit = {
      {"sha", Text(shown)}, {"subject", ""}, {"author", ""}, {"url", ""}};
  if (auto repo = repositories_.find(p.repository); repo != repositories_.end()) {
    if (auto found = repo->second.commits.find(shown); found != repo->second.commits.end()) {
      commit["subject"] = Text(found->second.subject);
      commit["author"] = Text(found->second.author);
    }
    if (!shown.empty()) commit["url"] = Text(CommitLink(repo->second.url, shown));
  }
  j["commit"] = std::move(commit);
  j["stackStatus"] = Text(p.stack_status);
  j["progress"] = Text(p.progress);
  j["drift"] = {{"status", Text(p.drift_status)},
                {"driftedResources", p.drifted_resources},
                {"detail", Text(p.drift_detail)},
                {"checkedAt", FormatTime(p.drift_checked)}};
  if (!full) return j;
  j["runs"] = nlohmann::ordered_json::array();
  for (const RunRecord& run : p.runs) {
    j["runs"].push_back({{"started", FormatTime(run.started)},
                         {"seconds", run.seconds},
                         {"revision", Text(run.revision)},
                         {"action", Text(run.action)},
                         {"result", Text(run.result)},
                         {"message", Text(run.message)},
                         {"changeSet", Text(run.change_set)},
                         {"approvedBy", Text(run.approved_by)},
                         {"approvedAt", FormatTime(run.approved_at)}});
  }
  j["lastChanges"] = ChangesJson(p.last_changes);
  j["lastTemplateDiff"] = nlohmann::ordered_json::array();
  for (const std::string& line : p.last_template_diff) j["lastTemplateDiff"].push_back(Text(line));
  j["lastChangesRevision"] = Text(p.last_changes_revision);
  j["pendingApproval"] = nullptr;
  if (!p.pending_change_set.empty()) {
    nlohmann::ordered_json pending = {{"changeSet", Text(p.pending_change_set)},
                                      {"action", Text(p.pending_action)},
                                      {"revision", Text(p.pending_revision)},
                                      {"since", FormatTime(p.pending_since)},
                                      {"changes", ChangesJson(p.pending_changes)},
                                      {"templateDiff", nlohmann::ordered_json::array()}};
    for (const std::string& line : p.pending_template_diff) {
      pending["templateDiff"].push_back(Text(line));
    }
    j["pendingApproval"] = std::move(pending);
  }
  return j;
}

}  // namespace ecsync::controller
