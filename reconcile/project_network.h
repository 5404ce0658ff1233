#pragma once

// The per-project part of where a stack goes: what the compose file's x-aws-loadbalancer and
// x-aws-vpc ask for, resolved before converting so the template refers to real things.

#include "aws/cloudformation.h"
#include "aws/elbv2.h"
#include "base/result.h"
#include "cfn/convert.h"
#include "compose/model.h"

namespace ecsync::reconcile {

// For a project with x-aws-loadbalancer (a name or an ARN): one DescribeLoadBalancers call,
// then network->load_balancer holds its ARN and type. The load balancer's VPC is the
// project's: when the project names no x-aws-vpc and network->vpc_id differs, vpc_id becomes
// the load balancer's and the subnets are cleared for the caller to look up. Nothing for a
// project without the extension. kInvalid when the load balancer does not exist, or sits in
// another VPC than x-aws-vpc names; other kinds from Elbv2.
base::Status LookUpLoadBalancer(aws::Elbv2& elbv2, const compose::Project& project,
                                cfn::ConvertOptions* network);

// x-aws-vpc naming another VPC than network->vpc_id: vpc_id becomes it and the subnets are
// cleared for the caller to look up in that VPC. kInvalid when the extension is malformed.
base::Status UseRequestedVpc(const compose::Project& project, cfn::ConvertOptions* network);

// Which settings choose the network, so that an error says what to set instead of a lookup.
enum class NetworkSettings { kFlags, kConfiguration };

// Fills in what `network` leaves open through `ec2`: the default VPC when vpc_id is empty,
// that VPC's subnets when subnet_ids is empty and, when `public_subnets` and the subnets were
// looked up here, its public subnets (AddPublicSubnets). Nothing when both are given. kInvalid
// naming `settings` when `ec2` is null and something is missing, or the VPC has no subnets;
// other kinds from Ec2.
base::Status LookUpNetwork(aws::Ec2* ec2, NetworkSettings settings, bool public_subnets,
                           cfn::ConvertOptions* network);

// Where `project` goes: `configured` (the network the caller knows: flags, configuration, or
// what the controller looked up once), adjusted for the project's x-aws-vpc and
// x-aws-loadbalancer, with what is still missing looked up through `ec2`: the default VPC,
// the VPC's subnets, and its public subnets when the stack creates a load balancer and the
// subnets were not given. Subnets given are used as they are. `ec2` null: nothing is looked
// up, so `configured` must be complete (the stack-files target); `elbv2` null:
// x-aws-loadbalancer is left to the converter (an ARN works, a name is refused there).
base::Result<cfn::ConvertOptions> ResolveProjectNetwork(aws::Ec2* ec2, aws::Elbv2* elbv2,
                                                        const cfn::ConvertOptions& configured,
                                                        const compose::Project& project);

// Sets network->public_subnet_ids to the subnets of network->vpc_id whose route table
// sends 0.0.0.0/0 to an internet gateway, when there are at least two, so that an
// internet-facing load balancer goes there; the tasks stay where they are and keep their
// public IP unless network->assign_public_ip is already set. Two EC2 calls.
base::Status AddPublicSubnets(aws::Ec2& ec2, cfn::ConvertOptions* network);

}  // namespace ecsync::reconcile
