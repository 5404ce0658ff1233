#pragma once

// Ports and load balancing: one load balancer for the project when any port reaches it
// (or the x-aws-loadbalancer one), per published port a Listener on the published port,
// per container port a TargetGroup (target type ip) on the container port, ingress rules,
// HTTPS with an ACM certificate (on 443 and on ports marked https) and the HTTP-to-HTTPS
// redirect. Fills ServiceParts' load_balancers and depends_on.
//
// REQUIRES: AddNetworks ran (the load balancer joins the networks' security groups).

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddLoadBalancing(Context& ctx);

}  // namespace ecsync::cfn
