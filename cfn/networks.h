#pragma once

// Compose networks as security groups: one per network a service joins (the implicit
// `default` included), with a self-referencing ingress rule so members reach each other
// on every port. An external network names an existing group (`name: sg-…`) and adds no
// resource. Fills ServiceParts::security_groups.

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddNetworks(Context& ctx);

// The security group of a network the plan uses: {"Ref": "<Net>Network"} or "sg-…".
Json NetworkSecurityGroup(const Context& ctx, const std::string& network);

}  // namespace ecsync::cfn
