#include "reconcile/targets.h"

#include <utility>

#include "aws/http.h"
#include "aws/stack_files.h"

namespace ecsync::reconcile {

Targets TargetsFromClients(aws::AwsClients clients) {
  auto owned = std::make_shared<aws::AwsClients>(std::move(clients));
  Targets targets;
  targets.cloudformation = owned->cloudformation.get();
  targets.ec2 = owned->ec2.get();
  targets.ecs = owned->ecs.get();
  targets.s3 = owned->s3.get();
  targets.elbv2 = owned->elbv2.get();
  targets.efs = owned->efs.get();
  targets.codebuild = owned->codebuild.get();
  targets.ssm = owned->ssm.get();
  targets.open_registry = [client = owned->client, http = std::make_shared<aws::CurlHttpClient>()](
                              const std::string& host, const artifacts::RegistryV2Options& access) {
    return artifacts::OpenRegistry(host, access, client, http);
  };
  targets.owner = std::move(owned);
  return targets;
}

Targets StackFileTargets(const std::string& dir, base::Clock& clock) {
  auto files = std::make_shared<aws::StackFiles>(dir, clock);
  Targets targets;
  targets.cloudformation = files.get();
  targets.open_registry = [http = std::make_shared<aws::CurlHttpClient>()](
                              const std::string& host, const artifacts::RegistryV2Options& access) {
    return artifacts::OpenRegistry(host, access, nullptr, http);
  };
  targets.owner = std::move(files);
  return targets;
}

}  // namespace ecsync::reconcile
