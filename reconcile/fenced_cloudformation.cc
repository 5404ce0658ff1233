#include "reconcile/fenced_cloudformation.h"

namespace ecsync::reconcile {

base::Result<base::Fence> CheckFence(const FenceSource& source, int64_t epoch, base::Clock& clock) {
  std::optional<base::Fence> now = source();
  if (now && now->epoch == epoch && clock.SteadyNow() < now->valid_until) return *std::move(now);
  return base::TransientError(
      "this replica no longer holds the lease of the project's shard "
      "(epoch " +
      std::to_string(epoch) +
      ") with time to spare; not writing to AWS (the "
      "shard's next owner reconciles the project)");
}

std::string FencedCloudFormation::Fenced(const std::string& token) const {
  return token.empty() ? token : base::FencedToken(token, epoch_);
}

base::Result<std::string> FencedCloudFormation::CreateStack(
    const aws::CreateStackRequest& request) {
  aws::CreateStackRequest fenced = request;
  fenced.client_request_token = Fenced(request.client_request_token);
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.CreateStack(fenced);
}

base::Status FencedCloudFormation::UpdateStack(const aws::UpdateStackRequest& request) {
  aws::UpdateStackRequest fenced = request;
  fenced.client_request_token = Fenced(request.client_request_token);
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.UpdateStack(fenced);
}

base::Status FencedCloudFormation::DeleteStack(const std::string& name, const std::string& token) {
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.DeleteStack(name, Fenced(token));
}

base::Result<std::string> FencedCloudFormation::CreateChangeSet(
    const aws::CreateChangeSetRequest& request) {
  aws::CreateChangeSetRequest fenced = request;
  fenced.client_token = Fenced(request.client_token);
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.CreateChangeSet(fenced);
}

base::Status FencedCloudFormation::ExecuteChangeSet(const std::string& change_set,
                                                    const std::string& stack_name,
                                                    const std::string& token) {
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.ExecuteChangeSet(change_set, stack_name, Fenced(token));
}

base::Status FencedCloudFormation::DeleteChangeSet(const std::string& change_set,
                                                   const std::string& stack_name) {
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.DeleteChangeSet(change_set, stack_name);
}

base::Status FencedCloudFormation::ContinueUpdateRollback(
    const std::string& name, const std::vector<std::string>& resources_to_skip,
    const std::string& token) {
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.ContinueUpdateRollback(name, resources_to_skip, Fenced(token));
}

base::Status FencedCloudFormation::CancelUpdateStack(const std::string& name,
                                                     const std::string& token) {
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.CancelUpdateStack(name, Fenced(token));
}

base::Status FencedCloudFormation::UpdateTerminationProtection(const std::string& name,
                                                               bool enable) {
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, Check());
  return inner_.UpdateTerminationProtection(name, enable);
}

}  // namespace ecsync::reconcile
