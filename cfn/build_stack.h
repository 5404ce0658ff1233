#pragma once

// The companion stack of a project whose images the `codebuild` builder builds
// (docs/images.md): the ECR repositories the images are pushed to, one CodeBuild project
// that builds any of them from a ZIP archive of a build context in S3, its log group, and
// the project's IAM role, allowed no more than that: pushing to those repositories, reading
// archives under the context prefix, writing its own logs.
//
// Each build passes what to build as environment variables (see the kBuild* names below),
// so one project serves every service, and a changed Dockerfile, target or argument needs
// no stack update. Pure functions; thread-safe.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ecsync::cfn {

// Environment variables of one build, read by the project's buildspec:
inline constexpr char kBuildRegistry[] = "ECSYNC_REGISTRY";  // the ECR host to log in to
inline constexpr char kBuildImage[] = "ECSYNC_IMAGE";        // <registry>/<repository>:<tag>
// The Dockerfile's path inside the archive, whose root is the build context.
inline constexpr char kBuildDockerfile[] = "ECSYNC_DOCKERFILE";
// base64 of `dockerfile_inline`; set instead of ECSYNC_DOCKERFILE.
inline constexpr char kBuildDockerfileInline[] = "ECSYNC_DOCKERFILE_INLINE";
inline constexpr char kBuildTarget[] = "ECSYNC_TARGET";      // `build.target`, may be ""
inline constexpr char kBuildPlatform[] = "ECSYNC_PLATFORM";  // may be ""
// `build.args`, one "NAME=value" (or "NAME") per line.
inline constexpr char kBuildArgs[] = "ECSYNC_BUILD_ARGS";

struct BuildStackOptions {
  // The project's stack; the companion stack and its CodeBuild project are named
  // BuildStackName(stack).
  std::string stack;
  // ECR repository names (valid, see artifacts::IsValidRepository), one per built service.
  // REQUIRES: non-empty, no duplicates.
  std::vector<std::string> repositories;
  // Where build-context archives are: s3://<context_bucket>/<context_prefix>...; the role
  // may read only objects under that prefix. REQUIRES: context_bucket non-empty.
  std::string context_bucket;
  std::string context_prefix;
  // The build environment: a Linux image with docker (CodeBuild's standard image), run
  // privileged so docker can build. Defaults suit most projects.
  std::string build_image = "aws/codebuild/standard:7.0";
  std::string compute_type = "BUILD_GENERAL1_SMALL";
  int timeout_minutes = 60;
  int log_retention_days = 30;
};

// "<stack>-builds", shortened (a prefix and a hash of `stack`) to CloudFormation's
// 128 characters when `stack` is long. Also the CodeBuild project's name and, under
// /aws/codebuild/, its log group's.
std::string BuildStackName(const std::string& stack);

// The buildspec every build of the project runs (YAML, version 0.2): logs in to the
// registry, `docker build` of the archive's root with the Dockerfile, target, platform and
// arguments of the variables above, and pushes the image once the build succeeded.
const std::string& BuildSpec();

// The companion stack's template (deterministic: the same options give the same bytes).
// Outputs: ProjectName, RoleArn.
nlohmann::ordered_json BuildStackTemplate(const BuildStackOptions& options);

}  // namespace ecsync::cfn
