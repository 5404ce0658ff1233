#include "reconcile/reconciler.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "compose/loader.h"
#include "reconcile/change_sets.h"
#include "reconcile/project_network.h"
#include "reconcile/retained_file_systems.h"
#include "reconcile/git_file_reader.h"
#include "reconcile/stack_tags.h"
#include "reconcile/template_diff.h"

namespace ecsync::reconcile {

namespace {

std::string Dirname(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string Short(const std::string& revision) { return revision.substr(0, 12); }

std::string TagOr(const aws::Stack& stack, const char* key, const std::string& fallback = "") {
  auto it = stack.tags.find(key);
  return it == stack.tags.end() ? fallback : it->second;
}

// Statuses from which a stack cannot be updated, only deleted and created again.
bool NeedsRecreate(const std::string& status) {
  return status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" ||
         status == "REVIEW_IN_PROGRESS" || status == "CREATE_FAILED" ||
         status == "DELETE_FAILED";
}

std::string DescribeFailures(const std::vector<FailedResource>& failures) {
  if (failures.empty()) return "";
  const FailedResource& first = failures.front();
  return "; first failure: " + first.logical_id + " (" + first.resource_type + ") " + first.status +
         ": " + first.reason;
}

std::string Seconds(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 999) / 1000) + "s";
}

base::Status Interrupted(const std::string& stack, const std::string& status) {
  return base::TransientError("interrupted: stack " + stack + " is still " + status +
                              " in CloudFormation; run ecsync again to resume waiting");
}

// Every resource of a template as an Add (for creates) or Remove (for deletes).
std::vector<aws::ResourceChange> ResourcesAs(const std::string& template_body,
                                             const std::string& action) {
  std::vector<aws::ResourceChange> changes;
  auto tmpl = nlohmann::json::parse(template_body, nullptr, false);
  if (tmpl.is_discarded() || !tmpl.contains("Resources")) return changes;
  for (auto it = tmpl["Resources"].begin(); it != tmpl["Resources"].end(); ++it) {
    aws::ResourceChange change;
    change.action = action;
    change.logical_id = it.key();
    change.resource_type = it.value().value("Type", "");
    changes.push_back(change);
  }
  return changes;
}

// True when `stack` carries `desired`'s template hash and its last operation succeeded.
bool IsUpToDate(const aws::Stack& stack, const Desired& desired) {
  return TagOr(stack, kTagTemplateSha) == desired.template_sha &&
         stack.status.ends_with("_COMPLETE") && !stack.status.starts_with("UPDATE_ROLLBACK") &&
         !stack.status.starts_with("DELETE") && !NeedsRecreate(stack.status);
}

ReconcileReport UpToDate(const aws::Stack& stack, const Desired& desired) {
  ReconcileReport report;
  report.stack_name = stack.name;
  report.revision = desired.revision;
  report.final_status = stack.status;
  report.message = "stack " + stack.name + " is up to date (template unchanged since revision " +
                   Short(TagOr(stack, kTagRevision)) + ")";
  return report;
}

}  // namespace

const char* ActionName(Action action) {
  switch (action) {
    case Action::kNone:
      return "none";
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kDelete:
      return "delete";
  }
  return "unknown";
}

std::string TemplateKey(const std::string& prefix, const std::string& stack,
                        const std::string& template_body) {
  return prefix + stack + "/" + base::Sha256Hex(template_body) + ".json";
}

std::string StackNameFor(const std::string& project_name) {
  std::string out;
  for (char c : project_name) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  }
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "ecsync-" + out;
  if (out.size() > 128) out.resize(128);
  return out;
}

std::string RepoName(const std::string& url) {
  std::string trimmed = url;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  auto cut = trimmed.find_last_of("/:");
  std::string name = cut == std::string::npos ? trimmed : trimmed.substr(cut + 1);
  if (name.ends_with(".git")) name.resize(name.size() - 4);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

Reconciler::Reconciler(git::GitSource& git, aws::CloudFormation& cfn, aws::Ec2* ec2,
                       base::Clock& clock, ProgressSink sink)
    : git_(git), cfn_(cfn), ec2_(ec2), clock_(clock), sink_(std::move(sink)) {}

void Reconciler::Say(const std::string& stack, const std::string& line) const {
  if (!sink_) return;
  ProgressEvent event;
  event.stack = stack;
  event.message = line;
  sink_(event);
}

std::map<std::string, std::string> Reconciler::Tags(const Desired& desired) const {
  return {{kTagManagedBy, kManagedByValue},
          {kTagSource, desired.source},
          {kTagRevision, desired.revision},
          {kTagTemplateSha, desired.template_sha}};
}

base::Result<Desired> Reconciler::Render(const ReconcileOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(std::string compose_path, NormalizeRepoPath(options.compose_path));
  Desired desired;
  desired.source = SourceId(options.repo_url, compose_path);
  desired.stack_name = options.stack_name;
  if (options.commit.empty()) {
    auto fetched = git_.Fetch(options.repo_url, options.ref);
    if (!fetched.ok()) return fetched.status().WithContext("fetching " + options.repo_url);
    desired.revision = *fetched;
    Say(options.stack_name, "revision " + Short(desired.revision) + " of " + options.repo_url +
                                " (" + options.ref + ")");
  } else {
    desired.revision = options.commit;
  }

  auto content = git_.ReadFile(options.repo_url, desired.revision, compose_path);
  if (!content.ok()) return content.status();
  if (!content->has_value()) return desired;  // present == false
  desired.present = true;

  GitFileReader reader(git_, options.repo_url, desired.revision);
  compose::LoadOptions load;
  load.files = {compose_path};
  for (const std::string& extra : options.extra_files) {
    ECSYNC_ASSIGN_OR_RETURN(std::string path, NormalizeRepoPath(extra));
    load.files.push_back(path);
  }
  if (!options.env_file.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(std::string path, NormalizeRepoPath(options.env_file));
    load.env_files = {path};
  }
  load.profiles = options.profiles;
  load.working_dir = Dirname(compose_path);
  load.root_dir = ".";  // git paths are repository-relative: files may come from anywhere in it
  load.project_name = options.project_name;
  load.default_project_name = load.working_dir.empty()
                                  ? RepoName(options.repo_url)
                                  : load.working_dir.substr(load.working_dir.rfind('/') + 1);
  load.environment = options.environment;
  load.ecs_check = true;  // what ECS cannot honour fails here, before any AWS call
  auto project = compose::Load(load, reader);
  if (!project.ok()) {
    // A bad commit must never touch a running stack: report and stop here.
    return base::InvalidError(project.status().message() + " (at revision " +
                              Short(desired.revision) + "; the deployed stack is left as it is)");
  }
  for (const compose::Diagnostic& warning : project->warnings) {
    Say(options.stack_name, "warning: " + warning.ToString());
  }
  ECSYNC_ASSIGN_OR_RETURN(cfn::ConvertOptions network,
                          ResolveProjectNetwork(ec2_, elbv2_, options.network, *project));
  if (desired.stack_name.empty()) desired.stack_name = StackNameFor(project->name);
  if (efs_ != nullptr) {
    base::Status retained =
        AddRetainedFileSystems(*efs_, cfn_, desired.stack_name, *project, &network);
    if (!retained.ok()) {
      return retained.WithContext("looking for retained EFS file systems (at revision " +
                                  Short(desired.revision) +
                                  "; the deployed stack is left as it is)");
    }
  }
  auto conversion = cfn::ConvertProject(*project, network);
  if (!conversion.ok()) {
    return base::InvalidError(conversion.status().message() + " (at revision " +
                              Short(desired.revision) + "; the deployed stack is left as it is)");
  }
  for (const std::string& warning : conversion->warnings) {
    Say(options.stack_name, "warning: " + warning);
  }
  // Secret values travel as NoEcho parameters; only a hash of them joins the template's.
  std::string secrets_digest;
  for (const cfn::SecretParameter& secret : conversion->secret_parameters) {
    std::string value;
    if (!secret.file.empty()) {
      auto read = reader.Read(secret.file);
      if (!read.ok()) {
        return base::InvalidError("secret " + secret.secret + ": " + read.status().message());
      }
      value = std::move(*read);
    } else {
      auto it = options.environment.find(secret.environment);
      if (it == options.environment.end()) {
        return base::InvalidError("secret " + secret.secret + " comes from the variable " +
                                  secret.environment + ", which is not set");
      }
      value = it->second;
    }
    secrets_digest += secret.parameter + "=" + base::Sha256Hex(value) + "\n";
    desired.parameters.push_back({secret.parameter, std::move(value)});
  }
  desired.template_body = conversion->tmpl.dump();
  if (s3_ != nullptr && desired.template_body.size() > aws::kMaxTemplateBodyBytes &&
      options.template_bucket.empty()) {
    // Refused here, before any write, rather than by CloudFormation halfway through.
    return base::InvalidError(
        "the template for " + compose_path + " is " +
        std::to_string(desired.template_body.size()) +
        " bytes, over CloudFormation's 51,200-byte TemplateBody limit; name an S3 bucket to "
        "pass it through (aws.template_bucket in the config file, or --template-bucket)");
  }
  desired.template_sha = secrets_digest.empty()
                            ? base::Sha256Hex(desired.template_body)
                            : base::Sha256Hex(desired.template_body + "\n" + secrets_digest);
  return desired;
}

base::Status Reconciler::PlaceTemplate(const ReconcileOptions& options, const Desired& desired,
                                       std::string* body, std::string* url) {
  if (s3_ == nullptr || desired.template_body.size() <= aws::kMaxTemplateBodyBytes) {
    *body = desired.template_body;
    return base::Status::Ok();
  }
  const std::string key =
      TemplateKey(options.template_prefix, desired.stack_name, desired.template_body);
  auto put = s3_->PutObject(options.template_bucket, key, desired.template_body,
                            "application/json");
  if (!put.ok()) {
    return put.status().WithContext("uploading the template of stack " + desired.stack_name +
                                    " (" + std::to_string(desired.template_body.size()) +
                                    " bytes) to s3://" + options.template_bucket + "/" + key);
  }
  Say(desired.stack_name, "template is " + std::to_string(desired.template_body.size()) +
                              " bytes; passing it as s3://" + options.template_bucket + "/" + key);
  *url = s3_->TemplateUrl(options.template_bucket, key);
  return base::Status::Ok();
}

base::Result<std::vector<aws::Stack>> Reconciler::OwnedStacks(const std::string& source,
                                                              const std::string& only) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> stacks, ListManagedStacks(cfn_));
  std::vector<aws::Stack> owned;
  for (auto& stack : stacks) {
    if (TagOr(stack, kTagSource) != source) continue;
    if (!only.empty() && stack.name != only) continue;
    owned.push_back(std::move(stack));
  }
  return owned;
}

base::Result<std::optional<aws::Stack>> Reconciler::OwnStack(const Desired& desired) {
  auto existing = cfn_.DescribeStack(desired.stack_name);
  if (!existing.ok()) {
    if (existing.status().kind() == base::ErrorKind::kNotFound) return std::optional<aws::Stack>();
    return existing.status();
  }
  if (!IsManaged(existing->tags)) {
    return base::ConflictError("stack " + desired.stack_name +
                               " exists and was not created by ecsync; ecsync will not change "
                               "it. Choose another --stack-name, or delete that stack");
  }
  std::string owner = TagOr(*existing, kTagSource);
  if (!owner.empty() && owner != desired.source) {
    return base::ConflictError("stack " + desired.stack_name + " is deployed by ecsync from " +
                               owner + ", not from " + desired.source +
                               "; choose another --stack-name");
  }
  return std::optional<aws::Stack>(std::move(existing).value());
}

base::Result<ReconcileReport> Reconciler::Reconcile(const ReconcileOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(Desired desired, Render(options));
  if (!desired.present) return DeleteOwnedStacks(options, desired);
  return Apply(options, desired);
}

base::Result<PlanReport> Reconciler::Plan(const ReconcileOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(Desired desired, Render(options));
  PlanReport plan;
  plan.revision = desired.revision;
  plan.stack_name = desired.stack_name;
  if (!desired.present) {
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> owned,
                            OwnedStacks(desired.source, options.stack_name));
    if (owned.empty()) {
      plan.reason = "the compose file is gone and no stack was deployed from it";
      return plan;
    }
    // One source deploys one stack; more than one means a renamed --stack-name.
    plan.action = Action::kDelete;
    plan.stack_name = owned.front().name;
    plan.reason = "the compose file is gone at revision " + Short(desired.revision);
    for (const aws::Stack& stack : owned) {
      auto resources = cfn_.DescribeStackResources(stack.id.empty() ? stack.name : stack.id);
      if (!resources.ok()) return resources.status();
      for (const auto& r : *resources) {
        plan.changes.push_back({"Remove", r.logical_id, r.physical_id, r.resource_type, "", {}, {}});
      }
    }
    return plan;
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<aws::Stack> stack, OwnStack(desired));
  if (!stack || NeedsRecreate(stack->status)) {
    plan.action = Action::kCreate;
    plan.reason = stack ? "stack is " + stack->status + "; it would be deleted and created again"
                        : "stack does not exist";
    plan.changes = ResourcesAs(desired.template_body, "Add");
    return plan;
  }
  if (TagOr(*stack, kTagTemplateSha) == desired.template_sha && IsTerminalStatus(stack->status)) {
    plan.reason = "template unchanged since revision " + Short(TagOr(*stack, kTagRevision));
    return plan;
  }
  aws::CreateChangeSetRequest request;
  request.change_set_name = "ecsync-plan-" + desired.template_sha.substr(0, 16);
  request.stack_name = stack->name;  // a live stack's name is unique (and moto wants the name)
  request.parameters = desired.parameters;
  request.tags = Tags(desired);
  request.capabilities = {"CAPABILITY_IAM"};
  request.description = "ecsync plan for revision " + desired.revision + " (deleted after reading)";
  ECSYNC_RETURN_IF_ERROR(
      PlaceTemplate(options, desired, &request.template_body, &request.template_url));
  ECSYNC_ASSIGN_OR_RETURN(PreparedChangeSet prepared,
                          PrepareChangeSet(cfn_, clock_, request, options.wait));
  if (prepared.has_changes) (void)cfn_.DeleteChangeSet(request.change_set_name, request.stack_name);
  auto deployed = cfn_.GetTemplate(request.stack_name);
  if (deployed.ok()) plan.template_diff = DiffTemplates(*deployed, desired.template_body);
  if (!prepared.has_changes) {
    plan.reason = "CloudFormation finds no resource changes";
    return plan;
  }
  plan.action = Action::kUpdate;
  plan.reason = "revision " + Short(TagOr(*stack, kTagRevision, "?")) + " -> " +
                Short(desired.revision);
  plan.changes = prepared.change_set.changes;
  return plan;
}

base::Result<ReconcileReport> Reconciler::Apply(const ReconcileOptions& options,
                                                const Desired& desired) {
  if (options.snapshot != nullptr && !options.force) {
    auto it = options.snapshot->find(desired.stack_name);
    if (it != options.snapshot->end() && IsManaged(it->second.tags) &&
        TagOr(it->second, kTagSource) == desired.source && IsUpToDate(it->second, desired)) {
      return UpToDate(it->second, desired);
    }
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<aws::Stack> found, OwnStack(desired));
  if (!found) return Create(options, desired);
  aws::Stack stack = std::move(*found);
  const std::string id = stack.id.empty() ? stack.name : stack.id;
  if (!IsTerminalStatus(stack.status) && stack.status != "REVIEW_IN_PROGRESS") {
    // (REVIEW_IN_PROGRESS is a create by change set that was never executed: nothing runs,
    // so it is deleted below rather than waited on.)
    // Another run (or a killed one) started an operation: wait for it, never start a second.
    Say(stack.name, "stack " + stack.name + " is " + stack.status + "; waiting for it to finish");
    StackWaiter waiter(cfn_, clock_, sink_, options.wait);
    ECSYNC_RETURN_IF_ERROR(waiter.Begin(id));
    ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(id));
    if (waited.interrupted) return Interrupted(stack.name, waited.final_status);
    if (waited.timed_out) {
      return base::TransientError("stack " + stack.name + " is still " + waited.final_status +
                                  " after " + Seconds(options.wait.timeout) +
                                  "; it will be waited on next time");
    }
    if (waited.final_status == "DELETE_COMPLETE") return Create(options, desired);
    ECSYNC_ASSIGN_OR_RETURN(stack, cfn_.DescribeStack(id));
  }
  if (NeedsRecreate(stack.status)) {
    Say(stack.name, "stack " + stack.name + " is " + stack.status +
                        " and cannot be updated; deleting it first");
    ECSYNC_ASSIGN_OR_RETURN(ReconcileReport deleted, Delete(options, stack, desired.revision));
    if (!deleted.succeeded) return deleted;
    return Create(options, desired);
  }
  if (!options.force && IsUpToDate(stack, desired)) return UpToDate(stack, desired);
  return Update(options, desired, stack);
}

base::Result<ReconcileReport> Reconciler::Create(const ReconcileOptions& options,
                                                 const Desired& desired) {
  const std::string& name = desired.stack_name;
  Say(name, "creating stack " + name + " at revision " + Short(desired.revision));
  aws::CreateStackRequest request;
  request.name = name;
  ECSYNC_RETURN_IF_ERROR(
      PlaceTemplate(options, desired, &request.template_body, &request.template_url));
  request.parameters = desired.parameters;
  request.tags = Tags(desired);
  request.capabilities = {"CAPABILITY_IAM"};
  request.on_failure = "DELETE";  // a failed create leaves nothing behind
  request.client_request_token = RequestToken(name, desired.revision, "create");
  StackWaiter waiter(cfn_, clock_, sink_, options.wait);
  std::optional<CrashDetector> detector;
  if (ecs_ != nullptr) waiter.WatchForCrashes(&detector.emplace(cfn_, *ecs_));
  ECSYNC_ASSIGN_OR_RETURN(std::string stack_id, cfn_.CreateStack(request));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(stack_id));
  if (waited.interrupted) return Interrupted(name, waited.final_status);
  ReconcileReport report;
  report.action = Action::kCreate;
  report.stack_name = name;
  report.revision = desired.revision;
  if (waited.timed_out || !waited.crashed.empty()) {
    // A create that outlives its deadline, or whose tasks keep crashing, is taken down, so
    // nothing half-made stays.
    Say(name, waited.crashed.empty() ? "stack " + name + " is still " + waited.final_status +
                                           " after " + Seconds(options.wait.timeout) +
                                           "; deleting it"
                                     : waited.crashed + "; deleting stack " + name);
    aws::Stack stack;
    stack.name = name;
    stack.id = stack_id;
    WaitOptions cleanup = options.wait;
    cleanup.interrupted = nullptr;
    ECSYNC_ASSIGN_OR_RETURN(ReconcileReport deleted,
                            DeleteAndWait(cfn_, clock_, sink_, stack, desired.revision, cleanup));
    report.succeeded = false;
    report.final_status = deleted.final_status;
    report.failures = waited.failures;
    report.message = "creating stack " + name +
                     (waited.crashed.empty()
                          ? " took longer than " + Seconds(options.wait.timeout)
                          : " failed: " + waited.crashed) +
                     "; the stack was deleted" + DescribeFailures(waited.failures);
    return report;
  }
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "CREATE_COMPLETE";
  report.message = report.succeeded
                       ? "created stack " + name + " at revision " + Short(desired.revision)
                       : "creating stack " + name + " failed (" + waited.final_status +
                             "; the failed stack was removed)" + DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Reconciler::Update(const ReconcileOptions& options,
                                                 const Desired& desired,
                                                 const aws::Stack& stack) {
  const std::string id = stack.id.empty() ? stack.name : stack.id;
  ReconcileReport report;
  report.stack_name = stack.name;
  report.revision = desired.revision;

  aws::CreateChangeSetRequest request;
  request.change_set_name = ChangeSetName(desired.revision, desired.template_sha);
  request.stack_name = stack.name;  // a live stack's name is unique (and moto wants the name)
  request.parameters = desired.parameters;
  request.tags = Tags(desired);
  request.capabilities = {"CAPABILITY_IAM"};
  request.client_token = RequestToken(stack.name, desired.revision, "changeset");
  request.description = "ecsync: revision " + desired.revision;
  ECSYNC_RETURN_IF_ERROR(
      PlaceTemplate(options, desired, &request.template_body, &request.template_url));
  ECSYNC_ASSIGN_OR_RETURN(PreparedChangeSet prepared,
                          PrepareChangeSet(cfn_, clock_, request, options.wait));
  if (!prepared.has_changes) {
    report.final_status = stack.status;
    report.message = "stack " + stack.name + " is up to date (no resource changes)";
    return report;
  }
  Say(stack.name, "updating stack " + stack.name + " from revision " +
                      Short(TagOr(stack, kTagRevision, "?")) + " to " + Short(desired.revision) +
                      ":");
  for (const aws::ResourceChange& change : prepared.change_set.changes) {
    if (!sink_) break;
    ProgressEvent event;
    event.kind = ProgressEvent::Kind::kChange;
    event.stack = stack.name;
    event.status = change.action;
    event.logical_id = change.logical_id;
    event.resource_type = change.resource_type;
    if (!change.replacement.empty()) event.reason = "replacement: " + change.replacement;
    sink_(event);
  }

  StackWaiter waiter(cfn_, clock_, sink_, options.wait);
  std::optional<CrashDetector> detector;
  if (ecs_ != nullptr) waiter.WatchForCrashes(&detector.emplace(cfn_, *ecs_));
  ECSYNC_RETURN_IF_ERROR(waiter.Begin(id));
  ECSYNC_RETURN_IF_ERROR(cfn_.ExecuteChangeSet(prepared.change_set.id, id,
                                               RequestToken(stack.name, desired.revision, "execute")));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(id));
  if (waited.interrupted) return Interrupted(stack.name, waited.final_status);
  report.action = Action::kUpdate;
  std::string note;
  WaitOptions recovery = options.wait;
  recovery.interrupted = nullptr;
  if (waited.timed_out || !waited.crashed.empty()) {
    // Past the deadline, or with tasks that keep crashing, the update is cancelled;
    // CloudFormation rolls back to the last revision.
    Say(stack.name, (waited.crashed.empty() ? "stack " + stack.name + " is still " +
                                                  waited.final_status + " after " +
                                                  Seconds(options.wait.timeout)
                                            : waited.crashed) +
                        "; cancelling the update");
    ECSYNC_RETURN_IF_ERROR(
        cfn_.CancelUpdateStack(id, RequestToken(stack.name, desired.revision, "cancel")));
    StackWaiter rollback(cfn_, clock_, sink_, recovery);
    ECSYNC_ASSIGN_OR_RETURN(WaitResult rolled, rollback.Wait(id));
    rolled.failures.insert(rolled.failures.begin(), waited.failures.begin(), waited.failures.end());
    const std::string note_crash = waited.crashed;
    waited = rolled;
    waited.crashed = note_crash;
    note = waited.crashed.empty()
               ? "took longer than " + Seconds(options.wait.timeout) + " and was cancelled; "
               : "was cancelled (" + note_crash + "); ";
  }
  if (waited.final_status == "UPDATE_ROLLBACK_FAILED") {
    // The rollback itself hit a failure; CloudFormation can retry it, and must before the
    // stack accepts another update.
    Say(stack.name, "the rollback of " + stack.name + " failed; continuing it");
    ECSYNC_RETURN_IF_ERROR(cfn_.ContinueUpdateRollback(
        id, {}, RequestToken(stack.name, desired.revision, "continue-rollback")));
    StackWaiter rollback(cfn_, clock_, sink_, recovery);
    ECSYNC_ASSIGN_OR_RETURN(WaitResult rolled, rollback.Wait(id));
    rolled.failures.insert(rolled.failures.begin(), waited.failures.begin(), waited.failures.end());
    waited = rolled;
  }
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "UPDATE_COMPLETE";
  report.message = report.succeeded
                       ? "updated stack " + stack.name + " to revision " + Short(desired.revision)
                       : "updating stack " + stack.name + " " + note + "failed (" +
                             waited.final_status +
                             "; CloudFormation rolled it back to the previous revision)" +
                             DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Reconciler::Delete(const ReconcileOptions& options,
                                                 const aws::Stack& stack,
                                                 const std::string& revision) {
  return DeleteAndWait(cfn_, clock_, sink_, stack, revision, options.wait);
}

base::Result<ReconcileReport> Reconciler::DeleteOwnedStacks(const ReconcileOptions& options,
                                                            const Desired& desired) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> owned,
                          OwnedStacks(desired.source, options.stack_name));
  ReconcileReport report;
  report.revision = desired.revision;
  report.message = "nothing to delete: no stack deployed from " + desired.source;
  for (const aws::Stack& stack : owned) {
    Say(stack.name, "the compose file is gone at revision " + Short(desired.revision) +
                        "; removing the stack it deployed");
    ECSYNC_ASSIGN_OR_RETURN(ReconcileReport deleted, Delete(options, stack, desired.revision));
    if (!deleted.succeeded) return deleted;
    report = deleted;
  }
  return report;
}

base::Result<ReconcileReport> DeleteAndWait(aws::CloudFormation& cfn, base::Clock& clock,
                                            const ProgressSink& sink, const aws::Stack& stack,
                                            const std::string& revision, const WaitOptions& wait) {
  if (sink) {
    ProgressEvent event;
    event.stack = stack.name;
    event.message = "deleting stack " + stack.name;
    sink(event);
  }
  std::string id = stack.id.empty() ? stack.name : stack.id;
  StackWaiter waiter(cfn, clock, sink, wait);
  ECSYNC_RETURN_IF_ERROR(waiter.Begin(id));
  ECSYNC_RETURN_IF_ERROR(cfn.DeleteStack(id, RequestToken(stack.name, revision, "delete")));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(id));
  if (waited.interrupted) return Interrupted(stack.name, waited.final_status);
  ReconcileReport report;
  report.action = Action::kDelete;
  report.stack_name = stack.name;
  report.revision = revision;
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "DELETE_COMPLETE";
  report.message = report.succeeded
                       ? "deleted stack " + stack.name
                       : "deleting stack " + stack.name + " failed (" + waited.final_status +
                             (waited.timed_out ? ", still running after " + Seconds(wait.timeout)
                                               : "") +
                             ")" + DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Down(aws::CloudFormation& cfn, base::Clock& clock, ProgressSink sink,
                                   const std::string& stack_name, const WaitOptions& wait) {
  ECSYNC_ASSIGN_OR_RETURN(aws::Stack stack, cfn.DescribeStack(stack_name));
  if (!IsManaged(stack.tags)) {
    return base::ConflictError("stack " + stack_name +
                               " was not created by ecsync; ecsync will not delete it");
  }
  if (stack.termination_protection) {
    return base::ConflictError("stack " + stack_name +
                               " has termination protection on; turn it off first (aws "
                               "cloudformation update-termination-protection "
                               "--no-enable-termination-protection --stack-name " +
                               stack_name + ")");
  }
  return DeleteAndWait(cfn, clock, sink, stack, TagOr(stack, kTagRevision), wait);
}

base::Result<std::vector<aws::Stack>> ListManagedStacks(aws::CloudFormation& cfn) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> stacks, cfn.DescribeStacks());
  std::vector<aws::Stack> managed;
  for (auto& stack : stacks) {
    if (IsManaged(stack.tags) && stack.status != "DELETE_COMPLETE") managed.push_back(std::move(stack));
  }
  std::sort(managed.begin(), managed.end(),
            [](const aws::Stack& a, const aws::Stack& b) { return a.name < b.name; });
  return managed;
}

}  // namespace ecsync::reconcile
