#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/cloudformation.h"
// MakeAwsClients and Ec2Client used to live here; callers that include this header for them
// keep working.
#include "aws/ec2_client.h"
#include "aws/make_clients.h"

namespace ecsync::aws {

// CloudFormation over the AWS API (Query protocol). Thread-safe.
class CloudFormationClient final : public CloudFormation {
 public:
  explicit CloudFormationClient(std::shared_ptr<AwsClient> client);

  base::Result<Stack> DescribeStack(const std::string& name) override;
  base::Result<std::vector<Stack>> DescribeStacks() override;
  base::Result<std::string> CreateStack(const CreateStackRequest& request) override;
  base::Status UpdateStack(const UpdateStackRequest& request) override;
  base::Status DeleteStack(const std::string& name,
                           const std::string& client_request_token) override;
  base::Result<std::vector<StackEvent>> DescribeStackEvents(const std::string& name) override;

  base::Result<std::string> CreateChangeSet(const CreateChangeSetRequest& request) override;
  base::Result<ChangeSet> DescribeChangeSet(const std::string& change_set,
                                            const std::string& stack_name) override;
  base::Status ExecuteChangeSet(const std::string& change_set, const std::string& stack_name,
                                const std::string& client_request_token) override;
  base::Status DeleteChangeSet(const std::string& change_set,
                               const std::string& stack_name) override;
  base::Status ContinueUpdateRollback(const std::string& name,
                                      const std::vector<std::string>& resources_to_skip,
                                      const std::string& client_request_token) override;
  base::Status CancelUpdateStack(const std::string& name,
                                 const std::string& client_request_token) override;
  base::Result<std::vector<StackResource>> DescribeStackResources(const std::string& name) override;
  base::Result<std::string> GetTemplate(const std::string& name) override;
  base::Result<TemplateValidation> ValidateTemplate(const std::string& body_or_url) override;
  base::Result<std::string> DetectStackDrift(const std::string& name) override;
  base::Result<DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& detection_id) override;
  base::Result<std::vector<ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override;
  base::Status UpdateTerminationProtection(const std::string& name, bool enable) override;

 private:
  // One CloudFormation call (retried as AwsClient does).
  base::Result<QueryResponse> Call(const std::string& action, const QueryParams& params);
  // Every page of a paginated call (ForEachQueryPage with NextToken).
  base::Status Pages(const std::string& action, const QueryParams& params,
                     const std::function<void(pugi::xml_node result)>& on_page);

  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
