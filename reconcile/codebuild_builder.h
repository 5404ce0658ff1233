#pragma once

// The `codebuild` builder: ecsync builds a revision's missing images itself, in the CodeBuild
// project of the project's builds stack (reconcile/build_stack.h), from archives of their
// build contexts already uploaded to S3, and follows each build to its end.
//
// The glue (reconcile/desired) calls BuildImages after ResolveImages reported images missing
// and after it uploaded their contexts and applied the builds stack (EnsureBuildStack). Images
// the registry already has are never built again: their tag is a content hash of every input
// of the build (artifacts/build_inputs.h), so unchanged inputs cost no build.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "artifacts/images.h"
#include "artifacts/registry.h"
#include "aws/codebuild.h"
#include "base/clock.h"
#include "base/result.h"
#include "reconcile/images.h"
#include "reconcile/progress.h"
#include "reconcile/targets.h"

namespace ecsync::reconcile {

// One image to build: the planned target and where its build context is.
struct ImageBuild {
  // As PlanImages names it (reference without digest; the tag is what the build pushes).
  artifacts::ImageTarget target;
  // The ZIP archive of the build context in S3: its root is the context folder.
  std::string source_bucket;
  std::string source_key;
  // Path of the Dockerfile inside the archive; empty: target.inputs.dockerfile.
  std::string dockerfile;
  // The text of `dockerfile_inline`. REQUIRED when target.inputs.dockerfile is "inline".
  std::string dockerfile_inline;
};

// Builds one image and pushes it under its tag. A seam: BuildImages takes any builder.
class ImageBuilder {
 public:
  virtual ~ImageBuilder() = default;
  // Returns once the image is pushed (Ok) or the build ended otherwise (an error naming
  // why). Progress goes to `sink`. Not required to be thread-safe.
  virtual base::Status Build(const ImageBuild& build, const ProgressSink& sink) = 0;
};

struct CodeBuildBuilderOptions {
  std::string stack;    // the project's stack: progress lines and idempotency tokens
  std::string project;  // the CodeBuild project: cfn::BuildStackName(stack)
  std::chrono::milliseconds poll_interval{std::chrono::seconds(5)};  // REQUIRES: > 0
  // From the start of each build; ImageSettings::build_timeout.
  std::chrono::milliseconds timeout{std::chrono::minutes(60)};
  base::Clock* clock = nullptr;  // not owned; null: SystemClock
  // Set (a newer commit, Ctrl-C): following stops before the next poll; the build goes on
  // in CodeBuild. Read between sleeps of at most one second. Not owned; may be null.
  const std::atomic<bool>* interrupted = nullptr;
};

// Starts a build in the project (the archive as its S3 source, what to build as its
// environment variables: cfn/build_stack.h), then reads it every poll_interval and reports
// each phase as it starts: "build api: PROVISIONING", ... "build api: POST_BUILD".
// A build of the same image the project is still running (an earlier attempt's, found
// among its recent builds by its ECSYNC_IMAGE variable) is followed instead of starting
// another; and the idempotency token is derived from the stack and the image's tag, so two
// starts racing within CodeBuild's five minutes still make one build.
// Errors:
//   kInvalid: the build failed in one of its own phases (INSTALL, PRE_BUILD, BUILD,
//             POST_BUILD: the Dockerfile, the login or the push), or a request CodeBuild
//             refused; the message names the image, the failed phase, CodeBuild's message
//             and where the log is (group and stream, and the console link). A new commit
//             is needed.
//   kTransient: the build failed before it ran (QUEUED, PROVISIONING, DOWNLOAD_SOURCE), or
//             timed out, faulted or was stopped; or following it was interrupted; or the
//             timeout passed (the message names the build ID).
//   kNotFound: the project does not exist (the builds stack is missing).
//   kThrottled and kTransient from CodeBuild itself.
class CodeBuildImageBuilder final : public ImageBuilder {
 public:
  CodeBuildImageBuilder(aws::CodeBuild& codebuild, CodeBuildBuilderOptions options);
  base::Status Build(const ImageBuild& build, const ProgressSink& sink) override;

 private:
  aws::CodeBuild& codebuild_;
  CodeBuildBuilderOptions options_;
};

// The environment variables a build of `build` gets (cfn/build_stack.h names them).
// kInvalid for what the project's buildspec cannot build: additional contexts, an argument
// name or value holding a line break, a missing inline Dockerfile.
base::Result<std::vector<aws::CodeBuildVariable>> BuildVariables(const ImageBuild& build);

// The token StartBuild gets for `reference` (an image's tag reference) of `stack`.
std::string BuildToken(const std::string& stack, const std::string& reference);

// Builds, one after the other, the images of `builds` that `registry` does not have yet,
// then returns every one pinned by digest (in the order of `builds`). An image the registry
// already has is not built ("image of api: ... is already built"). The first failed build
// ends the call with its error: later images are not built, and the caller deploys nothing
// (the running stack stays as it is). kInvalid also when a pushed image is still not in
// the registry after its build succeeded. Registry errors other than kNotFound end it too.
base::Result<std::vector<artifacts::PinnedImage>> BuildImages(const std::vector<ImageBuild>& builds,
                                                              artifacts::ImageRegistry& registry,
                                                              ImageBuilder& builder,
                                                              const std::string& stack,
                                                              const ProgressSink& sink);

// What the glue hands BuildMissingImages for one revision of one project.
struct BuildImagesRequest {
  std::string stack;       // the project's stack; its builds stack must be deployed
                           // (EnsureBuildStack) before this is called
  ImageSettings settings;  // builder "codebuild": registry, access, poll_interval,
                           // build_timeout
  // The images to build, each with its context archive already uploaded (to
  // s3://<settings.ContextBucketOr(template bucket)>/<settings.context_prefix>...).
  std::vector<ImageBuild> builds;
  base::Clock* clock = nullptr;                    // null: SystemClock
  const std::atomic<bool>* interrupted = nullptr;  // see CodeBuildBuilderOptions
};

// The one call the reconcile flow makes for the codebuild builder: opens the registry
// through targets.open_registry and builds in targets.codebuild, in the project
// cfn::BuildStackName(request.stack), what the registry lacks (see BuildImages), polling
// every settings.poll_interval, each build bounded by settings.build_timeout. Returns every
// image pinned by digest, in the order of request.builds. kInvalid when targets has no
// CodeBuild or registry (stack files) or settings.builder is not "codebuild"; otherwise the
// errors of OpenRegistry and BuildImages. On any error the caller deploys nothing.
base::Result<std::vector<artifacts::PinnedImage>> BuildMissingImages(
    const Targets& targets, const BuildImagesRequest& request, const ProgressSink& sink);

}  // namespace ecsync::reconcile
