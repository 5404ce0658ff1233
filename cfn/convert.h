#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::cfn {

// A load balancer that exists outside the stack.
struct ExistingLoadBalancer {
  std::string arn;
  std::string type;  // "application" or "network" (ELBv2's Type)
};

// The image of the init container that writes repository files into their volumes: a
// busybox (sh, base64 and tar are all it needs) from ECR Public, so that pulls meet no
// Docker Hub limit. The task must be able to pull it (a public IP or a NAT gateway, as for
// any public image). It is a tag, not a digest: ConvertOptions::files_image pins it.
inline constexpr char kDefaultFilesImage[] = "public.ecr.aws/docker/library/busybox:1.36";

// The most base64 text of file bundles one task definition carries inline. ECS refuses a task
// definition over 64 KiB; half of it is left for everything else (the containers, their
// environment, the secrets' script), which is rarely more than a few KiB.
inline constexpr size_t kMaxInlineBundleBytes = size_t{32} * 1024;

// The image of the init container that fetches a bundle too large to travel inline from S3
// (the AWS CLI, from ECR Public). ConvertOptions::files_fetch_image overrides it.
inline constexpr char kDefaultFilesFetchImage[] = "public.ecr.aws/aws-cli/aws-cli:2.15.0";

// The largest bundle (ustar bytes) ecsync delivers through S3: the files land in the task's
// ephemeral storage (20 GiB by default), and the reconciler holds the bundle in memory.
inline constexpr size_t kMaxBundleBytes = size_t{64} * 1024 * 1024;

// One task-scoped volume (the task's ephemeral storage) that the files init container fills.
struct FilesVolume {
  // The directory the service's container mounts it at (absolute).
  std::string container_path;
  // Copy what the service's image holds at container_path into the volume first: a file
  // mounted into a directory of the image (/etc/nginx/nginx.conf) must not hide the rest of
  // that directory (mime.types).
  bool seed_from_image = false;
  bool read_only = false;  // in the service's container
};

// The repository files (bind mounts of paths inside the repository, and configs) one service
// sees, as reconcile/repository_files.h reads them at the deployed commit.
struct ServiceFiles {
  std::vector<FilesVolume> volumes;
  // A ustar archive (artifacts/ustar.h): volume n's files below the top-level directory "n".
  // Deterministic, so unchanged files leave the task definition unchanged. It travels inline
  // (base64) when that fits kMaxInlineBundleBytes, else through S3 (see
  // ConvertOptions::files_bucket).
  std::string archive;
  std::string archive_sha256;  // hex SHA-256 of `archive`: its S3 key and its check
  // The compose bind mounts (targets) and configs (names) delivered this way; bind mounts not
  // listed are left out with a warning, as before.
  std::vector<std::string> bind_targets;
  std::vector<std::string> configs;
};

struct ConvertOptions {
  ConvertOptions() = default;
  // The common case, and what callers wrote before the other fields existed.
  ConvertOptions(std::string vpc, std::vector<std::string> subnets)
      : vpc_id(std::move(vpc)), subnet_ids(std::move(subnets)) {}

  // When empty, the template declares Parameters VpcId (AWS::EC2::VPC::Id) and
  // SubnetIds (List<AWS::EC2::Subnet::Id>) and refers to them instead. A compose file's
  // x-aws-vpc wins over vpc_id; subnet_ids given for another VPC are then not used.
  std::string vpc_id;
  // Subnets the tasks run in (x-ecsync-subnets wins). Also the load balancer's, unless
  // public_subnet_ids is set.
  std::vector<std::string> subnet_ids;
  // Subnets for the internet-facing load balancer (x-ecsync-public_subnets wins). When set,
  // tasks get no public IP unless assign_public_ip says otherwise: they are expected in
  // private subnets with a NAT gateway or VPC endpoints.
  std::vector<std::string> public_subnet_ids;
  // Overrides the public IP choice above (x-ecsync-assign_public_ip wins).
  std::optional<bool> assign_public_ip;
  // What x-aws-loadbalancer refers to, as the reconciler looked it up (by name or ARN):
  // needed when the extension gives a name. For an ARN the type is read from the ARN
  // itself when this is unset. Ignored when the project has no x-aws-loadbalancer.
  std::optional<ExistingLoadBalancer> load_balancer;
  // HealthCheckGracePeriodSeconds of services behind the load balancer, unless the service
  // sets x-ecsync-health_check_grace_period.
  int health_check_grace_period_seconds = 60;
  // Compose volume name -> EFS file system ID ("fs-…") to re-attach instead of creating
  // one: what the reconciler found retained from an earlier deployment (tags
  // com.docker.compose.project and com.docker.compose.volume), so data survives a stack
  // being deleted and created again. The template creates the file system's mount targets
  // (one per task subnet, as for a new one; the old stack's went with it) unless its ID is
  // in file_systems_with_mount_targets. External volumes (external: true) are not affected.
  std::map<std::string, std::string> existing_file_systems;
  // IDs among existing_file_systems that already have mount targets the template must not
  // create again (mount targets not owned by this stack).
  std::set<std::string> file_systems_with_mount_targets;
  // Compose service name -> the repository files it mounts (see ServiceFiles).
  std::map<std::string, ServiceFiles> files;
  // The image of the init container that writes them (see kDefaultFilesImage); a digest
  // reference ("...@sha256:...") pins it.
  std::string files_image = kDefaultFilesImage;
  // Where bundles too large to travel inline go (the template bucket):
  // s3://<files_bucket>/<files_prefix>files/<sha256>.tar (FilesBundleKey), which the caller
  // uploads before the stack changes. The task role of such a service may read that one key.
  // Empty: such a bundle is kInvalid, naming the service and the size.
  std::string files_bucket;
  std::string files_prefix = "ecsync/";
  // The image of the init container that fetches it (see kDefaultFilesFetchImage).
  std::string files_fetch_image = kDefaultFilesFetchImage;
};

// A file- or environment-backed compose secret whose value the template takes as a NoEcho
// parameter: the value never appears in the template. Whoever creates or updates the stack
// must pass it (ParameterKey = parameter), read from `file` or the variable `environment`.
struct SecretParameter {
  std::string parameter;    // template parameter name, e.g. "DbPasswordSecretValue"
  std::string secret;       // compose secret key
  std::string file;         // path as the loader resolved it; empty when from the environment
  std::string environment;  // variable name; empty when from a file
};

struct Conversion {
  nlohmann::ordered_json tmpl;
  std::vector<SecretParameter> secret_parameters;  // sorted by parameter
  // What the template leaves out and why (bind mounts, configs, ...), one line each,
  // naming the service and key. For the user; not errors.
  std::vector<std::string> warnings;
};

// Converts a compose project into a CloudFormation template that runs it on ECS Fargate,
// with Docker's ECS integration's logical IDs and properties. Deterministic: the same
// input gives byte-identical output. kInvalid (naming service and key) for what ECS
// cannot run.
base::Result<Conversion> ConvertProject(const compose::Project& project,
                                        const ConvertOptions& options);

// ConvertProject's template alone. A project with file or environment secrets gives a
// template with NoEcho parameters, which the caller must then supply (see ConvertProject).
base::Result<nlohmann::ordered_json> Convert(const compose::Project& project,
                                             const ConvertOptions& options);

// The VPC a project asks for with x-aws-vpc, or "" (for looking up its subnets before
// converting). kInvalid when the extension is malformed.
base::Result<std::string> RequestedVpc(const compose::Project& project);

// Serializations. JSON is indented by 2 spaces with a trailing newline.
std::string ToJson(const nlohmann::ordered_json& tmpl);
std::string ToYaml(const nlohmann::ordered_json& tmpl);

}  // namespace ecsync::cfn
