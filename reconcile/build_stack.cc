#include "reconcile/build_stack.h"

#include <set>

#include "base/hash.h"
#include "cfn/build_stack.h"

namespace ecsync::reconcile {

base::Result<Desired> RenderBuildStack(const BuildStackRequest& request) {
  if (request.context_bucket.empty()) {
    return base::InvalidError(
        "the codebuild builder needs a bucket for build contexts; set images.context_bucket "
        "or the template bucket");
  }
  if (request.targets.empty()) {
    return base::InvalidError("stack " + request.stack + " builds no image; no builds stack");
  }
  cfn::BuildStackOptions options;
  options.stack = request.stack;
  options.context_bucket = request.context_bucket;
  options.context_prefix = request.context_prefix;
  std::set<std::string> seen;  // services with equal settings may share a repository
  for (const artifacts::ImageTarget& target : request.targets) {
    if (seen.insert(target.reference.repository).second) {
      options.repositories.push_back(target.reference.repository);
    }
  }
  Desired desired;
  desired.source = request.source;
  desired.revision = request.revision;
  desired.present = true;
  desired.stack_name = cfn::BuildStackName(request.stack);
  desired.template_body = cfn::BuildStackTemplate(options).dump();
  desired.template_sha = base::Sha256Hex(desired.template_body);
  return desired;
}

base::Result<ReconcileReport> EnsureBuildStack(Reconciler& reconciler,
                                               const ReconcileOptions& options,
                                               const BuildStackRequest& request) {
  ECSYNC_ASSIGN_OR_RETURN(Desired desired, RenderBuildStack(request));
  return reconciler.ApplyDesired(options, desired);
}

}  // namespace ecsync::reconcile
