#include "reconcile/images.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

namespace ecsync::reconcile {

namespace {

std::string WholeSeconds(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

// Sets the image of `service` in `project` to `image`.
void UseImage(compose::Project* project, const std::string& service, const std::string& image) {
  for (compose::Service& s : project->services) {
    if (s.name == service) s.image = image;
  }
}

}  // namespace

std::string ImageSettings::Fingerprint() const {
  std::string out = "builder=" + builder + "\nregistry=" + registry + "\nscheme=" + access.scheme +
                    "\nuser=" + access.username + "\nwait=" + WholeSeconds(wait) +
                    "\npoll=" + WholeSeconds(poll_interval) + "\n";
  for (const auto& [service, repository] : repositories) {
    out += "repository " + service + "=" + repository + "\n";
  }
  if (builder == "codebuild") {
    out += "context=s3://" + context_bucket + "/" + context_prefix +
           "\nbuild_timeout=" + WholeSeconds(build_timeout) + "\n";
  }
  return out;
}

base::Status CheckBuilder(const std::string& builder) {
  if (builder == "external" || builder == "codebuild") return base::Status::Ok();
  return base::InvalidError("\"" + builder +
                            "\" is not a builder; use external (CI builds and pushes the image "
                            "`ecsync images` names) or codebuild (ecsync builds it in AWS "
                            "CodeBuild)");
}

namespace {

// Whether a reference and digest can be one line of the cache file and be read back as
// they were: no whitespace in either, and a digest as registries give it.
bool IsCacheLine(const std::string& reference, const std::string& digest) {
  auto printable = [](const std::string& text) {
    return !text.empty() && text.size() < 512 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
  };
  return printable(reference) && printable(digest) && digest.rfind("sha256:", 0) == 0;
}

}  // namespace

bool ImageDigestCache::Find(const std::string& reference, std::string* digest) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = digests_.find(reference);
  if (it == digests_.end()) return false;
  *digest = it->second;
  return true;
}

void ImageDigestCache::Remember(const std::string& reference, const std::string& digest) {
  std::lock_guard<std::mutex> lock(mu_);
  // Tags are content hashes, so old entries are rarely asked for again; starting over keeps
  // the memory (and the file) bounded without bookkeeping.
  const bool full = digests_.size() >= kMaxEntries;
  if (full) digests_.clear();
  digests_[reference] = digest;
  if (path_.empty() || !IsCacheLine(reference, digest)) return;
  std::ofstream out(path_, full ? std::ios::trunc : std::ios::app);
  out << reference << ' ' << digest << '\n';
}

std::string ImageDigestFile(const std::string& cache_dir) { return cache_dir + "/image-digests"; }

void ImageDigestCache::PersistTo(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  path_ = path;
  std::error_code ignored;  // a folder that cannot be made only costs registry calls
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
  std::ifstream in(path);
  std::string reference, digest;
  while (in >> reference >> digest && digests_.size() < kMaxEntries) {
    if (IsCacheLine(reference, digest)) digests_[reference] = digest;
  }
}

base::Result<ImageResolution> ResolveImages(compose::Project* project,
                                            const ResolveImagesRequest& request,
                                            const ProgressSink& sink) {
  artifacts::ImagePlanOptions plan;
  plan.registry = request.settings.registry;
  plan.repositories = request.settings.repositories;
  plan.repository_root = request.repository_root;
  ImageResolution resolution;
  ECSYNC_ASSIGN_OR_RETURN(resolution.targets,
                          artifacts::PlanImages(*project, plan, *request.objects));

  // What the cache knows costs nothing; the rest is asked of the registry.
  std::vector<artifacts::ImageTarget> unknown;
  std::map<std::string, std::string> digests;  // tag reference -> digest
  for (const artifacts::ImageTarget& target : resolution.targets) {
    const std::string reference = target.reference.ToString();
    std::string digest;
    if (request.cache != nullptr && request.cache->Find(reference, &digest)) {
      digests[reference] = digest;
    } else {
      unknown.push_back(target);
    }
  }
  if (request.registry != nullptr && !unknown.empty()) {
    std::vector<artifacts::ImageStatus> found;
    if (request.wait) {
      artifacts::ImageWaitOptions wait;
      wait.timeout = request.settings.wait;
      wait.poll_interval = request.settings.poll_interval;
      wait.interrupted = request.interrupted;
      Say(sink, request.stack,
          "waiting up to " + WholeSeconds(wait.timeout) + " for " + std::to_string(unknown.size()) +
              " image(s) from CI");
      auto pinned = artifacts::WaitForImages(unknown, *request.registry, wait);
      if (pinned.ok()) {
        for (const artifacts::PinnedImage& image : *pinned) {
          found.push_back({image.service, image.reference, image.reference.digest});
        }
      } else if (pinned.status().kind() == base::ErrorKind::kNotFound) {
        // The wait ended: which ones are still missing is asked once more.
        ECSYNC_ASSIGN_OR_RETURN(found, artifacts::CheckImages(unknown, *request.registry));
      } else {
        return pinned.status();
      }
    } else {
      ECSYNC_ASSIGN_OR_RETURN(found, artifacts::CheckImages(unknown, *request.registry));
    }
    for (artifacts::ImageStatus& status : found) {
      if (!status.present()) continue;
      status.reference.digest.clear();
      const std::string reference = status.reference.ToString();
      digests[reference] = status.digest;
      if (request.cache != nullptr) request.cache->Remember(reference, status.digest);
    }
  }

  for (const artifacts::ImageTarget& target : resolution.targets) {
    const std::string reference = target.reference.ToString();
    auto it = digests.find(reference);
    if (it == digests.end()) {
      resolution.missing.push_back(reference);
      UseImage(project, target.service, reference);
      Say(sink, request.stack,
          "image of " + target.service + ": " + reference +
              (request.registry == nullptr ? " (not looked up: a deploy pins its digest)"
                                           : " is not in the registry yet"));
      continue;
    }
    artifacts::ImageRef pinned = target.reference;
    pinned.digest = it->second;
    UseImage(project, target.service, pinned.Pinned());
    Say(sink, request.stack, "image of " + target.service + ": " + pinned.ToString());
  }
  return resolution;
}

}  // namespace ecsync::reconcile
