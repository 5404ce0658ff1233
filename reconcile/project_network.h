#pragma once

// The per-project part of where a stack goes: what the compose file's x-aws-loadbalancer and
// x-aws-vpc ask for, resolved before converting so the template refers to real things.

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

}  // namespace ecsync::reconcile
