#include "reconcile/project_network.h"

#include <string>
#include <utility>

#include "cfn/extensions.h"

namespace ecsync::reconcile {
namespace {

void MoveToVpc(const std::string& vpc, cfn::ConvertOptions* network) {
  if (network->vpc_id == vpc) return;
  network->vpc_id = vpc;
  network->subnet_ids.clear();
  network->public_subnet_ids.clear();
}

}  // namespace

base::Status LookUpLoadBalancer(aws::Elbv2& elbv2, const compose::Project& project,
                                cfn::ConvertOptions* network) {
  auto ext = cfn::ParseProjectExtensions(project);
  // A malformed extension is reported by the converter, with the rest of its checks.
  if (!ext.ok() || ext->load_balancer.empty()) return base::Status::Ok();
  const std::string& wanted = ext->load_balancer;
  const std::string where = "x-aws-loadbalancer \"" + wanted + "\" of project \"" +
                            project.name + "\"";
  aws::DescribeLoadBalancersRequest request;
  if (wanted.rfind("arn:", 0) == 0) {
    request.arns = {wanted};
  } else {
    request.names = {wanted};
  }
  auto found = elbv2.DescribeLoadBalancers(request);
  if (!found.ok() && found.status().kind() == base::ErrorKind::kNotFound) {
    return base::InvalidError(where +
                              ": no such load balancer in this account and region; create it "
                              "first, or remove the extension to let ecsync create one");
  }
  if (!found.ok()) return found.status().WithContext("looking up the " + where);
  if (found->size() != 1) {
    return base::InvalidError(where + ": the lookup found " + std::to_string(found->size()) +
                              " load balancers; give its ARN");
  }
  const aws::LoadBalancer& lb = found->front();
  network->load_balancer = cfn::ExistingLoadBalancer{lb.arn, lb.type};
  if (!ext->vpc.empty() && ext->vpc != lb.vpc_id) {
    return base::InvalidError(where + ": is in " + lb.vpc_id + ", but x-aws-vpc is " + ext->vpc +
                              "; services can only join a load balancer in their own VPC");
  }
  MoveToVpc(lb.vpc_id, network);
  return base::Status::Ok();
}

base::Status UseRequestedVpc(const compose::Project& project, cfn::ConvertOptions* network) {
  ECSYNC_ASSIGN_OR_RETURN(std::string vpc, cfn::RequestedVpc(project));
  if (!vpc.empty()) MoveToVpc(vpc, network);
  return base::Status::Ok();
}

}  // namespace ecsync::reconcile
