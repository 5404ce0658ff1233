#include "reconcile/project_network.h"

#include <algorithm>
#include <string>
#include <utility>

#include "aws/public_subnets.h"
#include "cfn/extensions.h"

namespace ecsync::reconcile {
namespace {

void MoveToVpc(const std::string& vpc, cfn::ConvertOptions* network) {
  if (network->vpc_id == vpc) return;
  network->vpc_id = vpc;
  network->subnet_ids.clear();
  network->public_subnet_ids.clear();
  // Derived from the old VPC's public subnets (AddPublicSubnets); decided again for this one.
  network->assign_public_ip.reset();
}

// True when the stack creates a load balancer: some service publishes a port and the project
// names no existing one.
bool CreatesLoadBalancer(const compose::Project& project) {
  if (project.extensions.is_object() && project.extensions.contains("x-aws-loadbalancer")) {
    return false;
  }
  return std::any_of(project.services.begin(), project.services.end(),
                     [](const compose::Service& service) { return !service.ports.empty(); });
}

}  // namespace

base::Status LookUpLoadBalancer(aws::Elbv2& elbv2, const compose::Project& project,
                                cfn::ConvertOptions* network) {
  auto ext = cfn::ParseProjectExtensions(project);
  // A malformed extension is reported by the converter, with the rest of its checks.
  if (!ext.ok() || ext->load_balancer.empty()) return base::Status::Ok();
  const std::string& wanted = ext->load_balancer;
  const std::string where =
      "x-aws-loadbalancer \"" + wanted + "\" of project \"" + project.name + "\"";
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

base::Result<cfn::ConvertOptions> ResolveProjectNetwork(aws::Ec2* ec2, aws::Elbv2* elbv2,
                                                        const cfn::ConvertOptions& configured,
                                                        const compose::Project& project) {
  cfn::ConvertOptions network = configured;
  // Moving to another VPC needs its subnets looked up, so only with Ec2 at hand.
  if (ec2 != nullptr) {
    ECSYNC_RETURN_IF_ERROR(UseRequestedVpc(project, &network));
    if (elbv2 != nullptr) ECSYNC_RETURN_IF_ERROR(LookUpLoadBalancer(*elbv2, project, &network));
  }
  const bool creates_load_balancer =
      CreatesLoadBalancer(project) && network.public_subnet_ids.empty();
  ECSYNC_RETURN_IF_ERROR(
      LookUpNetwork(ec2, NetworkSettings::kFlags, creates_load_balancer, &network));
  return network;
}

base::Status LookUpNetwork(aws::Ec2* ec2, NetworkSettings settings, bool public_subnets,
                           cfn::ConvertOptions* network) {
  const bool flags = settings == NetworkSettings::kFlags;
  const bool subnets_given = !network->subnet_ids.empty();
  if (!network->vpc_id.empty() && subnets_given) return base::Status::Ok();
  if (ec2 == nullptr) {
    return base::InvalidError(flags ? "no VPC to deploy into: pass --vpc-id and --subnet-ids"
                                    : "no VPC to deploy into: set aws.vpc_id and aws.subnet_ids "
                                      "in the configuration");
  }
  if (network->vpc_id.empty()) {
    auto vpc = ec2->DefaultVpcId();
    if (!vpc.ok()) {
      return vpc.status().WithContext(
          flags ? "looking up the default VPC (pass --vpc-id and --subnet-ids to choose one)"
                : "looking up the default VPC (or set aws.vpc_id)");
    }
    network->vpc_id = *vpc;
  }
  if (!subnets_given) {
    auto subnets = ec2->SubnetIds(network->vpc_id);
    if (!subnets.ok()) {
      return subnets.status().WithContext(
          (flags ? "looking up subnets of " : "looking up the subnets of ") + network->vpc_id);
    }
    if (subnets->empty()) {
      return base::InvalidError("VPC " + network->vpc_id + " has no subnets; " +
                                (flags ? "pass --subnet-ids" : "set aws.subnet_ids"));
    }
    network->subnet_ids = *subnets;
    if (public_subnets) ECSYNC_RETURN_IF_ERROR(AddPublicSubnets(*ec2, network));
  }
  return base::Status::Ok();
}

base::Status AddPublicSubnets(aws::Ec2& ec2, cfn::ConvertOptions* network) {
  auto public_subnets = aws::PublicSubnetIds(ec2, network->vpc_id);
  if (!public_subnets.ok()) {
    return public_subnets.status().WithContext("looking up the public subnets of " +
                                               network->vpc_id);
  }
  // An application load balancer needs two subnets; with fewer public ones it stays in the
  // task subnets, as before.
  if (public_subnets->size() < 2) return base::Status::Ok();
  network->public_subnet_ids = std::move(*public_subnets);
  // Only the load balancer moves: the tasks keep their public IP (cfn would drop it once the
  // load balancer has subnets of its own) unless the configuration says otherwise.
  if (!network->assign_public_ip) network->assign_public_ip = true;
  return base::Status::Ok();
}

}  // namespace ecsync::reconcile
