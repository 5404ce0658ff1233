#pragma once

// Images built from the repository, as a deploy uses them: which image each service with
// `build:` runs (the reference CI pushes, see artifacts/build_inputs.h), whether the registry
// has it, and the digest the task definition pins. Only the `external` builder exists yet:
// CI builds and pushes; ecsync names the image and waits for it.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "artifacts/git_objects.h"
#include "artifacts/images.h"
#include "artifacts/registry.h"
#include "base/result.h"
#include "compose/model.h"
#include "reconcile/progress.h"

namespace ecsync::reconcile {

// `images:` in the configuration, or the --builder/--registry flags.
struct ImageSettings {
  // "" (no builder: `build:` without `image:` is refused), "external" or "codebuild".
  std::string builder;
  // The registry host CI (or CodeBuild) pushes to; required with a builder. With
  // "codebuild", an ECR host of the region ecsync calls AWS in.
  std::string registry;
  // Service name -> repository, instead of "<project>/<service>".
  std::map<std::string, std::string> repositories;
  // Scheme and basic credentials of a Registry v2 host (ECR uses the AWS credentials).
  artifacts::RegistryV2Options access;
  // How long one revision may wait for its images before it is given up (Stalled until a
  // new commit). The CLI waits this long in one call; the controller re-checks every
  // `poll_interval` without holding a worker.
  std::chrono::milliseconds wait{std::chrono::minutes(30)};
  std::chrono::milliseconds poll_interval{std::chrono::seconds(15)};
  // codebuild: where build-context archives are uploaded, s3://<bucket>/<prefix>...; an
  // empty bucket means the template bucket (ReconcileOptions::template_bucket).
  std::string context_bucket;
  std::string context_prefix = "ecsync/contexts/";
  // codebuild: how long one image's build may take, from its start, before ecsync stops
  // following it (the revision then fails; CodeBuild's own timeout ends the build).
  std::chrono::milliseconds build_timeout{std::chrono::minutes(60)};

  bool enabled() const { return !builder.empty(); }
  // The bucket build contexts go to: context_bucket, else `template_bucket`.
  const std::string& ContextBucketOr(const std::string& template_bucket) const {
    return context_bucket.empty() ? template_bucket : context_bucket;
  }
  // A stable text of every setting but the credentials, for configuration fingerprints.
  std::string Fingerprint() const;
};

// Where a process keeps the image digests it learned (ImageDigestCache::PersistTo): beside
// the repositories in the git cache folder.
std::string ImageDigestFile(const std::string& cache_dir);

// Ok for "external" and "codebuild"; kInvalid naming the choices for anything else. The
// caller puts the key or flag in front of the message.
base::Status CheckBuilder(const std::string& builder);

// Digests already seen, by tag reference. A tag is a content hash of the build inputs, so
// the digest it names is looked up once per process (once per cache folder, see PersistTo): an
// unchanged project costs no registry call. Thread-safe.
class ImageDigestCache {
 public:
  bool Find(const std::string& reference, std::string* digest) const;
  void Remember(const std::string& reference, const std::string& digest);

  // Keeps what is remembered in `path` too (one "reference digest" line each, appended), and
  // remembers what it holds now: so a process that starts again, `reconcile --once` in a CI
  // job with a kept cache folder, or a restarted controller, asks the registry nothing for
  // tags it has pinned before. The file is a cache: malformed lines are skipped, a file that
  // cannot be read or written only costs registry calls. Call before the first Find.
  void PersistTo(const std::string& path);

 private:
  static constexpr size_t kMaxEntries = 10'000;
  mutable std::mutex mu_;
  std::map<std::string, std::string> digests_;
  std::string path_;  // empty: memory only
};

struct ImageResolution {
  // Every service with `build:`, as planned (tag references).
  std::vector<artifacts::ImageTarget> targets;
  // The tag references the registry does not have (yet): CI has not pushed them.
  std::vector<std::string> missing;
};

struct ResolveImagesRequest {
  ImageSettings settings;
  std::string repository_root;  // see artifacts::ImagePlanOptions
  const artifacts::GitObjectLookup* objects = nullptr;
  // Null: nothing is asked; every image is named by its tag and reported missing (convert).
  artifacts::ImageRegistry* registry = nullptr;
  ImageDigestCache* cache = nullptr;  // may be null
  // Wait up to settings.wait for missing images (the CLI); false: ask once (the controller).
  bool wait = false;
  const std::atomic<bool>* interrupted = nullptr;
  std::string stack;  // for progress lines
};

// Plans the images of `project` and asks the registry for each. Every service with `build:`
// then names its image: pinned by digest when the registry has it, by tag when it does not
// (such a project must not be deployed: `missing` says so). Errors: those of PlanImages and
// of the registry (missing images are not an error); kTransient when interrupted.
base::Result<ImageResolution> ResolveImages(compose::Project* project,
                                            const ResolveImagesRequest& request,
                                            const ProgressSink& sink);

}  // namespace ecsync::reconcile
