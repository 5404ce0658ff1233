#pragma once

#include <memory>

#include "aws/client.h"
#include "aws/ecs.h"

namespace ecsync::aws {

// Ecs over the AWS API (JSON 1.1, X-Amz-Target AmazonEC2ContainerServiceV20141113.*).
// Thread-safe.
class EcsClient final : public Ecs {
 public:
  explicit EcsClient(std::shared_ptr<AwsClient> client);

  base::Result<std::vector<EcsCluster>> DescribeClusters(
      const std::vector<std::string>& clusters) override;
  base::Result<EcsServices> DescribeServices(const std::string& cluster,
                                             const std::vector<std::string>& services) override;
  base::Result<std::vector<std::string>> ListTasks(const std::string& cluster,
                                                   const std::string& service,
                                                   const std::string& desired_status) override;
  base::Result<std::vector<EcsTask>> DescribeTasks(const std::string& cluster,
                                                   const std::vector<std::string>& tasks) override;
  base::Result<std::vector<EcsServiceDeploymentBrief>> ListServiceDeployments(
      const std::string& cluster, const std::string& service) override;
  base::Result<EcsServiceDeployments> DescribeServiceDeployments(
      const std::vector<std::string>& arns) override;
  base::Status ContinueServiceDeployment(const std::string& arn, const std::string& hook_id,
                                         bool rollback) override;
  base::Status StopServiceDeployment(const std::string& arn, bool rollback) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
