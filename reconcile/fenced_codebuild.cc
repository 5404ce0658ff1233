#include "reconcile/fenced_codebuild.h"

namespace ecsync::reconcile {

base::Result<aws::Build> FencedCodeBuild::StartBuild(const aws::StartBuildRequest& request) {
  aws::StartBuildRequest fenced = request;
  if (!request.idempotency_token.empty()) {
    fenced.idempotency_token = base::FencedToken(request.idempotency_token, epoch_);
  }
  ECSYNC_ASSIGN_OR_RETURN(const base::Fence held, CheckFence(source_, epoch_, clock_));
  return inner_.StartBuild(fenced);
}

}  // namespace ecsync::reconcile
