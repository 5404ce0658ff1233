#include "reconcile/stack_services.h"

namespace ecsync::reconcile {
namespace {

base::Status Collect(aws::CloudFormation& cfn, const std::string& stack, int depth,
                     std::vector<aws::StackResource>* services) {
  auto resources = cfn.DescribeStackResources(stack);
  if (!resources.ok()) {
    // A nested stack not created yet (or gone) has nothing to look at.
    if (depth > 0 && resources.status().kind() == base::ErrorKind::kNotFound) {
      return base::Status::Ok();
    }
    return resources.status();
  }
  for (aws::StackResource& resource : *resources) {
    if (resource.physical_id.empty()) continue;
    if (resource.resource_type == "AWS::ECS::Service") {
      services->push_back(std::move(resource));
    } else if (resource.resource_type == "AWS::CloudFormation::Stack" && depth < 2) {
      // A project split into nested stacks has its services there.
      ECSYNC_RETURN_IF_ERROR(Collect(cfn, resource.physical_id, depth + 1, services));
    }
  }
  return base::Status::Ok();
}

}  // namespace

std::pair<std::string, std::string> ClusterAndService(const std::string& arn) {
  auto pos = arn.find(":service/");
  if (pos == std::string::npos) return {"", arn};
  std::string rest = arn.substr(pos + 9);
  auto slash = rest.find('/');
  if (slash == std::string::npos) return {"", rest};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

base::Result<std::vector<aws::StackResource>> StackServices(aws::CloudFormation& cfn,
                                                            const std::string& stack) {
  std::vector<aws::StackResource> services;
  ECSYNC_RETURN_IF_ERROR(Collect(cfn, stack, /*depth=*/0, &services));
  return services;
}

}  // namespace ecsync::reconcile
