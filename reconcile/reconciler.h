#pragma once

#include <map>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"
#include "git/source.h"
#include "reconcile/desired.h"
#include "reconcile/progress.h"
#include "reconcile/project_network.h"
#include "reconcile/stack_snapshot.h"
#include "reconcile/stack_waiter.h"
#include "reconcile/targets.h"
#include "reconcile/template_placement.h"

namespace ecsync::reconcile {

enum class Action { kNone, kCreate, kUpdate, kDelete };
const char* ActionName(Action action);

// What a reconcile did. A deploy that CloudFormation rejected or rolled back is a report
// with succeeded == false, not an error: the error path is for things that prevented
// deciding or acting (bad compose file, unreachable git or AWS).
struct ReconcileReport {
  Action action = Action::kNone;
  bool succeeded = true;
  std::string stack_name;
  std::string revision;      // the commit reconciled
  std::string final_status;  // the stack's terminal status after acting; empty for kNone
  std::string message;       // one line for humans
  std::vector<FailedResource> failures;
  // Images CI has not pushed yet (tag references): nothing was done, the revision waits
  // (succeeded is false, action kNone).
  std::vector<std::string> missing_images;
  // An update's change set (its resource changes) and the template lines that differ from
  // the deployed template (see DiffTemplates); empty for other actions.
  std::vector<aws::ResourceChange> changes;
  std::vector<std::string> template_diff;
  // The change waits for an operator's approval (ReconcileOptions::approval): nothing was
  // changed. `action` is what approval would do, `changes` and `template_diff` what it
  // changes, `change_set` what to approve (an update's change set, left AVAILABLE on the
  // stack; for a create or delete the plan's ApprovalIdentity). succeeded is true.
  bool awaiting_approval = false;
  std::string change_set;
  // The approval this run applied (ApprovalGate::change_set); empty when none.
  std::string approved_change_set;
};

// What a reconcile would do, without doing it.
struct PlanReport {
  Action action = Action::kNone;
  std::string stack_name;
  std::string revision;
  std::string reason;  // one line for humans
  // Resource changes: from a change set for updates, every resource for creates and deletes.
  std::vector<aws::ResourceChange> changes;
  // Template lines that differ (updates only); see DiffTemplates. For a split template, the
  // parent's.
  std::vector<std::string> template_diff;
  // Images built from the repository: each service's reference, and whether the registry
  // has it already (a deploy waits for the others).
  std::vector<artifacts::ImageTarget> images;
  std::vector<std::string> missing_images;
  // The builder that makes missing images ("external": CI; "codebuild": the deploy builds).
  std::string builder;
  // The repository files each service's task receives (see Desired::shipped_files).
  std::vector<std::string> shipped_files;
  // The nested stacks the template is split into (0: one stack); see TemplatePlacer.
  size_t nested_stacks = 0;
  // Each service's deployment strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY), by service.
  std::map<std::string, std::string> strategies;
};

// Makes one project's stack match one commit. Not thread-safe; the caller guarantees at
// most one Reconcile per stack at a time.
class Reconciler {
 public:
  // What `targets` leaves null is done without (see Targets); they must outlive this.
  Reconciler(git::GitSource& git, const Targets& targets, base::Clock& clock, ProgressSink sink);

  // Fetches, loads, converts, compares and applies. Error kinds: kInvalid for a bad compose
  // file or configuration (nothing was changed), kConflict when the stack belongs to
  // someone else, kThrottled/kTransient/kNotFound for git and AWS trouble; kTransient
  // also when waiting was interrupted (the stack's operation goes on; a rerun resumes it).
  base::Result<ReconcileReport> Reconcile(const ReconcileOptions& options);

  // Computes what Reconcile would do. The only writes are a change set that is deleted again
  // and, for a template too large to send inline, its upload to S3 (see Targets::s3).
  base::Result<PlanReport> Plan(const ReconcileOptions& options);

  // Creates or updates a stack rendered elsewhere (a project's companion stack, such as its
  // image builds stack: reconcile/build_stack.h) exactly as Reconcile applies a project's:
  // ownership by desired.source, the ecsync:* tags, idempotency tokens, waiting, cleanup
  // and rollback. Reads no git. REQUIRES: desired.present and no missing images.
  // Not gated by options.approval (a companion stack follows its project's approval).
  base::Result<ReconcileReport> ApplyDesired(const ReconcileOptions& options,
                                             const Desired& desired) {
    ReconcileOptions ungated = options;
    ungated.approval = {};
    return Apply(ungated, desired);
  }

 private:
  // Sets exactly one of *body and *url for `desired`'s template, uploading it (or, over one
  // stack's limits, its nested stacks' templates) to S3 first when it is too large to send
  // inline; see TemplatePlacer. REQUIRES: Render accepted `desired` (so a bucket is set when
  // one is needed).
  base::Result<PlacedTemplate> PlaceTemplate(const ReconcileOptions& options,
                                             const Desired& desired, std::string* body,
                                             std::string* url);
  // The managed stacks whose ecsync:source is `source` (and named `only` when non-empty).
  base::Result<std::vector<aws::Stack>> OwnedStacks(const std::string& source,
                                                    const std::string& only);
  // The stack named desired.stack_name when it exists and is ours; nullopt when absent.
  base::Result<std::optional<aws::Stack>> OwnStack(const Desired& desired);

  base::Result<ReconcileReport> Apply(const ReconcileOptions& options, const Desired& desired);
  base::Result<ReconcileReport> Create(const ReconcileOptions& options, const Desired& desired);
  base::Result<ReconcileReport> Update(const ReconcileOptions& options, const Desired& desired,
                                       const aws::Stack& stack);
  base::Result<ReconcileReport> Delete(const ReconcileOptions& options, const aws::Stack& stack,
                                       const std::string& revision);
  base::Result<ReconcileReport> DeleteOwnedStacks(const ReconcileOptions& options,
                                                  const Desired& desired);
  std::map<std::string, std::string> Tags(const Desired& desired) const;
  // Manual approval (approval_hold.cc). A create or delete the operator has not approved:
  // the plan, held. `note` starts the message.
  ReconcileReport HoldCreate(const Desired& desired, const std::string& note) const;
  base::Result<ReconcileReport> HoldDelete(const Desired& desired,
                                           const std::vector<aws::Stack>& owned);
  // An update's reviewed change set left for the operator: the report that shows it.
  ReconcileReport HoldUpdate(const aws::Stack& stack, const Desired& desired,
                             const aws::ChangeSet& change_set, const std::string& deployed_template,
                             const std::string& desired_template, const std::string& note) const;
  void Say(const std::string& stack, const std::string& line) const;

  git::GitSource& git_;
  Targets targets_;
  aws::CloudFormation& cfn_;
  base::Clock& clock_;
  ProgressSink sink_;
  TemplatePlacer placer_;
};

// `ecsync down`: deletes one stack ecsync manages and waits for it to go. kNotFound when it
// does not exist; kConflict when ecsync did not create it (it is never touched then) or it
// is a nested stack (which goes with its root).
base::Result<ReconcileReport> Down(aws::CloudFormation& cfn, base::Clock& clock,
                                   const ProgressSink& sink, const std::string& stack_name,
                                   const WaitOptions& wait);

// Deletes `stack` (a managed stack) and waits; the report says whether it went.
base::Result<ReconcileReport> DeleteAndWait(aws::CloudFormation& cfn, base::Clock& clock,
                                            const ProgressSink& sink, const aws::Stack& stack,
                                            const std::string& revision, const WaitOptions& wait);

}  // namespace ecsync::reconcile
