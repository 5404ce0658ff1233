// Reconciler: the reports of changes held for an operator's approval (`approval: manual`,
// docs/manual-approval.md). Holding changes nothing in CloudFormation except an update's
// reviewed change set, which Update leaves AVAILABLE on the stack.

#include "reconcile/approval_gate.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "reconcile/template_diff.h"

namespace ecsync::reconcile {

namespace {

ReconcileReport Held(Action action, const std::string& stack, const std::string& revision,
                     const std::string& identity) {
  ReconcileReport report;
  report.action = action;
  report.awaiting_approval = true;
  report.stack_name = stack;
  report.revision = revision;
  report.change_set = identity;
  return report;
}

std::string Count(size_t n) { return std::to_string(n) + " resource change(s)"; }

}  // namespace

ReconcileReport Reconciler::HoldCreate(const Desired& desired, const std::string& note) const {
  ReconcileReport report = Held(Action::kCreate, desired.stack_name, desired.revision,
                                ApprovalIdentity("create", desired.revision, desired.template_sha));
  report.changes = TemplateResourcesAs(desired.template_body, "Add");
  report.template_diff = DiffTemplates("{}", desired.template_body);
  report.message = note + "creating stack " + desired.stack_name + " at revision " +
                   ShortRevision(desired.revision) + " (" + Count(report.changes.size()) +
                   ") waits for approval of " + report.change_set;
  Say(desired.stack_name, report.message);
  return report;
}

base::Result<ReconcileReport> Reconciler::HoldDelete(const Desired& desired,
                                                     const std::vector<aws::Stack>& owned) {
  ReconcileReport report = Held(Action::kDelete, owned.front().name, desired.revision,
                                ApprovalIdentity("delete", desired.revision, ""));
  ECSYNC_ASSIGN_OR_RETURN(report.changes, RemovalChanges(cfn_, owned));
  report.message = "the compose file is gone at revision " + ShortRevision(desired.revision) +
                   "; deleting stack " + report.stack_name + " (" + Count(report.changes.size()) +
                   ") waits for approval of " + report.change_set;
  Say(report.stack_name, report.message);
  return report;
}

ReconcileReport Reconciler::HoldUpdate(const aws::Stack& stack, const Desired& desired,
                                       const aws::ChangeSet& change_set,
                                       const std::string& deployed_template,
                                       const std::string& desired_template,
                                       const std::string& note) const {
  ReconcileReport report = Held(Action::kUpdate, stack.name, desired.revision, change_set.name);
  report.final_status = stack.status;
  report.changes = change_set.changes;
  if (!deployed_template.empty()) {
    report.template_diff = DiffTemplates(deployed_template, desired_template);
  }
  report.message = note + "change set " + change_set.name + " (" + Count(report.changes.size()) +
                   ") updates stack " + stack.name + " from revision " +
                   ShortRevision(TagValue(stack.tags, kTagRevision, "?")) + " to " +
                   ShortRevision(desired.revision) + " when approved";
  Say(stack.name, report.message);
  return report;
}

}  // namespace ecsync::reconcile
