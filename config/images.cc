#include "config/images.h"

#include <string_view>

#include "artifacts/image_ref.h"
#include "config/secret.h"

namespace ecsync::config {

namespace {

constexpr std::string_view kImagesKeys[] = {
    "builder",  "registry", "repositories",   "wait",           "poll_interval", "insecure",
    "username", "password", "context_bucket", "context_prefix", "build_timeout"};

// codebuild: the keys that say where contexts go and how long a build may take. A bucket
// name is checked by S3 itself; only what would make a bad key is refused here.
base::Status ParseCodeBuildKeys(const ConfigMapping& map, reconcile::ImageSettings* images) {
  ECSYNC_RETURN_IF_ERROR(map.String("context_bucket", &images->context_bucket));
  if (images->context_bucket.find('/') != std::string::npos) {
    return map.Error("context_bucket", "is a bucket name; put the folder in context_prefix");
  }
  if (map.Has("context_prefix")) {
    ECSYNC_RETURN_IF_ERROR(map.String("context_prefix", &images->context_prefix));
    if (images->context_prefix.starts_with('/') ||
        images->context_prefix.find('*') != std::string::npos) {
      return map.Error("context_prefix",
                       "write a key prefix such as ecsync/contexts/, without a leading '/' or '*'");
    }
  }
  return map.Duration("build_timeout", /*allow_zero=*/false, &images->build_timeout);
}

}  // namespace

base::Status ParseImages(const ConfigMapping& parent, const base::EnvLookup& env,
                         const ReadFileFn& read_file, reconcile::ImageSettings* images) {
  if (!parent.Has("images")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, parent.Child("images", kImagesKeys));
  if (map.Has("builder")) {
    std::string builder;
    ECSYNC_RETURN_IF_ERROR(map.String("builder", &builder));
    if (builder == "none") {
      builder.clear();  // a project turning off the default builder
    } else if (base::Status status = reconcile::CheckBuilder(builder); !status.ok()) {
      return map.Error("builder", status.message() + ", or none");
    }
    images->builder = builder;
  }
  if (map.Has("registry")) {
    ECSYNC_RETURN_IF_ERROR(map.String("registry", &images->registry));
    if (!artifacts::IsValidRegistryHost(images->registry)) {
      return map.Error("registry",
                       "\"" + images->registry +
                           "\" is not a registry host; write host[:port] without a scheme or "
                           "path, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com");
    }
  }
  if (map.Has("repositories")) {
    std::map<std::string, std::string> repositories;
    ECSYNC_RETURN_IF_ERROR(map.StringMap("repositories", &repositories));
    for (const auto& [service, repository] : repositories) {
      if (!artifacts::IsValidRepository(repository)) {
        return map.Error("repositories",
                         service + ": \"" + repository +
                             "\" is not a repository name; use lower-case letters and digits "
                             "joined by '.', '_' or '-', with '/' between components");
      }
    }
    images->repositories = std::move(repositories);
  }
  ECSYNC_RETURN_IF_ERROR(ParseCodeBuildKeys(map, images));
  ECSYNC_RETURN_IF_ERROR(map.Duration("wait", /*allow_zero=*/true, &images->wait));
  ECSYNC_RETURN_IF_ERROR(
      map.Duration("poll_interval", /*allow_zero=*/false, &images->poll_interval));
  if (map.Has("insecure")) {
    bool insecure = false;
    ECSYNC_RETURN_IF_ERROR(map.Bool("insecure", &insecure));
    images->access.scheme = insecure ? "http" : "https";
  }
  ECSYNC_RETURN_IF_ERROR(map.String("username", &images->access.username));
  ECSYNC_RETURN_IF_ERROR(ReadSecret(map, "password", env, read_file, &images->access.password));
  if (images->access.username.empty() != images->access.password.empty()) {
    return map.Error(images->access.username.empty() ? "password" : "username",
                     "give both username and password for the registry, or neither");
  }
  if (images->enabled() && images->registry.empty()) {
    return map.Error("registry", "is required with a builder; name the registry host CI pushes to");
  }
  if (images->builder == "codebuild" && !artifacts::ParseEcrRegistry(images->registry)) {
    return map.Error("registry", "\"" + images->registry +
                                     "\": the codebuild builder pushes to Amazon ECR; name the "
                                     "ECR host of the region ecsync deploys to, such as "
                                     "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  }
  return base::Status::Ok();
}

}  // namespace ecsync::config
