#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/cloudformation.h"
#include "aws/env.h"
#include "aws/http.h"
#include "base/clock.h"

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

 private:
  std::shared_ptr<AwsClient> client_;
};

// EC2 lookups over the AWS API (EC2 protocol). Thread-safe.
class Ec2Client final : public Ec2 {
 public:
  explicit Ec2Client(std::shared_ptr<AwsClient> client);

  base::Result<std::string> DefaultVpcId() override;
  base::Result<std::vector<std::string>> SubnetIds(const std::string& vpc_id) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

struct AwsClientsOptions {
  EnvLookup env;                  // required; EnvFromProcess() in main
  std::string endpoint_override;  // --endpoint-url
  std::string region_override;    // --region
  std::string profile;            // --profile
  CurlOptions http;               // timeouts; ca_bundle defaults to AWS_CA_BUNDLE
  std::shared_ptr<HttpClient> http_client;  // null: a CurlHttpClient
  base::Clock* clock = nullptr;             // null: SystemClock
  int max_attempts = 3;
};

struct AwsClients {
  std::shared_ptr<AwsClient> client;
  std::shared_ptr<CloudFormation> cloudformation;
  std::shared_ptr<Ec2> ec2;
};

// Resolves credentials, region and endpoints (see credentials.h, endpoints.h) and builds
// the clients. kInvalid with what to set when no credentials or region are found.
base::Result<AwsClients> MakeAwsClients(const AwsClientsOptions& options);

}  // namespace ecsync::aws
