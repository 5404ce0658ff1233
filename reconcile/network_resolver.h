#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/result.h"
#include "cfn/convert.h"

namespace ecsync::reconcile {

// The network every project of a long-running process starts from: the configured VPC and
// subnets, with what they leave open looked up through EC2 (see LookUpNetwork: the default
// VPC, its subnets and public subnets) once and kept for as long as the configured network
// stays the same. A configuration naming another VPC or other subnets is looked up again on
// its first use, so a reload applies without a restart. Each project's own extensions
// (x-aws-vpc, x-aws-loadbalancer) are applied later, per reconcile (ResolveProjectNetwork).
// Thread-safe.
class NetworkResolver {
 public:
  // `ec2` may be null (stack files): the configuration must then name VPC and subnets.
  explicit NetworkResolver(aws::Ec2* ec2) : ec2_(ec2) {}

  // `configured` as is when it names both VPC and subnets, else completed by a lookup (from
  // the cache when `configured` is what was looked up last). A failed lookup is not kept.
  // Errors name the configuration keys to set.
  base::Result<cfn::ConvertOptions> Resolve(const cfn::ConvertOptions& configured);

 private:
  struct Resolved {
    std::string vpc_id;                   // as configured
    std::vector<std::string> subnet_ids;  // as configured
    cfn::ConvertOptions network;          // what the lookup completed
  };

  aws::Ec2* ec2_;
  std::mutex mu_;
  std::optional<Resolved> last_;
};

}  // namespace ecsync::reconcile
