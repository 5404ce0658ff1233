#pragma once

#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"
#include "reconcile/stack_waiter.h"

namespace ecsync::reconcile {

struct PreparedChangeSet {
  bool has_changes = false;
  aws::ChangeSet change_set;  // status CREATE_COMPLETE when has_changes
};

// Name of the change set for one (revision, template): "ecsync-<revision[:12]>-<sha[:8]>".
// The same inputs give the same name, so a run that died between creating and executing
// finds its change set again instead of making a second one.
std::string ChangeSetName(const std::string& revision, const std::string& template_sha);

// Creates the change set `request` describes and waits until CloudFormation has computed it.
// A change set of that name left by an earlier run is reused while AVAILABLE, replaced
// otherwise. When it holds no changes ("didn't contain changes"), it is deleted and
// has_changes is false. A change set that FAILED for another reason is deleted and reported
// as kInvalid with CloudFormation's reason (the template or its parameters need fixing).
base::Result<PreparedChangeSet> PrepareChangeSet(aws::CloudFormation& cfn, base::Clock& clock,
                                                 const aws::CreateChangeSetRequest& request,
                                                 const WaitOptions& wait);

// True when a FAILED change set's reason says there was nothing to change.
bool IsNoChangeReason(const std::string& status_reason);

}  // namespace ecsync::reconcile
