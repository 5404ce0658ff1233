#include "artifacts/images.h"

#include <algorithm>

namespace ecsync::artifacts {
namespace {

constexpr std::chrono::milliseconds kMaxSleepSlice{1'000};

bool Interrupted(const ImageWaitOptions& options) {
  return options.interrupted != nullptr && options.interrupted->load();
}

std::string JoinReferences(const std::vector<ImageTarget>& targets,
                           const std::vector<size_t>& indexes) {
  std::string out;
  for (size_t i : indexes) {
    if (!out.empty()) out += ", ";
    out += targets[i].reference.ToString() + " (service " + targets[i].service + ")";
  }
  return out;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (seconds % 60 == 0 && seconds > 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

}  // namespace

base::Result<std::vector<ImageTarget>> PlanImages(const compose::Project& project,
                                                  const ImagePlanOptions& options,
                                                  const GitObjectLookup& objects) {
  if (!IsValidRegistryHost(options.registry)) {
    return base::InvalidError("image registry \"" + options.registry + "\" is not a host[:port]");
  }
  std::vector<ImageTarget> targets;
  for (const compose::Service& service : project.services) {
    if (!service.build) continue;
    ImageTarget target;
    target.service = service.name;
    ECSYNC_ASSIGN_OR_RETURN(target.inputs,
                            ReadBuildInputs(service, options.repository_root, objects));
    target.reference.registry = options.registry;
    if (auto it = options.repositories.find(service.name); it != options.repositories.end()) {
      if (!IsValidRepository(it->second)) {
        return base::InvalidError("image repository \"" + it->second + "\" of service " +
                                  service.name +
                                  " is not a valid repository name (lower-case letters and "
                                  "digits, '/'-separated, joined by '.', '_' or '-')");
      }
      target.reference.repository = it->second;
    } else {
      ECSYNC_ASSIGN_OR_RETURN(target.reference.repository,
                              DefaultRepositoryName(project.name, service.name));
    }
    target.reference.tag = target.inputs.Tag();
    targets.push_back(std::move(target));
  }
  return targets;
}

base::Result<std::vector<ImageStatus>> CheckImages(const std::vector<ImageTarget>& targets,
                                                   ImageRegistry& registry) {
  std::vector<ImageStatus> statuses;
  for (const ImageTarget& target : targets) {
    ImageStatus status{target.service, target.reference, ""};
    base::Result<std::string> digest = registry.FindDigest(target.reference);
    if (digest.ok()) {
      status.digest = *digest;
    } else if (digest.status().kind() != base::ErrorKind::kNotFound) {
      return digest.status();
    }
    statuses.push_back(std::move(status));
  }
  return statuses;
}

base::Result<std::vector<PinnedImage>> WaitForImages(const std::vector<ImageTarget>& targets,
                                                     ImageRegistry& registry,
                                                     const ImageWaitOptions& options) {
  base::Clock* clock = options.clock != nullptr ? options.clock : base::SystemClock::Get();
  const auto deadline = clock->SteadyNow() + options.timeout;
  const auto poll = std::max(options.poll_interval, std::chrono::milliseconds(1));
  std::vector<std::string> digests(targets.size());
  while (true) {
    std::vector<size_t> missing;
    base::Status retryable;  // the last throttled or transient answer of this round
    for (size_t i = 0; i < targets.size(); ++i) {
      if (!digests[i].empty()) continue;
      base::Result<std::string> digest = registry.FindDigest(targets[i].reference);
      if (digest.ok()) {
        digests[i] = *digest;
        continue;
      }
      switch (digest.status().kind()) {
        case base::ErrorKind::kNotFound:
          break;
        case base::ErrorKind::kThrottled:
        case base::ErrorKind::kTransient:
          retryable = digest.status();
          break;
        default:
          return digest.status();
      }
      missing.push_back(i);
    }
    if (missing.empty()) break;

    auto now = clock->SteadyNow();
    if (Interrupted(options)) {
      return base::TransientError("interrupted while waiting for images: " +
                                  JoinReferences(targets, missing));
    }
    if (now >= deadline) {
      std::string message = "images not in the registry after " + FormatDuration(options.timeout) +
                            ": " + JoinReferences(targets, missing) +
                            "; push them from CI (`ecsync images` prints them)";
      if (!retryable.ok()) {
        return base::Status(retryable.kind(),
                            message + "; last registry error: " + retryable.message());
      }
      return base::NotFoundError(message);
    }
    auto wake = std::min(deadline, now + poll);
    while (clock->SteadyNow() < wake) {
      if (Interrupted(options)) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - clock->SteadyNow());
      clock->SleepFor(std::clamp(left, std::chrono::milliseconds(1), kMaxSleepSlice));
    }
    if (Interrupted(options)) {
      return base::TransientError("interrupted while waiting for images: " +
                                  JoinReferences(targets, missing));
    }
  }
  std::vector<PinnedImage> pinned;
  for (size_t i = 0; i < targets.size(); ++i) {
    PinnedImage image{targets[i].service, targets[i].reference};
    image.reference.digest = digests[i];
    pinned.push_back(std::move(image));
  }
  return pinned;
}

}  // namespace ecsync::artifacts
