#include "aws/stack_files.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "aws/stack_files_io.h"
#include "base/hash.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kIdPrefix[] = "arn:ecsync:stack-files:local:";
constexpr char kStackType[] = "AWS::CloudFormation::Stack";
constexpr char kNoChanges[] =
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set.";

// CloudFormation's rule for stack and change set names.
bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '-'; });
}

base::Status BadName(const std::string& name, const char* field) {
  return base::InvalidError("1 validation error detected: Value '" + name + "' at '" + field +
                            "' failed to satisfy constraint: Member must satisfy regular "
                            "expression pattern: [a-zA-Z][-a-zA-Z0-9]* and have length less "
                            "than or equal to 128");
}

// Splits "arn:ecsync:stack-files:local:<name>/<uuid>".
bool ParseStackId(const std::string& id, std::string* name, std::string* uuid) {
  if (!id.starts_with(kIdPrefix)) return false;
  std::string rest = id.substr(sizeof(kIdPrefix) - 1);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return false;
  *name = rest.substr(0, slash);
  *uuid = rest.substr(slash + 1);
  return ValidName(*name) && !uuid->empty() &&
         std::all_of(uuid->begin(), uuid->end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
         });
}

base::Status StackNotFound(const std::string& name_or_id) {
  return base::NotFoundError("Stack with id " + name_or_id + " does not exist");
}

base::Status ChangeSetNotFound(const std::string& change_set) {
  return base::NotFoundError("ChangeSet [" + change_set + "] does not exist");
}

// States from which CloudFormation accepts an update.
bool IsUpdatable(const std::string& status) {
  return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" ||
         status == "UPDATE_ROLLBACK_COMPLETE" || status == "IMPORT_COMPLETE" ||
         status == "IMPORT_ROLLBACK_COMPLETE";
}

base::Status CannotUpdate(const StackRecord& record) {
  return base::ConflictError("Stack:" + record.id + " is in " + record.status +
                             " state and can not be updated.");
}

std::vector<StoredParameter> Masked(const std::vector<ResolvedParameter>& parameters) {
  std::vector<StoredParameter> out;
  for (const ResolvedParameter& p : parameters) {
    out.push_back({p.key, p.no_echo ? kMaskedValue : p.value, p.no_echo});
  }
  return out;
}

// A template URL without its query string, which may carry a signature.
std::string UrlForMessage(const std::string& url) { return url.substr(0, url.find('?')); }

base::Status NoTemplateUrls(const std::string& url) {
  return base::InvalidError("stack files cannot read the template URL " + UrlForMessage(url) +
                            ": there is no S3 offline; pass the template body instead");
}

}  // namespace

StackFiles::StackFiles(std::string dir, base::Clock& clock)
    : dir_(std::move(dir)), clock_(clock), rng_(std::random_device{}()) {}

std::string StackFiles::StatePath(const std::string& name) const {
  return dir_ + "/" + name + ".state.json";
}

std::string StackFiles::TemplatePath(const std::string& name, const std::string& format) const {
  return dir_ + "/" + name + ".template." + format;
}

std::string StackFiles::DeletedPath(const std::string& name, const std::string& uuid) const {
  return dir_ + "/.deleted/" + name + "-" + uuid + ".state.json";
}

std::string StackFiles::NewUuid() {
  uint64_t hi = rng_();
  uint64_t lo = rng_();
  char out[37];
  std::snprintf(out, sizeof(out), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return out;
}

base::Result<std::optional<StackRecord>> StackFiles::LoadFile(const std::string& path,
                                                              const std::string& name) {
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
  if (!text) return std::optional<StackRecord>();
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, StackRecordFromJson(*text, path));
  if (record.name != name) {
    return base::InternalError("stack file " + path + " holds stack " + record.name +
                               ", not " + name + "; rename it to " + record.name +
                               ".state.json or delete it");
  }
  return std::optional<StackRecord>(std::move(record));
}

base::Result<std::optional<StackRecord>> StackFiles::LoadLive(const std::string& name) {
  return LoadFile(StatePath(name), name);
}

base::Result<StackRecord> StackFiles::Find(const std::string& name_or_id, bool include_deleted) {
  std::string name = name_or_id;
  std::string uuid;
  bool by_id = name_or_id.starts_with("arn:");
  if (by_id ? !ParseStackId(name_or_id, &name, &uuid) : !ValidName(name)) {
    return StackNotFound(name_or_id);
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> live, LoadLive(name));
  if (live && (!by_id || live->id == name_or_id)) return std::move(*live);
  if (by_id && include_deleted) {
    ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> deleted,
                            LoadFile(DeletedPath(name, uuid), name));
    if (deleted && deleted->id == name_or_id) return std::move(*deleted);
  }
  return StackNotFound(name_or_id);
}

base::Result<std::vector<StackRecord>> StackFiles::LoadAllLive() {
  constexpr std::string_view kSuffix = ".state.json";
  ECSYNC_ASSIGN_OR_RETURN(std::vector<std::string> files, ListFiles(dir_, std::string(kSuffix)));
  std::vector<StackRecord> records;
  for (const std::string& file : files) {
    std::string name = file.substr(0, file.size() - kSuffix.size());
    if (!ValidName(name)) continue;  // not a file this target wrote
    ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> record, LoadLive(name));
    if (record) records.push_back(std::move(*record));
  }
  std::sort(records.begin(), records.end(),
            [](const StackRecord& a, const StackRecord& b) { return a.name < b.name; });
  return records;
}

base::Result<std::optional<ParsedTemplate>> StackFiles::LoadTemplate(const StackRecord& record) {
  if (record.template_format.empty()) return std::optional<ParsedTemplate>();
  std::string path = TemplatePath(record.name, record.template_format);
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> body, ReadFileIfExists(path));
  const std::string advice = "; restore it, or delete " + StatePath(record.name) +
                             " to make ecsync forget stack " + record.name;
  if (!body) return base::InternalError("template file " + path + " is missing" + advice);
  base::Result<ParsedTemplate> parsed = ParseTemplate(*body);
  if (!parsed.ok()) {
    return base::InternalError("template file " + path + " is unreadable (" +
                               parsed.status().message() + ")" + advice);
  }
  return std::optional<ParsedTemplate>(std::move(parsed).value());
}

base::Status StackFiles::Save(const StackRecord& record) {
  return WriteFileAtomically(StatePath(record.name), StackRecordToJson(record));
}

base::Result<StackFiles::Desired> StackFiles::Check(
    const std::string& template_body, const std::string& template_url,
    const std::vector<Parameter>& parameters, const std::map<std::string, std::string>& tags,
    const std::vector<std::string>& capabilities) {
  if (!template_url.empty()) return NoTemplateUrls(template_url);
  if (template_body.empty()) {
    return base::InvalidError("Either Template URL or Template Body must be specified.");
  }
  Desired desired;
  ECSYNC_ASSIGN_OR_RETURN(desired.parsed, ParseTemplate(template_body));
  ECSYNC_RETURN_IF_ERROR(CheckCapabilities(desired.parsed.doc, capabilities));
  ECSYNC_ASSIGN_OR_RETURN(desired.parameters, ResolveParameters(desired.parsed.doc, parameters));
  desired.body = StoredTemplateBody(desired.parsed, template_body);
  desired.tags = tags;
  desired.capabilities = capabilities;
  return desired;
}

std::vector<std::string> StackFiles::ChangedParameters(const StackRecord& record,
                                                      const Desired& desired) const {
  auto digests = secret_digests_.find(record.id);
  std::vector<std::string> changed;
  for (const ResolvedParameter& want : desired.parameters) {
    auto have = std::find_if(record.parameters.begin(), record.parameters.end(),
                             [&](const StoredParameter& p) { return p.key == want.key; });
    bool same = have != record.parameters.end() && have->no_echo == want.no_echo;
    if (same && !want.no_echo) same = have->value == want.value;
    if (same && want.no_echo) {
      // A secret is only known unchanged when this process saw the value applied.
      same = digests != secret_digests_.end() &&
             digests->second.count(want.key) != 0 &&
             digests->second.at(want.key) == base::Sha256Hex(want.value);
    }
    if (!same) changed.push_back(want.key);
  }
  return changed;
}

bool StackFiles::Unchanged(const StackRecord& record, const std::optional<ParsedTemplate>& current,
                           const Desired& desired) const {
  return current && SameTemplate(current->doc, desired.parsed.doc) &&
         desired.tags == record.tags && desired.parameters.size() == record.parameters.size() &&
         ChangedParameters(record, desired).empty();
}

void StackFiles::AddEvent(StackRecord* record, const std::string& logical_id,
                          const std::string& type, const std::string& status,
                          const std::string& reason) {
  StackEvent event;
  event.event_id = NewUuid();
  event.logical_id = logical_id;
  event.resource_type = type;
  event.status = status;
  event.reason = reason;
  event.timestamp = clock_.Now();
  record->events.insert(record->events.begin(), std::move(event));
}

void StackFiles::RememberSecrets(const std::string& owner_id,
                                 const std::vector<ResolvedParameter>& parameters) {
  std::map<std::string, std::string> digests;
  for (const ResolvedParameter& p : parameters) {
    if (p.no_echo) digests[p.key] = base::Sha256Hex(p.value);
  }
  if (digests.empty()) {
    secret_digests_.erase(owner_id);
  } else {
    secret_digests_[owner_id] = std::move(digests);
  }
}

base::Status StackFiles::Apply(StackRecord* record, const Desired& desired, bool create) {
  std::optional<ParsedTemplate> current;
  if (!create) {
    ECSYNC_ASSIGN_OR_RETURN(current, LoadTemplate(*record));
  }
  const Json& doc = desired.parsed.doc;
  std::vector<ResourceChange> changes =
      DiffResources(current ? current->doc : Json(), doc, record->name);
  const std::string operation = create ? "CREATE" : "UPDATE";
  auto now = clock_.Now();

  AddEvent(record, record->name, kStackType, operation + "_IN_PROGRESS", "User Initiated");
  std::map<std::string, std::string> action_of;
  for (const ResourceChange& change : changes) {
    action_of[change.logical_id] = change.action;
    if (change.action == "Add") {
      AddEvent(record, change.logical_id, change.resource_type, "CREATE_COMPLETE", "");
    } else if (change.action == "Modify") {
      AddEvent(record, change.logical_id, change.resource_type, "UPDATE_COMPLETE", "");
    }
  }
  if (!create) {
    AddEvent(record, record->name, kStackType, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "");
  }
  for (const ResourceChange& change : changes) {
    if (change.action == "Remove") {
      AddEvent(record, change.logical_id, change.resource_type, "DELETE_COMPLETE", "");
    }
  }
  AddEvent(record, record->name, kStackType, operation + "_COMPLETE", "");

  std::vector<StoredResource> resources;
  for (const auto& [logical_id, resource] : doc.at("Resources").items()) {
    // A named copy: clang before 16 cannot capture a structured binding in a lambda.
    const std::string& id = logical_id;
    auto old = std::find_if(record->resources.begin(), record->resources.end(),
                            [&](const StoredResource& r) { return r.logical_id == id; });
    StoredResource r;
    if (old != record->resources.end()) r = *old;
    r.logical_id = logical_id;
    r.physical_id = PhysicalResourceId(record->name, logical_id);
    r.resource_type = resource.at("Type").get<std::string>();
    const std::string& action = action_of[logical_id];
    if (action == "Add" || old == record->resources.end()) {
      r.status = "CREATE_COMPLETE";
      r.status_reason.clear();
      r.drift_status = "NOT_CHECKED";
      r.last_updated = now;
    } else if (action == "Modify") {
      r.status = "UPDATE_COMPLETE";
      r.status_reason.clear();
      r.last_updated = now;
    }
    resources.push_back(std::move(r));
  }
  record->resources = std::move(resources);

  std::string old_format = record->template_format;
  record->status = operation + "_COMPLETE";
  record->status_reason.clear();
  record->description = DescribeTemplate(doc).description;
  record->template_format = desired.parsed.yaml ? "yaml" : "json";
  record->tags = desired.tags;
  record->parameters = Masked(desired.parameters);
  record->capabilities = desired.capabilities;
  record->outputs = ResolveOutputs(doc, record->name, record->id, desired.parameters);
  if (create) record->creation_time = now;
  record->last_updated_time = now;
  for (StoredChangeSet& change_set : record->change_sets) {
    if (change_set.summary.execution_status == "AVAILABLE") {
      change_set.summary.execution_status = "OBSOLETE";
    }
  }

  // The template first: a crash before the state is written leaves the old state, and the
  // next update (its tags differ) writes both again.
  ECSYNC_RETURN_IF_ERROR(
      WriteFileAtomically(TemplatePath(record->name, record->template_format), desired.body));
  ECSYNC_RETURN_IF_ERROR(Save(*record));
  if (!old_format.empty() && old_format != record->template_format) {
    ECSYNC_RETURN_IF_ERROR(RemoveFileIfExists(TemplatePath(record->name, old_format)));
  }
  return base::Status::Ok();
}

base::Result<Stack> StackFiles::DescribeStack(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/true));
  return record.ToStack();
}

base::Result<std::vector<Stack>> StackFiles::DescribeStacks() {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(std::vector<StackRecord> records, LoadAllLive());
  std::vector<Stack> stacks;
  for (const StackRecord& record : records) stacks.push_back(record.ToStack());
  return stacks;
}

base::Result<std::string> StackFiles::CreateStack(const CreateStackRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ValidName(request.name)) return BadName(request.name, "stackName");
  const std::string& on_failure = request.on_failure;
  if (!on_failure.empty() && on_failure != "DO_NOTHING" && on_failure != "ROLLBACK" &&
      on_failure != "DELETE") {
    return base::InvalidError("OnFailure must be DO_NOTHING, ROLLBACK or DELETE, not " +
                              on_failure);
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> existing, LoadLive(request.name));
  if (existing) {
    if (existing->HasToken(request.client_request_token, "CreateStack")) return existing->id;
    return base::ConflictError("Stack [" + request.name + "] already exists");
  }
  ECSYNC_ASSIGN_OR_RETURN(Desired desired,
                          Check(request.template_body, request.template_url, request.parameters,
                                request.tags, request.capabilities));
  StackRecord record;
  record.name = request.name;
  record.id = kIdPrefix + request.name + "/" + NewUuid();
  record.AddToken(request.client_request_token, "CreateStack");
  ECSYNC_RETURN_IF_ERROR(Apply(&record, desired, /*create=*/true));
  RememberSecrets(record.id, desired.parameters);
  return record.id;
}

base::Status StackFiles::UpdateStack(const UpdateStackRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(request.name, /*include_deleted=*/false));
  if (record.HasToken(request.client_request_token, "UpdateStack")) return base::Status::Ok();
  if (!IsUpdatable(record.status)) return CannotUpdate(record);
  ECSYNC_ASSIGN_OR_RETURN(Desired desired,
                          Check(request.template_body, request.template_url, request.parameters,
                                request.tags, request.capabilities));
  // As in CloudFormation, an update without tags keeps the stack's tags.
  if (desired.tags.empty()) desired.tags = record.tags;
  ECSYNC_ASSIGN_OR_RETURN(std::optional<ParsedTemplate> current, LoadTemplate(record));
  if (Unchanged(record, current, desired)) {
    return base::InvalidError("No updates are to be performed.");
  }
  record.AddToken(request.client_request_token, "UpdateStack");
  ECSYNC_RETURN_IF_ERROR(Apply(&record, desired, /*create=*/false));
  RememberSecrets(record.id, desired.parameters);
  return base::Status::Ok();
}

base::Status StackFiles::DeleteStack(const std::string& name,
                                     const std::string& client_request_token) {
  std::lock_guard<std::mutex> lock(mu_);
  base::Result<StackRecord> found = Find(name, /*include_deleted=*/true);
  if (!found.ok()) {
    // CloudFormation answers a delete of a stack that does not exist with success.
    if (found.status().kind() == base::ErrorKind::kNotFound) return base::Status::Ok();
    return found.status();
  }
  StackRecord record = std::move(found).value();
  if (record.status == "DELETE_COMPLETE") return base::Status::Ok();
  if (record.termination_protection) {
    return base::ConflictError("Stack [" + record.name +
                               "] cannot be deleted while TerminationProtection is enabled");
  }
  auto now = clock_.Now();
  AddEvent(&record, record.name, kStackType, "DELETE_IN_PROGRESS", "User Initiated");
  for (auto it = record.resources.rbegin(); it != record.resources.rend(); ++it) {
    AddEvent(&record, it->logical_id, it->resource_type, "DELETE_COMPLETE", "");
    it->status = "DELETE_COMPLETE";
    it->status_reason.clear();
    it->last_updated = now;
  }
  AddEvent(&record, record.name, kStackType, "DELETE_COMPLETE", "");
  record.status = "DELETE_COMPLETE";
  record.status_reason.clear();
  record.last_updated_time = now;
  record.change_sets.clear();
  record.AddToken(client_request_token, "DeleteStack");
  std::string template_format = record.template_format;
  record.template_format.clear();

  std::string stack_name;
  std::string uuid;
  if (!ParseStackId(record.id, &stack_name, &uuid)) {
    return base::InternalError("stack file " + StatePath(record.name) + " has a malformed id " +
                               record.id + "; fix it or delete the file");
  }
  // The deleted record first: once the state file is gone the stack is deleted, and by
  // then its id must already resolve.
  ECSYNC_RETURN_IF_ERROR(
      WriteFileAtomically(DeletedPath(record.name, uuid), StackRecordToJson(record)));
  if (!template_format.empty()) {
    ECSYNC_RETURN_IF_ERROR(RemoveFileIfExists(TemplatePath(record.name, template_format)));
  }
  ECSYNC_RETURN_IF_ERROR(RemoveFileIfExists(StatePath(record.name)));
  secret_digests_.erase(record.id);
  return base::Status::Ok();
}

base::Result<std::vector<StackEvent>> StackFiles::DescribeStackEvents(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/true));
  return record.events;
}

base::Result<std::string> StackFiles::CreateChangeSet(const CreateChangeSetRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ValidName(request.change_set_name)) {
    return BadName(request.change_set_name, "changeSetName");
  }
  std::string type = request.change_set_type.empty() ? "UPDATE" : request.change_set_type;
  if (type != "CREATE" && type != "UPDATE") {
    return base::InvalidError("stack files support ChangeSetType CREATE and UPDATE, not " + type);
  }
  StackRecord record;
  if (type == "CREATE") {
    if (!ValidName(request.stack_name)) return BadName(request.stack_name, "stackName");
    ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> existing, LoadLive(request.stack_name));
    if (existing && existing->status != "REVIEW_IN_PROGRESS") {
      return base::ConflictError("Stack [" + request.stack_name +
                                 "] already exists and cannot be created again with the "
                                 "changeSet [" + request.change_set_name + "].");
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
    record.id = kIdPrefix + request.stack_name + "/" + NewUuid();
    record.status = "REVIEW_IN_PROGRESS";
    record.creation_time = now;
    record.last_updated_time = now;
    AddEvent(&record, record.name, kStackType, "REVIEW_IN_PROGRESS", "User Initiated");
  }
  std::optional<ParsedTemplate> current;
  if (type == "UPDATE") {
    ECSYNC_ASSIGN_OR_RETURN(current, LoadTemplate(record));
  }

  StoredChangeSet change_set;
  change_set.summary.id =
      kIdPrefix + std::string("changeSet/") + request.change_set_name + "/" + NewUuid();
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

base::Result<StackFiles::FoundChangeSet> StackFiles::FindChangeSet(
    const std::string& change_set, const std::string& stack_name) {
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

base::Status StackFiles::ContinueUpdateRollback(const std::string& name,
                                                const std::vector<std::string>& resources_to_skip,
                                                const std::string& client_request_token) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.HasToken(client_request_token, "ContinueUpdateRollback")) return base::Status::Ok();
  if (record.status != "UPDATE_ROLLBACK_FAILED") {
    return base::ConflictError("Stack:" + record.id + " is in " + record.status +
                               " state and can not continue an update rollback; "
                               "ContinueUpdateRollback applies only to a stack in "
                               "UPDATE_ROLLBACK_FAILED");
  }
  for (const std::string& skipped : resources_to_skip) {
    bool known = std::any_of(record.resources.begin(), record.resources.end(),
                             [&](const StoredResource& r) { return r.logical_id == skipped; });
    if (!known) {
      return base::InvalidError("Resource " + skipped + " is not in stack " + record.name +
                                "; ResourcesToSkip names logical ids of the stack");
    }
  }
  auto now = clock_.Now();
  AddEvent(&record, record.name, kStackType, "UPDATE_ROLLBACK_IN_PROGRESS", "Continue rollback");
  for (StoredResource& resource : record.resources) {
    if (!resource.status.ends_with("_FAILED")) continue;
    bool skip = std::find(resources_to_skip.begin(), resources_to_skip.end(),
                          resource.logical_id) != resources_to_skip.end();
    resource.status = "UPDATE_COMPLETE";
    resource.status_reason = skip ? "Resource skipped during rollback" : "";
    resource.last_updated = now;
    AddEvent(&record, resource.logical_id, resource.resource_type, resource.status,
             resource.status_reason);
  }
  AddEvent(&record, record.name, kStackType, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "");
  AddEvent(&record, record.name, kStackType, "UPDATE_ROLLBACK_COMPLETE", "");
  record.status = "UPDATE_ROLLBACK_COMPLETE";
  record.status_reason.clear();
  record.last_updated_time = now;
  record.AddToken(client_request_token, "ContinueUpdateRollback");
  return Save(record);
}

base::Status StackFiles::CancelUpdateStack(const std::string& name,
                                           const std::string& client_request_token) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.HasToken(client_request_token, "CancelUpdateStack")) return base::Status::Ok();
  if (record.status != "UPDATE_IN_PROGRESS") {
    return base::ConflictError("CancelUpdateStack cannot be called from current stack status: "
                               "stack " + record.name + " is " + record.status +
                               ", and only an UPDATE_IN_PROGRESS update can be cancelled");
  }
  AddEvent(&record, record.name, kStackType, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated");
  AddEvent(&record, record.name, kStackType, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "");
  AddEvent(&record, record.name, kStackType, "UPDATE_ROLLBACK_COMPLETE", "");
  record.status = "UPDATE_ROLLBACK_COMPLETE";
  record.status_reason.clear();
  record.last_updated_time = clock_.Now();
  record.AddToken(client_request_token, "CancelUpdateStack");
  return Save(record);
}

base::Result<std::vector<StackResource>> StackFiles::DescribeStackResources(
    const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/true));
  std::vector<StackResource> resources;
  for (const StoredResource& r : record.resources) {
    resources.push_back({r.logical_id, r.physical_id, r.resource_type, r.status, r.status_reason,
                         r.drift_status, r.last_updated});
  }
  return resources;
}

base::Result<std::string> StackFiles::GetTemplate(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.template_format.empty()) {
    return base::ConflictError("Stack " + record.name + " is in " + record.status +
                               " state and has no template yet; execute one of its change sets");
  }
  std::string path = TemplatePath(record.name, record.template_format);
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> body, ReadFileIfExists(path));
  if (!body) {
    return base::InternalError("template file " + path + " is missing; restore it, or delete " +
                               StatePath(record.name) + " to make ecsync forget stack " +
                               record.name);
  }
  return std::move(*body);
}

base::Result<TemplateValidation> StackFiles::ValidateTemplate(const std::string& body_or_url) {
  if (body_or_url.starts_with("https://")) return NoTemplateUrls(body_or_url);
  ECSYNC_ASSIGN_OR_RETURN(ParsedTemplate parsed, ParseTemplate(body_or_url));
  return DescribeTemplate(parsed.doc);
}

base::Result<std::string> StackFiles::DetectStackDrift(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  if (record.status == "REVIEW_IN_PROGRESS") {
    return base::ConflictError("Stack:" + record.id +
                               " is in REVIEW_IN_PROGRESS state and can not be checked for drift");
  }
  std::string id = NewUuid();
  record.drift = StoredDrift{id, clock_.Now()};
  for (StoredResource& resource : record.resources) resource.drift_status = "IN_SYNC";
  ECSYNC_RETURN_IF_ERROR(Save(record));
  return id;
}

base::Result<DriftDetection> StackFiles::DescribeStackDriftDetectionStatus(
    const std::string& detection_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(std::vector<StackRecord> records, LoadAllLive());
  for (const StackRecord& record : records) {
    if (!record.drift || record.drift->detection_id != detection_id) continue;
    DriftDetection detection;
    detection.detection_id = detection_id;
    detection.stack_id = record.id;
    detection.detection_status = "DETECTION_COMPLETE";
    detection.stack_drift_status = "IN_SYNC";
    return detection;
  }
  return base::NotFoundError("Drift detection with id " + detection_id +
                             " does not exist (stack files keep only each stack's last one)");
}

base::Result<std::vector<ResourceDrift>> StackFiles::DescribeStackResourceDrifts(
    const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  std::vector<ResourceDrift> drifts;
  for (const StoredResource& r : record.resources) {
    if (r.drift_status == "NOT_CHECKED") continue;
    drifts.push_back({r.logical_id, r.physical_id, r.resource_type, r.drift_status, {}});
  }
  return drifts;
}

base::Status StackFiles::UpdateTerminationProtection(const std::string& name, bool enable) {
  std::lock_guard<std::mutex> lock(mu_);
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, Find(name, /*include_deleted=*/false));
  record.termination_protection = enable;
  return Save(record);
}

}  // namespace ecsync::aws
