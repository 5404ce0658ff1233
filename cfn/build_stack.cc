#include "cfn/build_stack.h"

#include "base/hash.h"
#include "cfn/json.h"
#include "cfn/names.h"

namespace ecsync::cfn {

namespace {

constexpr size_t kMaxStackName = 128;
constexpr char kSuffix[] = "-builds";
constexpr char kProjectId[] = "BuildProject";
constexpr char kRoleId[] = "BuildRole";
constexpr char kLogGroupResourceId[] = "BuildLogGroup";

// Stable across added or removed repositories: the ID depends on the name alone.
std::string RepositoryId(const std::string& repository) {
  std::string part = LogicalIdPart(repository).substr(0, 64);
  return "Repository" + part + base::Sha256Hex(repository).substr(0, 8);
}

Json Strings(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const std::string& v : values) out.push_back(v);
  return out;
}

Json Statement(Json actions, Json resources) {
  return Obj()
      .Add("Effect", "Allow")
      .Add("Action", std::move(actions))
      .Add("Resource", std::move(resources));
}

Json RolePolicy(const BuildStackOptions& options) {
  Json repositories = Json::array();
  for (const std::string& r : options.repositories)
    repositories.push_back(GetAtt(RepositoryId(r), "Arn"));
  Json contexts =
      Join("", Arr("arn:", Ref("AWS::Partition"),
                   ":s3:::" + options.context_bucket + "/" + options.context_prefix + "*"));
  Json statements = Arr(
      // Logging in to a registry cannot be narrowed to repositories.
      Statement(Strings({"ecr:GetAuthorizationToken"}), "*"),
      Statement(Strings({"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                         "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
                         "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"}),
                std::move(repositories)),
      Statement(Strings({"s3:GetObject", "s3:GetObjectVersion"}), Arr(std::move(contexts))),
      Statement(Strings({"logs:CreateLogStream", "logs:PutLogEvents"}),
                Arr(GetAtt(kLogGroupResourceId, "Arn"))));
  return Obj()
      .Add("PolicyName", "ecsync-image-builds")
      .Add("PolicyDocument",
           Obj().Add("Version", "2012-10-17").Add("Statement", std::move(statements)));
}

Json Role(const BuildStackOptions& options) {
  Json trust = Obj()
                   .Add("Version", "2012-10-17")
                   .Add("Statement",
                        Arr(Obj()
                                .Add("Effect", "Allow")
                                .Add("Principal", Obj().Add("Service", "codebuild.amazonaws.com"))
                                .Add("Action", "sts:AssumeRole")));
  return Obj()
      .Add("Type", "AWS::IAM::Role")
      .Add("Properties", Obj()
                             .Add("AssumeRolePolicyDocument", std::move(trust))
                             .Add("Policies", Arr(RolePolicy(options))));
}

Json Project(const BuildStackOptions& options, const std::string& name) {
  Json environment = Obj()
                         .Add("Type", "LINUX_CONTAINER")
                         .Add("ComputeType", options.compute_type)
                         .Add("Image", options.build_image)
                         .Add("ImagePullCredentialsType", "CODEBUILD")
                         .Add("PrivilegedMode", true);
  // Every build names its own archive; this location is only the project's default.
  Json source = Obj()
                    .Add("Type", "S3")
                    .Add("Location", options.context_bucket + "/" + options.context_prefix)
                    .Add("BuildSpec", BuildSpec());
  Json logs = Obj().Add("CloudWatchLogs",
                        Obj().Add("Status", "ENABLED").Add("GroupName", Ref(kLogGroupResourceId)));
  return Obj()
      .Add("Type", "AWS::CodeBuild::Project")
      .Add("Properties", Obj()
                             .Add("Name", name)
                             .Add("Description", "ecsync: images of stack " + options.stack)
                             .Add("ServiceRole", GetAtt(kRoleId, "Arn"))
                             .Add("Artifacts", Obj().Add("Type", "NO_ARTIFACTS"))
                             .Add("Source", std::move(source))
                             .Add("Environment", std::move(environment))
                             .Add("TimeoutInMinutes", options.timeout_minutes)
                             .Add("LogsConfig", std::move(logs)));
}

}  // namespace

std::string BuildStackName(const std::string& stack) {
  if (stack.size() + sizeof(kSuffix) - 1 <= kMaxStackName) return stack + kSuffix;
  // Room for "-" and 12 hex digits before the suffix keeps distinct stacks apart.
  const size_t keep = kMaxStackName - (sizeof(kSuffix) - 1) - 13;
  return stack.substr(0, keep) + "-" + base::Sha256Hex(stack).substr(0, 12) + kSuffix;
}

const std::string& BuildSpec() {
  // bash for arrays: arguments keep their spaces and quotes. A failed build phase aborts
  // the build, and post_build pushes only a build that is still succeeding.
  static const std::string kSpec = R"spec(version: 0.2
env:
  shell: bash
phases:
  pre_build:
    commands:
      - aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$ECSYNC_REGISTRY"
  build:
    on-failure: ABORT
    commands:
      - |
        set -euo pipefail
        if [ -n "${ECSYNC_DOCKERFILE_INLINE:-}" ]; then
          dockerfile="$(mktemp)"
          printf '%s' "$ECSYNC_DOCKERFILE_INLINE" | base64 -d > "$dockerfile"
        else
          dockerfile="${ECSYNC_DOCKERFILE:-Dockerfile}"
        fi
        flags=(--tag "$ECSYNC_IMAGE" --file "$dockerfile")
        if [ -n "${ECSYNC_TARGET:-}" ]; then flags+=(--target "$ECSYNC_TARGET"); fi
        if [ -n "${ECSYNC_PLATFORM:-}" ]; then flags+=(--platform "$ECSYNC_PLATFORM"); fi
        while IFS= read -r arg; do
          if [ -n "$arg" ]; then flags+=(--build-arg "$arg"); fi
        done <<< "${ECSYNC_BUILD_ARGS:-}"
        DOCKER_BUILDKIT=1 docker build "${flags[@]}" .
  post_build:
    commands:
      - if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]; then docker push "$ECSYNC_IMAGE"; fi
)spec";
  return kSpec;
}

nlohmann::ordered_json BuildStackTemplate(const BuildStackOptions& options) {
  const std::string name = BuildStackName(options.stack);
  Obj resources;
  for (const std::string& repository : options.repositories) {
    resources.Add(
        RepositoryId(repository),
        Obj()
            .Add("Type", "AWS::ECR::Repository")
            // The repository goes with the stack, images and all: they are
            // built again from the repository when needed.
            .Add("Properties", Obj().Add("RepositoryName", repository).Add("EmptyOnDelete", true)));
  }
  resources.Add(kLogGroupResourceId,
                Obj()
                    .Add("Type", "AWS::Logs::LogGroup")
                    .Add("Properties", Obj()
                                           .Add("LogGroupName", "/aws/codebuild/" + name)
                                           .Add("RetentionInDays", options.log_retention_days)));
  resources.Add(kRoleId, Role(options));
  resources.Add(kProjectId, Project(options, name));
  Json outputs = Obj()
                     .Add("ProjectName", Obj().Add("Value", Ref(kProjectId)))
                     .Add("RoleArn", Obj().Add("Value", GetAtt(kRoleId, "Arn")));
  return Obj()
      .Add("AWSTemplateFormatVersion", "2010-09-09")
      .Add("Description", "ecsync: image builds of stack " + options.stack)
      .Add("Resources", std::move(resources))
      .Add("Outputs", std::move(outputs));
}

}  // namespace ecsync::cfn
