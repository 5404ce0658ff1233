#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/cloudformation.h"

namespace ecsync::aws {

// EC2 lookups over the AWS API (EC2 protocol). Thread-safe.
class Ec2Client final : public Ec2 {
 public:
  explicit Ec2Client(std::shared_ptr<AwsClient> client);

  base::Result<std::string> DefaultVpcId() override;
  base::Result<std::vector<std::string>> SubnetIds(const std::string& vpc_id) override;
  // In ec2_client_network.cc.
  base::Result<std::vector<RouteTable>> DescribeRouteTables(const std::string& vpc_id) override;
  base::Result<std::vector<SecurityGroup>> DescribeSecurityGroups(
      const std::vector<std::string>& ids, const std::vector<Ec2Filter>& filters) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
