#pragma once

#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "aws/ec2_types.h"
#include "base/result.h"

namespace ecsync::aws {

// The subnets among `subnet_ids` whose route table (the one explicitly associated with the
// subnet, else the table marked main) has a 0.0.0.0/0 route to an internet gateway
// ("igw-..."). Sorted. A subnet with neither an explicit nor a main table is not public.
std::vector<std::string> PublicSubnetIdsFrom(const std::vector<RouteTable>& tables,
                                             const std::vector<std::string>& subnet_ids);

// PublicSubnetIdsFrom over every subnet and route table of `vpc_id`.
base::Result<std::vector<std::string>> PublicSubnetIds(Ec2& ec2, const std::string& vpc_id);

}  // namespace ecsync::aws
