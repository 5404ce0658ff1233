#include "reconcile/network_resolver.h"

#include <utility>

#include "reconcile/project_network.h"

namespace ecsync::reconcile {

base::Result<cfn::ConvertOptions> NetworkResolver::Resolve(const cfn::ConvertOptions& configured) {
  if (!configured.vpc_id.empty() && !configured.subnet_ids.empty()) return configured;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_ && last_->vpc_id == configured.vpc_id && last_->subnet_ids == configured.subnet_ids) {
      return last_->network;
    }
  }
  // Looked up without the lock: concurrent first uses may each ask, which is harmless.
  cfn::ConvertOptions network = configured;
  ECSYNC_RETURN_IF_ERROR(LookUpNetwork(ec2_, NetworkSettings::kConfiguration,
                                       /*public_subnets=*/true, &network));
  std::lock_guard<std::mutex> lock(mu_);
  last_ = Resolved{configured.vpc_id, configured.subnet_ids, network};
  return network;
}

}  // namespace ecsync::reconcile
