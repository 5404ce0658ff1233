#include "reconcile/reconciler.h"

#include "base/hash.h"
#include "base/strings.h"
#include "reconcile/approval_gate.h"
#include "reconcile/change_sets.h"
#include "reconcile/image_builds.h"
#include "reconcile/stack_tags.h"
#include "reconcile/template_diff.h"

namespace ecsync::reconcile {

namespace {

std::string TagOr(const aws::Stack& stack, const char* key, const std::string& fallback = "") {
  return TagValue(stack.tags, key, fallback);
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
                   ShortRevision(TagOr(stack, kTagRevision)) + ")";
  return report;
}

// A revision whose images CI has not pushed: the stack is not touched.
ReconcileReport WaitingForImages(const Desired& desired) {
  ReconcileReport report;
  report.succeeded = false;
  report.stack_name = desired.stack_name;
  report.revision = desired.revision;
  report.missing_images = desired.missing_images;
  report.message = "waiting for " + std::to_string(desired.missing_images.size()) +
                   " image(s) CI has not pushed: " + base::Join(desired.missing_images, ", ") +
                   " (`ecsync images` prints what to push)";
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

Reconciler::Reconciler(git::GitSource& git, const Targets& targets, base::Clock& clock,
                       ProgressSink sink)
    : git_(git),
      targets_(targets),
      cfn_(*targets.cloudformation),
      clock_(clock),
      sink_(std::move(sink)),
      placer_(targets.s3, sink_) {}

void Reconciler::Say(const std::string& stack, const std::string& line) const {
  reconcile::Say(sink_, stack, line);
}

std::map<std::string, std::string> Reconciler::Tags(const Desired& desired) const {
  return {{kTagManagedBy, kManagedByValue},
          {kTagSource, desired.source},
          {kTagRevision, desired.revision},
          {kTagTemplateSha, desired.template_sha}};
}

base::Result<PlacedTemplate> Reconciler::PlaceTemplate(const ReconcileOptions& options,
                                                       const Desired& desired, std::string* body,
                                                       std::string* url) {
  ECSYNC_ASSIGN_OR_RETURN(PlacedTemplate placed,
                          placer_.Place({options.template_bucket, options.template_prefix},
                                        desired.stack_name, desired.template_body, options.limits));
  *body = placed.body;
  *url = placed.url;
  return placed;
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
  ECSYNC_ASSIGN_OR_RETURN(Desired desired, RenderDesired(options, git_, targets_, sink_));
  if (!desired.present) return DeleteOwnedStacks(options, desired);
  if (!desired.missing_images.empty() && options.images.builder == "codebuild") {
    // ecsync builds what the registry lacks, then renders again: the images are pinned now.
    ECSYNC_RETURN_IF_ERROR(
        BuildMissingRevisionImages(*this, git_, targets_, options, desired, sink_));
    ECSYNC_ASSIGN_OR_RETURN(desired, RenderDesired(options, git_, targets_, sink_));
  }
  if (!desired.missing_images.empty()) return WaitingForImages(desired);
  return Apply(options, desired);
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
    if (!options.approval.Allows(
            ApprovalIdentity("create", desired.revision, desired.template_sha))) {
      return HoldCreate(desired, "stack " + stack.name + " is " + stack.status +
                                     " and cannot be updated: deleting it and ");
    }
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
  const std::string identity = ApprovalIdentity("create", desired.revision, desired.template_sha);
  if (!options.approval.Allows(identity)) return HoldCreate(desired, "");
  Say(name, "creating stack " + name + " at revision " + ShortRevision(desired.revision));
  aws::CreateStackRequest request;
  request.name = name;
  ECSYNC_RETURN_IF_ERROR(placer_.PlaceFileBundles(options.template_bucket, desired.file_bundles));
  ECSYNC_RETURN_IF_ERROR(
      PlaceTemplate(options, desired, &request.template_body, &request.template_url).status());
  request.parameters = desired.parameters;
  request.tags =
      options.approval.required ? WithApprovalTags(Tags(desired), options.approval) : Tags(desired);
  request.capabilities = {"CAPABILITY_IAM"};
  request.on_failure = "DELETE";  // a failed create leaves nothing behind
  request.client_request_token = RequestToken(name, desired.revision, "create");
  StackWaiter waiter(cfn_, clock_, sink_, options.wait);
  std::optional<CrashDetector> detector;
  std::optional<DeploymentWatcher> deployments;
  if (targets_.ecs != nullptr) {
    waiter.WatchForCrashes(&detector.emplace(cfn_, *targets_.ecs));
    waiter.WatchDeployments(&deployments.emplace(cfn_, *targets_.ecs, sink_));
  }
  ECSYNC_ASSIGN_OR_RETURN(std::string stack_id, cfn_.CreateStack(request));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(stack_id));
  if (waited.interrupted) return Interrupted(name, waited.final_status);
  ReconcileReport report;
  report.action = Action::kCreate;
  report.stack_name = name;
  report.revision = desired.revision;
  if (options.approval.required) report.approved_change_set = identity;
  if (waited.timed_out || !waited.crashed.empty()) {
    // A create that outlives its deadline, or whose tasks keep crashing, is taken down, so
    // nothing half-made stays.
    Say(name, waited.crashed.empty()
                  ? "stack " + name + " is still " + waited.final_status + " after " +
                        Seconds(options.wait.timeout) + "; deleting it"
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
                     (waited.crashed.empty() ? " took longer than " + Seconds(options.wait.timeout)
                                             : " failed: " + waited.crashed) +
                     "; the stack was deleted" + DescribeFailures(waited.failures);
    return report;
  }
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "CREATE_COMPLETE";
  report.message = report.succeeded
                       ? "created stack " + name + " at revision " + ShortRevision(desired.revision)
                       : "creating stack " + name + " failed (" + waited.final_status +
                             "; the failed stack was removed)" + DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Reconciler::Update(const ReconcileOptions& options,
                                                 const Desired& desired, const aws::Stack& stack) {
  const std::string id = stack.id.empty() ? stack.name : stack.id;
  ReconcileReport report;
  report.stack_name = stack.name;
  report.revision = desired.revision;

  // With manual approval the change set of this revision is the one reviewed: held until an
  // operator approves it, then applied through a copy that carries the approval tags.
  const std::string reviewed_name = ChangeSetName(desired.revision, desired.template_sha);
  std::optional<aws::ChangeSet> reviewed;
  if (options.approval.required && options.approval.Allows(reviewed_name)) {
    auto found = cfn_.DescribeChangeSet(reviewed_name, stack.name);
    if (found.ok() && found->execution_status == "AVAILABLE") {
      reviewed = std::move(found).value();
    } else if (!found.ok() && found.status().kind() != base::ErrorKind::kNotFound) {
      return found.status();
    }
  }
  aws::CreateChangeSetRequest request;
  request.change_set_name = reviewed ? ApprovedChangeSetName(reviewed_name) : reviewed_name;
  request.stack_name = stack.name;  // a live stack's name is unique (and moto wants the name)
  request.parameters = desired.parameters;
  request.tags = reviewed ? WithApprovalTags(Tags(desired), options.approval) : Tags(desired);
  request.capabilities = {"CAPABILITY_IAM"};
  request.client_token =
      RequestToken(stack.name, desired.revision, reviewed ? "changeset-approved" : "changeset");
  request.description = "ecsync: revision " + desired.revision;
  // The tasks of the new task definitions fetch them: they are in place before it exists.
  ECSYNC_RETURN_IF_ERROR(placer_.PlaceFileBundles(options.template_bucket, desired.file_bundles));
  ECSYNC_ASSIGN_OR_RETURN(
      PlacedTemplate placed,
      PlaceTemplate(options, desired, &request.template_body, &request.template_url));
  ECSYNC_ASSIGN_OR_RETURN(PreparedChangeSet prepared,
                          PrepareChangeSet(cfn_, clock_, request, options.wait));
  if (!prepared.has_changes) {
    // The stack came to match the revision some other way: the reviewed set is moot.
    if (reviewed) (void)cfn_.DeleteChangeSet(reviewed_name, stack.name);
    report.final_status = stack.status;
    report.message = "stack " + stack.name + " is up to date (no resource changes)";
    return report;
  }
  if (options.approval.required && !reviewed) {
    // Not approved (or the approved change set is gone): it waits, AVAILABLE.
    auto deployed = cfn_.GetTemplate(id);
    return HoldUpdate(stack, desired, prepared.change_set, deployed.ok() ? *deployed : "",
                      placed.stack_template, "");
  }
  if (reviewed) {
    if (!SameChanges(reviewed->changes, prepared.change_set.changes)) {
      // The stack changed since the review: what was approved is not what would be applied.
      (void)cfn_.DeleteChangeSet(request.change_set_name, stack.name);
      (void)cfn_.DeleteChangeSet(reviewed_name, stack.name);
      ReconcileOptions again = options;
      again.approval.change_set.clear();
      ECSYNC_ASSIGN_OR_RETURN(ReconcileReport held, Update(again, desired, stack));
      held.message =
          "the stack changed since change set " + reviewed_name + " was reviewed; " + held.message;
      return held;
    }
    (void)cfn_.DeleteChangeSet(reviewed_name, stack.name);  // replaced by its approved copy
    report.approved_change_set = reviewed_name;
  }
  report.changes = prepared.change_set.changes;
  // For the status UI; only updates that change something pay this one read.
  if (auto deployed = cfn_.GetTemplate(id); deployed.ok()) {
    report.template_diff = DiffTemplates(*deployed, placed.stack_template);
  }
  Say(stack.name, "updating stack " + stack.name + " from revision " +
                      ShortRevision(TagOr(stack, kTagRevision, "?")) + " to " +
                      ShortRevision(desired.revision) + ":");
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
  std::optional<DeploymentWatcher> deployments;
  if (targets_.ecs != nullptr) {
    waiter.WatchForCrashes(&detector.emplace(cfn_, *targets_.ecs));
    waiter.WatchDeployments(&deployments.emplace(cfn_, *targets_.ecs, sink_));
  }
  ECSYNC_RETURN_IF_ERROR(waiter.Begin(id));
  ECSYNC_RETURN_IF_ERROR(cfn_.ExecuteChangeSet(
      prepared.change_set.id, id, RequestToken(stack.name, desired.revision, "execute")));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(id));
  if (waited.interrupted) return Interrupted(stack.name, waited.final_status);
  report.action = Action::kUpdate;
  std::string note;
  WaitOptions recovery = options.wait;
  recovery.interrupted = nullptr;
  if (waited.timed_out || !waited.crashed.empty()) {
    // Past the deadline, or with tasks that keep crashing, the update is cancelled;
    // CloudFormation rolls back to the last revision.
    Say(stack.name,
        (waited.crashed.empty() ? "stack " + stack.name + " is still " + waited.final_status +
                                      " after " + Seconds(options.wait.timeout)
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
  report.message =
      report.succeeded
          ? "updated stack " + stack.name + " to revision " + ShortRevision(desired.revision)
          : "updating stack " + stack.name + " " + note + "failed (" + waited.final_status +
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
  const std::string identity = ApprovalIdentity("delete", desired.revision, "");
  if (!owned.empty() && !options.approval.Allows(identity)) return HoldDelete(desired, owned);
  if (!owned.empty() && options.approval.required) report.approved_change_set = identity;
  for (const aws::Stack& stack : owned) {
    Say(stack.name, "the compose file is gone at revision " + ShortRevision(desired.revision) +
                        "; removing the stack it deployed");
    ECSYNC_ASSIGN_OR_RETURN(ReconcileReport deleted, Delete(options, stack, desired.revision));
    deleted.approved_change_set = report.approved_change_set;
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
  report.message =
      report.succeeded
          ? "deleted stack " + stack.name
          : "deleting stack " + stack.name + " failed (" + waited.final_status +
                (waited.timed_out ? ", still running after " + Seconds(wait.timeout) : "") + ")" +
                DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Down(aws::CloudFormation& cfn, base::Clock& clock,
                                   const ProgressSink& sink, const std::string& stack_name,
                                   const WaitOptions& wait) {
  ECSYNC_ASSIGN_OR_RETURN(aws::Stack stack, cfn.DescribeStack(stack_name));
  if (!IsManaged(stack.tags)) {
    return base::ConflictError("stack " + stack_name +
                               " was not created by ecsync; ecsync will not delete it");
  }
  if (!stack.parent_id.empty()) {
    const std::string root = StackNameOf(stack.root_id.empty() ? stack.parent_id : stack.root_id);
    return base::ConflictError("stack " + stack_name + " is a nested stack of " + root +
                               ", deployed and deleted with it; run ecsync down " + root);
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

}  // namespace ecsync::reconcile
