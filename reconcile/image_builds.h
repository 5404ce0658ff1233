#pragma once

// The `codebuild` builder inside a reconcile: a revision whose images the registry lacks has
// them built before it is deployed. Each missing image's build context is archived from the
// commit (artifacts/context_archive.h: no checkout, .dockerignore honoured) and uploaded to
// S3 under its content hash, the project's image builds stack is applied
// (reconcile/build_stack.h), and each image is built in CodeBuild and followed to its end
// (reconcile/codebuild_builder.h). Images already in the registry are never archived,
// uploaded or built: their tag hashes every build input.

#include "base/result.h"
#include "git/source.h"
#include "reconcile/desired.h"
#include "reconcile/progress.h"
#include "reconcile/targets.h"

namespace ecsync::reconcile {

class Reconciler;

// Builds and pushes every image of `desired.missing_images`. Ok: the registry now has them,
// and the caller renders the revision again (which pins them by digest) and applies it.
// REQUIRES: options.images.builder == "codebuild"; desired rendered from `options`.
// Errors (nothing is deployed; the running stack is left as it is):
//   kInvalid   the revision cannot be built: a bad build context, a failed build phase
//              (the message names the image, the phase and the log), no bucket for build
//              contexts, or no S3 or CodeBuild among `targets` (stack files);
//   kTransient a build that did not run to its end, the builds stack failing to deploy,
//              or S3, CodeBuild and registry errors of that kind (a later attempt retries).
base::Status BuildMissingRevisionImages(Reconciler& reconciler, git::GitSource& git,
                                        const Targets& targets, const ReconcileOptions& options,
                                        const Desired& desired, const ProgressSink& sink);

}  // namespace ecsync::reconcile
