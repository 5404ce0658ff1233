// StackFiles' change sets: create, describe, execute, delete.

#include "aws/stack_files.h"

#include <algorithm>

#include "aws/stack_files_io.h"
#include "aws/stack_files_rules.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kNoChanges[] =
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set.";

base::Status ChangeSetNotFound(const std::string& change_set) {
  return base::NotFoundError("ChangeSet [" + change_set + "] does not exist");
}

}  // namespace

base::Result<std::string> StackFiles::CreateChangeSet(const CreateChangeSetRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ValidStackName(request.change_set_name)) {
    return InvalidNameError(request.change_set_name, "changeSetName");
  }
  std::string type = request.change_set_type.empty() ? "UPDATE" : request.change_set_type;
  if (type != "CREATE" && type != "UPDATE") {
    return base::InvalidError("stack files support ChangeSetType CREATE and UPDATE, not " + type);
  }
  StackRecord record;
  if (type == "CREATE") {
    if (!ValidStackName(request.stack_name))
      return InvalidNameError(request.stack_name, "stackName");
    ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> existing, LoadLive(request.stack_name));
    if (existing && existing->status != "REVIEW_IN_PROGRESS") {
      return base::ConflictError("Stack [" + request.stack_name +
                                 "] already exists and cannot be created again with the "
                                 "changeSet [" +
                                 request.change_set_name + "].");
    }
    if (existing) record = std::move(*existing);
  } else {
    base::Result<StackRecord> found = Find(request.stack_name, /*include_deleted=*/false);
    if (!found.ok()) {
      if (found.status().kind() != base::ErrorKind::kNotFound) return found.status();
      return base::InvalidError("Stack [" + request.stack_name + "] does not exist");
    }
    record = std::move(found).value();
    if (!IsUpdatable(record.status)) return CannotUpdate(record);
  }
  for (const StoredChangeSet& existing : record.change_sets) {
    if (existing.summary.name != request.change_set_name) continue;
    if (!request.client_token.empty() && existing.client_token == request.client_token) {
      return existing.summary.id;
    }
    return base::ConflictError("ChangeSet [" + request.change_set_name + "] already exists");
  }
  ECSYNC_ASSIGN_OR_RETURN(Desired desired,
                          Check(request.template_body, request.template_url, request.parameters,
                                request.tags, request.capabilities));

  auto now = clock_.Now();
  if (record.name.empty()) {
    record.name = request.stack_name;
    record.id = kStackIdPrefix + request.stack_name + "/" + NewUuid();
    record.status = "REVIEW_IN_PROGRESS";
    record.creation_time = now;
    record.last_updated_time = now;
    AddEvent(&record, record.name, kStackResourceType, "REVIEW_IN_PROGRESS", "User Initiated");
  }
  std::optional<ParsedTemplate> current;
  if (type == "UPDATE") {
    ECSYNC_ASSIGN_OR_RETURN(current, LoadTemplate(record));
  }

  StoredChangeSet change_set;
  change_set.summary.id =
      kStackIdPrefix + std::string("changeSet/") + request.change_set_name + "/" + NewUuid();
  change_set.summary.name = request.change_set_name;
  change_set.summary.stack_id = record.id;
  change_set.summary.stack_name = record.name;
  change_set.type = type;
  change_set.description = request.description;
  change_set.client_token = request.client_token;
  change_set.template_body = desired.body;
  change_set.parameters = Masked(desired.parameters);
  change_set.tags = request.tags;
  change_set.capabilities = request.capabilities;
  change_set.creation_time = now;
  if (desired.tags.empty()) desired.tags = record.tags;
  if (type == "UPDATE" && Unchanged(record, current, desired)) {
    change_set.summary.status = "FAILED";
    change_set.summary.status_reason = kNoChanges;
    change_set.summary.execution_status = "UNAVAILABLE";
  } else {
    change_set.summary.status = "CREATE_COMPLETE";
    change_set.summary.execution_status = "AVAILABLE";
    change_set.summary.changes =
        DiffResources(current ? current->doc : Json(), desired.parsed.doc, record.name);
    if (type == "UPDATE") {
      AddParameterChanges(desired.parsed.doc, ChangedParameters(record, desired), record.name,
                          &change_set.summary.changes);
    }
  }
  std::string id = change_set.summary.id;
  record.change_sets.push_back(std::move(change_set));
  ECSYNC_RETURN_IF_ERROR(Save(record));
  RememberSecrets(id, desired.parameters);
  return id;
}

base::Result<StackFiles::FoundChangeSet> StackFiles::FindChangeSet(const std::string& change_set,
                                                                   const std::string& stack_name) {
  bool by_id = change_set.starts_with("arn:");
  if (!by_id && stack_name.empty()) {
    return base::InvalidError(
        "StackName must be specified if ChangeSetName is not specified as an ARN.");
  }
  std::vector<StackRecord> candidates;
  if (stack_name.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(candidates, LoadAllLive());
  } else {
    base::Result<StackRecord> found = Find(stack_name, /*include_deleted=*/false);
    if (!found.ok()) {
      if (found.status().kind() == base::ErrorKind::kNotFound) return ChangeSetNotFound(change_set);
      return found.status();
    }
    candidates.push_back(std::move(found).value());
  }
  for (StackRecord& record : candidates) {
    for (size_t i = 0; i < record.change_sets.size(); ++i) {
      const ChangeSet& summary = record.change_sets[i].summary;
      if ((by_id ? summary.id : summary.name) == change_set) {
        return FoundChangeSet{std::move(record), i};
      }
    }
  }
  return ChangeSetNotFound(change_set);
}

base::Result<ChangeSet> StackFiles::DescribeChangeSet(const std::string& change_set,
                                                      const std::string& stack_name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(FoundChangeSet found, FindChangeSet(change_set, stack_name));
  return found.record.change_sets[found.index].summary;
}

base::Status StackFiles::ExecuteChangeSet(const std::string& change_set,
                                          const std::string& stack_name,
                                          const std::string& client_request_token) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(FoundChangeSet found, FindChangeSet(change_set, stack_name));
  StackRecord& record = found.record;
  if (record.HasToken(client_request_token, "ExecuteChangeSet")) return base::Status::Ok();
  StoredChangeSet& executed = record.change_sets[found.index];
  if (executed.summary.execution_status != "AVAILABLE") {
    return base::ConflictError("ChangeSet [" + executed.summary.name +
                               "] cannot be executed in its current execution status of [" +
                               executed.summary.execution_status + "]");
  }
  bool create = executed.type == "CREATE";
  if (create ? record.status != "REVIEW_IN_PROGRESS" : !IsUpdatable(record.status)) {
    return CannotUpdate(record);
  }
  Desired desired;
  base::Result<ParsedTemplate> parsed = ParseTemplate(executed.template_body);
  if (!parsed.ok()) {
    return base::InternalError("change set " + executed.summary.name + " in " +
                               StatePath(record.name) + " has an unreadable template (" +
                               parsed.status().message() + "); delete the change set");
  }
  desired.parsed = std::move(parsed).value();
  desired.body = executed.template_body;
  for (const StoredParameter& p : executed.parameters) {
    desired.parameters.push_back({p.key, p.value, p.no_echo});
  }
  desired.tags = executed.tags.empty() ? record.tags : executed.tags;
  desired.capabilities = executed.capabilities;
  std::string executed_id = executed.summary.id;
  executed.summary.execution_status = "EXECUTE_COMPLETE";
  executed.template_body.clear();
  record.AddToken(client_request_token, "ExecuteChangeSet");
  ECSYNC_RETURN_IF_ERROR(Apply(&record, desired, create));
  // The values were masked in the change set; carry over what this process knows of them.
  auto digests = secret_digests_.find(executed_id);
  if (digests == secret_digests_.end()) {
    secret_digests_.erase(record.id);
  } else {
    secret_digests_[record.id] = digests->second;
  }
  return base::Status::Ok();
}

base::Status StackFiles::DeleteChangeSet(const std::string& change_set,
                                         const std::string& stack_name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(FoundChangeSet found, FindChangeSet(change_set, stack_name));
  StackRecord& record = found.record;
  const ChangeSet& summary = record.change_sets[found.index].summary;
  if (summary.execution_status == "EXECUTE_IN_PROGRESS") {
    return base::ConflictError("ChangeSet [" + summary.name +
                               "] cannot be deleted in its current execution status of "
                               "[EXECUTE_IN_PROGRESS]");
  }
  secret_digests_.erase(summary.id);
  record.change_sets.erase(record.change_sets.begin() + static_cast<std::ptrdiff_t>(found.index));
  return Save(record);
}

}  // namespace ecsync::aws
