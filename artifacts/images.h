#pragma once

// The external builder's view of one project at one commit: which images CI must push
// (PlanImages), which of them are there (CheckImages), and waiting for them, bounded, before
// the template is rendered with digest-pinned references (WaitForImages).

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "artifacts/build_inputs.h"
#include "artifacts/image_ref.h"
#include "artifacts/registry.h"
#include "base/clock.h"
#include "base/result.h"
#include "compose/model.h"

namespace ecsync::artifacts {

struct ImagePlanOptions {
  // The registry host images are pushed to: "<account>.dkr.ecr.<region>.amazonaws.com" or
  // any host[:port] (see IsValidRegistryHost).
  std::string registry;
  // Service name -> repository, replacing DefaultRepositoryName for that service.
  std::map<std::string, std::string> repositories;
  // See ReadBuildInputs.
  std::string repository_root;
};

// One service's image to push.
struct ImageTarget {
  std::string service;
  ImageRef reference;  // registry/repository:tag, no digest: what CI pushes
  BuildInputs inputs;
};

// The services of `project` with a `build:` section (in the project's order, sorted by name),
// each with the reference CI must push. Services without `build:` are left out (they run
// the `image:` they name). kInvalid for a bad registry host, an override that is not a valid
// repository name, or any error of ReadBuildInputs; the lookup's own errors otherwise.
base::Result<std::vector<ImageTarget>> PlanImages(const compose::Project& project,
                                                  const ImagePlanOptions& options,
                                                  const GitObjectLookup& objects);

struct ImageStatus {
  std::string service;
  ImageRef reference;  // as planned (tag, no digest)
  std::string digest;  // empty: not in the registry (yet)
  bool present() const { return !digest.empty(); }
};

// Asks `registry` once per target. A target the registry does not have (kNotFound) is
// reported missing; any other error ends the check and is returned.
base::Result<std::vector<ImageStatus>> CheckImages(const std::vector<ImageTarget>& targets,
                                                   ImageRegistry& registry);

struct ImageWaitOptions {
  // How long to wait for missing images, from the call. Zero: check once.
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  // Time between checks of the images still missing. REQUIRES: > 0.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(15)};
  base::Clock* clock = nullptr;  // not owned; null: SystemClock
  // When set (by the caller, e.g. because a newer commit arrived), the wait ends before the
  // next check. Read between sleeps of at most one second.
  const std::atomic<bool>* interrupted = nullptr;
};

// One image as the task definition must name it.
struct PinnedImage {
  std::string service;
  ImageRef reference;  // with both tag and digest
  // "<registry>/<repository>@sha256:..."
  std::string pinned() const { return reference.Pinned(); }
};

// Checks the targets until every one is in the registry, then returns them pinned by
// digest (in the targets' order). Images found present are not asked about again.
// Errors:
//   kNotFound: the timeout passed with images still missing; the message lists every
//              missing reference ("push them from CI: `ecsync images` prints them"). The
//              caller reports the project as waiting for images, not as failed.
//   kThrottled / kTransient: the registry still answered so at the deadline (they are
//              retried at the poll interval until then), or, kTransient, interrupted (the
//              message says so);
//   any other kind (kInvalid: credentials refused, a bad answer): the registry's error,
//              at once, without waiting.
base::Result<std::vector<PinnedImage>> WaitForImages(const std::vector<ImageTarget>& targets,
                                                     ImageRegistry& registry,
                                                     const ImageWaitOptions& options);

}  // namespace ecsync::artifacts
