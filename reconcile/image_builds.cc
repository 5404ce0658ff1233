#include "reconcile/image_builds.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "artifacts/context_archive.h"
#include "base/strings.h"
#include "reconcile/build_stack.h"
#include "reconcile/codebuild_builder.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {
namespace {

// Every error here leaves the deployed stack alone; the message says so, with the revision.
base::Status AtRevision(const base::Status& status, const std::string& revision) {
  return base::Status(status.kind(), status.message() + " (at revision " + ShortRevision(revision) +
                                         "; the deployed stack is left as it is)");
}

// Archives the context of each missing image at the commit and uploads it (content-
// addressed, so a retry overwrites the same object with the same bytes).
base::Result<std::vector<ImageBuild>> UploadContexts(git::GitSource& git, aws::S3& s3,
                                                     const ReconcileOptions& options,
                                                     const Desired& desired,
                                                     const std::string& bucket,
                                                     const ProgressSink& sink) {
  ECSYNC_ASSIGN_OR_RETURN(std::string repository, git.LocalRepository(options.repo_url));
  const std::set<std::string> missing(desired.missing_images.begin(), desired.missing_images.end());
  std::vector<ImageBuild> builds;
  for (const artifacts::ImageTarget& target : desired.images) {
    if (missing.count(target.reference.ToString()) == 0) continue;
    ImageBuild build;
    build.target = target;
    std::string dockerfile = target.inputs.dockerfile;
    if (dockerfile == "inline") {
      auto text = desired.inline_dockerfiles.find(target.service);
      if (text != desired.inline_dockerfiles.end()) build.dockerfile_inline = text->second;
      dockerfile.clear();  // nothing in the context to name; the text travels with the build
    }
    ECSYNC_ASSIGN_OR_RETURN(artifacts::ContextArchive archive,
                            artifacts::ArchiveBuildContext(repository, desired.revision,
                                                           target.inputs.context, dockerfile));
    build.source_bucket = bucket;
    build.source_key = options.images.context_prefix + archive.sha256 + ".zip";
    Say(sink, desired.stack_name,
        "build context of " + target.service + ": " + std::to_string(archive.files) + " files, " +
            std::to_string(archive.zip.size()) + " bytes zipped, to s3://" + bucket + "/" +
            build.source_key);
    ECSYNC_RETURN_IF_ERROR(
        s3.PutObject(bucket, build.source_key, archive.zip, "application/zip").status());
    builds.push_back(std::move(build));
  }
  return builds;
}

base::Status BuildAll(Reconciler& reconciler, git::GitSource& git, const Targets& targets,
                      const ReconcileOptions& options, const Desired& desired,
                      const ProgressSink& sink) {
  if (targets.s3 == nullptr || targets.codebuild == nullptr) {
    return base::InvalidError(
        "the codebuild builder needs AWS (S3 for build contexts, CodeBuild to build); it "
        "cannot build with stack files");
  }
  const std::string& bucket = options.images.ContextBucketOr(options.template_bucket);
  if (bucket.empty()) {
    return base::InvalidError(
        "the codebuild builder uploads build contexts to S3: set images.context_bucket or "
        "aws.template_bucket (--template-bucket)");
  }
  ECSYNC_ASSIGN_OR_RETURN(std::vector<ImageBuild> builds,
                          UploadContexts(git, *targets.s3, options, desired, bucket, sink));

  BuildStackRequest stack;
  stack.stack = desired.stack_name;
  stack.source = desired.source;
  stack.revision = desired.revision;
  stack.targets = desired.images;
  stack.context_bucket = bucket;
  stack.context_prefix = options.images.context_prefix;
  ECSYNC_ASSIGN_OR_RETURN(ReconcileReport applied, EnsureBuildStack(reconciler, options, stack));
  if (!applied.succeeded) {
    return base::TransientError("the image builds stack " + applied.stack_name +
                                " did not deploy: " + applied.message);
  }

  BuildImagesRequest request;
  request.stack = desired.stack_name;
  request.settings = options.images;
  request.builds = std::move(builds);
  request.interrupted = options.wait.interrupted;
  return BuildMissingImages(targets, request, sink).status();
}

}  // namespace

base::Status BuildMissingRevisionImages(Reconciler& reconciler, git::GitSource& git,
                                        const Targets& targets, const ReconcileOptions& options,
                                        const Desired& desired, const ProgressSink& sink) {
  base::Status built = BuildAll(reconciler, git, targets, options, desired, sink);
  if (built.ok()) return built;
  return AtRevision(built, desired.revision);
}

}  // namespace ecsync::reconcile
