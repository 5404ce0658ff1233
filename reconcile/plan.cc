// Reconciler::Plan: what Reconcile would do, read from CloudFormation without applying it.

#include <nlohmann/json.hpp>

#include "cfn/deployment_resources.h"
#include "reconcile/approval_gate.h"
#include "reconcile/change_sets.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "reconcile/template_diff.h"

namespace ecsync::reconcile {

namespace {

// What a plan's reason adds for a template split into `nested` stacks.
std::string NestedNote(size_t nested) {
  if (nested == 0) return "";
  return "; the template is split into " + std::to_string(nested) +
         " nested stacks (over one stack's limits)";
}

}  // namespace

base::Result<PlanReport> Reconciler::Plan(const ReconcileOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(Desired desired, RenderDesired(options, git_, targets_, sink_));
  PlanReport plan;
  plan.revision = desired.revision;
  plan.stack_name = desired.stack_name;
  plan.images = desired.images;
  plan.missing_images = desired.missing_images;
  plan.builder = options.images.builder;
  plan.shipped_files = desired.shipped_files;
  plan.strategies = cfn::ServiceStrategies(desired.template_body);
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
    plan.reason = "the compose file is gone at revision " + ShortRevision(desired.revision);
    for (const aws::Stack& stack : owned) {
      auto resources = cfn_.DescribeStackResources(stack.id.empty() ? stack.name : stack.id);
      if (!resources.ok()) return resources.status();
      for (const auto& r : *resources) {
        plan.changes.push_back(
            {"Remove", r.logical_id, r.physical_id, r.resource_type, "", {}, {}});
      }
    }
    return plan;
  }
  ECSYNC_ASSIGN_OR_RETURN(std::optional<aws::Stack> stack, OwnStack(desired));
  if (!stack || NeedsRecreate(stack->status)) {
    plan.action = Action::kCreate;
    plan.reason = stack ? "stack is " + stack->status + "; it would be deleted and created again"
                        : "stack does not exist";
    plan.changes = TemplateResourcesAs(desired.template_body, "Add");
    ECSYNC_ASSIGN_OR_RETURN(
        plan.nested_stacks,
        placer_.CountNestedStacks({options.template_bucket, options.template_prefix},
                                  desired.stack_name, desired.template_body, options.limits));
    plan.reason += NestedNote(plan.nested_stacks);
    return plan;
  }
  if (TagValue(stack->tags, kTagTemplateSha) == desired.template_sha &&
      IsTerminalStatus(stack->status)) {
    plan.reason =
        "template unchanged since revision " + ShortRevision(TagValue(stack->tags, kTagRevision));
    return plan;
  }
  aws::CreateChangeSetRequest request;
  request.change_set_name = "ecsync-plan-" + desired.template_sha.substr(0, 16);
  request.stack_name = stack->name;  // a live stack's name is unique (and moto wants the name)
  request.parameters = desired.parameters;
  request.tags = Tags(desired);
  request.capabilities = {"CAPABILITY_IAM"};
  request.description = "ecsync plan for revision " + desired.revision + " (deleted after reading)";
  ECSYNC_ASSIGN_OR_RETURN(
      PlacedTemplate placed,
      PlaceTemplate(options, desired, &request.template_body, &request.template_url));
  plan.nested_stacks = placed.nested_stacks;
  ECSYNC_ASSIGN_OR_RETURN(PreparedChangeSet prepared,
                          PrepareChangeSet(cfn_, clock_, request, options.wait));
  if (prepared.has_changes) (void)cfn_.DeleteChangeSet(request.change_set_name, request.stack_name);
  auto deployed = cfn_.GetTemplate(request.stack_name);
  if (deployed.ok()) plan.template_diff = DiffTemplates(*deployed, placed.stack_template);
  if (!prepared.has_changes) {
    plan.reason = "CloudFormation finds no resource changes" + NestedNote(plan.nested_stacks);
    return plan;
  }
  plan.action = Action::kUpdate;
  plan.reason = "revision " + ShortRevision(TagValue(stack->tags, kTagRevision, "?")) + " -> " +
                ShortRevision(desired.revision) + NestedNote(plan.nested_stacks);
  plan.changes = prepared.change_set.changes;
  return plan;
}

}  // namespace ecsync::reconcile
