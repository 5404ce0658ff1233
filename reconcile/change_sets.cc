#include "reconcile/change_sets.h"

namespace ecsync::reconcile {

std::string ChangeSetName(const std::string& revision, const std::string& template_sha) {
  return "ecsync-" + revision.substr(0, 12) + "-" + template_sha.substr(0, 8);
}

bool IsNoChangeReason(const std::string& status_reason) {
  return status_reason.find("didn't contain changes") != std::string::npos ||
         status_reason.find("No updates are to be performed") != std::string::npos;
}

namespace {

bool IsPending(const std::string& status) {
  return status == "CREATE_PENDING" || status == "CREATE_IN_PROGRESS";
}

}  // namespace

base::Result<PreparedChangeSet> PrepareChangeSet(aws::CloudFormation& cfn, base::Clock& clock,
                                                 const aws::CreateChangeSetRequest& request,
                                                 const WaitOptions& wait) {
  const std::string& name = request.change_set_name;
  const std::string& stack = request.stack_name;
  auto existing = cfn.DescribeChangeSet(name, stack);
  bool reuse = false;
  if (existing.ok()) {
    reuse = existing->execution_status == "AVAILABLE" || IsPending(existing->status);
    if (!reuse) ECSYNC_RETURN_IF_ERROR(cfn.DeleteChangeSet(name, stack));
  } else if (existing.status().kind() != base::ErrorKind::kNotFound) {
    return existing.status();
  }
  if (!reuse) {
    auto created = cfn.CreateChangeSet(request);
    if (!created.ok()) return created.status().WithContext("creating change set " + name);
  }

  auto deadline = clock.SteadyNow() + wait.timeout;
  while (true) {
    ECSYNC_ASSIGN_OR_RETURN(aws::ChangeSet change_set, cfn.DescribeChangeSet(name, stack));
    if (change_set.status == "FAILED") {
      (void)cfn.DeleteChangeSet(name, stack);  // best effort: a leftover is replaced next time
      if (IsNoChangeReason(change_set.status_reason)) return PreparedChangeSet{};
      return base::InvalidError("CloudFormation rejected the change set for stack " +
                                StackNameOf(stack) + ": " + change_set.status_reason);
    }
    if (!IsPending(change_set.status)) return PreparedChangeSet{true, std::move(change_set)};
    if (clock.SteadyNow() >= deadline) {
      return base::TransientError("timed out waiting for change set " + name + " of stack " +
                                  StackNameOf(stack));
    }
    clock.SleepFor(std::min(wait.poll_interval, std::chrono::milliseconds(2000)));
  }
}

}  // namespace ecsync::reconcile
