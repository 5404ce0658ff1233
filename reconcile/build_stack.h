#pragma once

// A project's image builds stack ("<stack>-builds", cfn/build_stack.h) as the reconciler
// deploys it: a managed stack like the project's own, owned by the same source, so that it
// is created, updated and deleted with the same tags, tokens and waits, kept by prune, and
// removed with the project when its compose file goes.

#include <string>
#include <vector>

#include "artifacts/images.h"
#include "base/result.h"
#include "reconcile/desired.h"
#include "reconcile/reconciler.h"

namespace ecsync::reconcile {

struct BuildStackRequest {
  std::string stack;     // the project's stack
  std::string source;    // the project's SourceId
  std::string revision;  // the commit being deployed
  // Every service the codebuild builder builds; their repositories go into the stack.
  std::vector<artifacts::ImageTarget> targets;
  // Where context archives are (ImageSettings::context_bucket, already defaulted to the
  // template bucket, and context_prefix).
  std::string context_bucket;
  std::string context_prefix;
};

// The builds stack as a Desired the reconciler applies (present, with its template hash).
// kInvalid when there is no bucket or no target.
base::Result<Desired> RenderBuildStack(const BuildStackRequest& request);

// Renders and applies the builds stack through `reconciler` (Reconciler::ApplyDesired):
// nothing is done when its template is unchanged. The report says whether it succeeded;
// errors are those of ApplyDesired (kConflict for a stack of that name ecsync does not own).
base::Result<ReconcileReport> EnsureBuildStack(Reconciler& reconciler,
                                               const ReconcileOptions& options,
                                               const BuildStackRequest& request);

}  // namespace ecsync::reconcile
