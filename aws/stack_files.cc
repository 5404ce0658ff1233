#include "aws/stack_files.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "aws/stack_files_io.h"
#include "aws/stack_files_rules.h"
#include "base/hash.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::ordered_json;

// A template URL without its query string, which may carry a signature.
std::string UrlForMessage(const std::string& url) { return url.substr(0, url.find('?')); }

base::Status NoTemplateUrls(const std::string& url) {
  return base::InvalidError("stack files cannot read the template URL " + UrlForMessage(url) +
                            ": there is no S3 offline; pass the template body instead");
}

base::Status StackNotFound(const std::string& name_or_id) {
  return base::NotFoundError("Stack with id " + name_or_id + " does not exist");
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
  std::snprintf(out, sizeof(out), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return out;
}

base::Result<std::optional<StackRecord>> StackFiles::LoadFile(const std::string& path,
                                                              const std::string& name) {
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
  if (!text) return std::optional<StackRecord>();
  ECSYNC_ASSIGN_OR_RETURN(StackRecord record, StackRecordFromJson(*text, path));
  if (record.name != name) {
    return base::InternalError("stack file " + path + " holds stack " + record.name + ", not " +
                               name + "; rename it to " + record.name + ".state.json or delete it");
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
  if (by_id ? !ParseStackId(name_or_id, &name, &uuid) : !ValidStackName(name)) {
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
    if (!ValidStackName(name)) continue;  // not a file this target wrote
    ECSYNC_ASSIGN_OR_RETURN(std::optional<StackRecord> record, LoadLive(name));
    if (record) records.push_back(std::move(*record));
  }
  std::sort(records.begin(), records.end(),
            [](const StackRecord& a, const StackRecord& b) { return a.name < b.name; });
  return records;
}

std::string StackFiles::ForgetAdvice(const StackRecord& record) const {
  return "; restore it, or delete " + StatePath(record.name) + " to make ecsync forget stack " +
         record.name;
}

base::Result<std::string> StackFiles::ReadTemplate(const StackRecord& record) {
  std::string path = TemplatePath(record.name, record.template_format);
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> body, ReadFileIfExists(path));
  if (!body)
    return base::InternalError("template file " + path + " is missing" + ForgetAdvice(record));
  return std::move(*body);
}

base::Result<std::optional<ParsedTemplate>> StackFiles::LoadTemplate(const StackRecord& record) {
  if (record.template_format.empty()) return std::optional<ParsedTemplate>();
  ECSYNC_ASSIGN_OR_RETURN(std::string body, ReadTemplate(record));
  base::Result<ParsedTemplate> parsed = ParseTemplate(body);
  if (!parsed.ok()) {
    return base::InternalError(
        "template file " + TemplatePath(record.name, record.template_format) + " is unreadable (" +
        parsed.status().message() + ")" + ForgetAdvice(record));
  }
  return std::optional<ParsedTemplate>(std::move(parsed).value());
}

base::Status StackFiles::Save(const StackRecord& record) {
  return WriteFileAtomically(StatePath(record.name), StackRecordToJson(record));
}

base::Result<StackFiles::Desired> StackFiles::Check(const std::string& template_body,
                                                    const std::string& template_url,
                                                    const std::vector<Parameter>& parameters,
                                                    const std::map<std::string, std::string>& tags,
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
      same = digests != secret_digests_.end() && digests->second.count(want.key) != 0 &&
             digests->second.at(want.key) == base::Sha256Hex(want.value);
    }
    if (!same) changed.push_back(want.key);
  }
  return changed;
}

bool StackFiles::Unchanged(const StackRecord& record, const std::optional<ParsedTemplate>& current,
                           const Desired& desired) const {
  return current && SameTemplate(current->doc, desired.parsed.doc) && desired.tags == record.tags &&
         desired.parameters.size() == record.parameters.size() &&
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

  AddEvent(record, record->name, kStackResourceType, operation + "_IN_PROGRESS", "User Initiated");
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
    AddEvent(record, record->name, kStackResourceType, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "");
  }
  for (const ResourceChange& change : changes) {
    if (change.action == "Remove") {
      AddEvent(record, change.logical_id, change.resource_type, "DELETE_COMPLETE", "");
    }
  }
  AddEvent(record, record->name, kStackResourceType, operation + "_COMPLETE", "");

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
  stacks.reserve(records.size());
  for (const StackRecord& record : records) stacks.push_back(record.ToStack());
  return stacks;
}

base::Result<std::string> StackFiles::CreateStack(const CreateStackRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ValidStackName(request.name)) return InvalidNameError(request.name, "stackName");
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
  record.id = kStackIdPrefix + request.name + "/" + NewUuid();
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
  AddEvent(&record, record.name, kStackResourceType, "DELETE_IN_PROGRESS", "User Initiated");
  for (auto it = record.resources.rbegin(); it != record.resources.rend(); ++it) {
    AddEvent(&record, it->logical_id, it->resource_type, "DELETE_COMPLETE", "");
    it->status = "DELETE_COMPLETE";
    it->status_reason.clear();
    it->last_updated = now;
  }
  AddEvent(&record, record.name, kStackResourceType, "DELETE_COMPLETE", "");
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
  return ReadTemplate(record);
}

base::Result<TemplateValidation> StackFiles::ValidateTemplate(const std::string& body_or_url) {
  if (body_or_url.starts_with("https://")) return NoTemplateUrls(body_or_url);
  ECSYNC_ASSIGN_OR_RETURN(ParsedTemplate parsed, ParseTemplate(body_or_url));
  return DescribeTemplate(parsed.doc);
}

}  // namespace ecsync::aws
