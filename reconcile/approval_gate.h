#pragma once

// Manual approval of a project's stack changes (`approval: manual`, docs/manual-approval.md):
// what the reconciler needs to hold a change for an operator and to apply it once approved.
// The pending change lives in CloudFormation (an update's change set, left AVAILABLE) or,
// for a create or a delete, only in the caller's memory (the plan it was shown).

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/result.h"

namespace ecsync::reconcile {

// Stack tags recording the approval that applied the stack's current revision. CloudFormation
// allows 50 tags per stack (ecsync sets at most seven), keys up to 128 and values up to 256
// characters of letters, digits, spaces and _ . : / = + - @; change sets carry tags too,
// which the stack takes when the change set is executed.
inline constexpr char kTagApprovedBy[] = "ecsync:approved-by";
inline constexpr char kTagApprovedAt[] = "ecsync:approved-at";
inline constexpr char kTagApprovedChangeSet[] = "ecsync:approved-change-set";

// A project's approval setting for one run (ReconcileOptions::approval).
struct ApprovalGate {
  // The project has `approval: manual`: a change is applied only when `change_set` names it.
  bool required = false;
  // The change an operator approved: the reviewed change set's name (an update), or the
  // identity of the plan shown (a create or delete; see ApprovalIdentity). Empty: none.
  std::string change_set;
  std::string approved_by;  // the API token's name, the OS user or `ecsync approve --as`
  std::chrono::system_clock::time_point approved_at{};

  // True when the change named `identity` may be applied now.
  bool Allows(const std::string& identity) const {
    return !required || (!change_set.empty() && change_set == identity);
  }
};

// What a create or delete waiting for approval is called (no change set exists for them):
// "ecsync-<revision[:12]>-create-<sha[:8]>", "ecsync-<revision[:12]>-delete".
std::string ApprovalIdentity(const std::string& action, const std::string& revision,
                             const std::string& template_sha);

// The name of the change set that applies an approved update: the reviewed one's name with
// "-approved" (it carries the approval tags, which the reviewed one could not know).
std::string ApprovedChangeSetName(const std::string& reviewed);

// `tags` with the approval tags of `gate` added (values reduced to the characters and length
// CloudFormation accepts).
std::map<std::string, std::string> WithApprovalTags(std::map<std::string, std::string> tags,
                                                    const ApprovalGate& gate);

// A tag value as CloudFormation accepts it: other characters become '_', at most 256.
std::string TagSafe(const std::string& value);

// Every resource of a template (JSON text) as one change with `action` ("Add" for a create,
// "Remove" for a delete); empty when the text does not parse.
std::vector<aws::ResourceChange> TemplateResourcesAs(const std::string& template_body,
                                                     const std::string& action);

// Every resource of `stacks` as one "Remove" change (DescribeStackResources per stack): the
// plan of a delete. The errors of DescribeStackResources.
base::Result<std::vector<aws::ResourceChange>> RemovalChanges(
    aws::CloudFormation& cfn, const std::vector<aws::Stack>& stacks);

// True when two change sets make the same resource changes (action, logical id and
// replacement of each, in any order): what was reviewed is what is applied.
bool SameChanges(const std::vector<aws::ResourceChange>& reviewed,
                 const std::vector<aws::ResourceChange>& applied);

}  // namespace ecsync::reconcile
