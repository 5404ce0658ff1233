#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/elbv2.h"

namespace ecsync::aws {

// ELBv2 reads over the AWS API (Query protocol, version 2015-12-01). Thread-safe.
class Elbv2Client final : public Elbv2 {
 public:
  explicit Elbv2Client(std::shared_ptr<AwsClient> client);

  base::Result<std::vector<LoadBalancer>> DescribeLoadBalancers(
      const DescribeLoadBalancersRequest& request) override;
  base::Result<std::vector<Listener>> DescribeListeners(
      const std::string& load_balancer_arn) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
