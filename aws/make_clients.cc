#include "aws/make_clients.h"

#include "aws/cloudformation_client.h"
#include "aws/credential_chain.h"
#include "aws/ec2_client.h"
#include "aws/ecs_client.h"

namespace ecsync::aws {

base::Result<AwsClients> MakeAwsClients(const AwsClientsOptions& options) {
  std::shared_ptr<HttpClient> http = options.http_client;
  if (!http) {
    CurlOptions curl = options.http;
    if (curl.ca_bundle.empty()) {
      curl.ca_bundle = base::NonEmptyEnv(options.env, "AWS_CA_BUNDLE").value_or("");
    }
    http = std::make_shared<CurlHttpClient>(curl);
  }
  CredentialChainOptions chain;
  chain.env = options.env;
  chain.profile = options.profile;
  chain.assume_role_arn = options.role_arn;
  chain.endpoint_override = options.endpoint_override;
  chain.http = http;
  chain.metadata_http = options.metadata_http;
  chain.clock = options.clock;
  std::string region = options.region_override;
  if (region.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(region, ResolveRegionWithMetadata(chain));
  }
  chain.region = region;
  ECSYNC_ASSIGN_OR_RETURN(std::shared_ptr<CredentialsProvider> credentials,
                          MakeCredentialChain(chain));
  // Fail now, with the chain's guidance, rather than on the first call.
  ECSYNC_RETURN_IF_ERROR(credentials->Get().status());

  AwsClientOptions client_options;
  client_options.credentials_provider = std::move(credentials);
  client_options.region = region;
  client_options.endpoint_override = options.endpoint_override;
  client_options.env = options.env;
  client_options.clock = options.clock;
  client_options.max_attempts = options.max_attempts;
  if (auto attempts = base::NonEmptyEnv(options.env, "AWS_MAX_ATTEMPTS")) {
    int parsed = std::atoi(attempts->c_str());
    if (parsed < 1) {
      return base::InvalidError("AWS_MAX_ATTEMPTS must be a positive integer, not '" + *attempts +
                                "'");
    }
    client_options.max_attempts = parsed;
  }
  client_options.observer = options.observer;
  client_options.rate_limiter = options.rate_limiter;
  client_options.http = http;
  AwsClients clients;
  clients.client = std::make_shared<AwsClient>(std::move(client_options));
  clients.cloudformation = std::make_shared<CloudFormationClient>(clients.client);
  clients.ec2 = std::make_shared<Ec2Client>(clients.client);
  clients.ecs = std::make_shared<EcsClient>(clients.client);
  clients.s3 = std::make_shared<S3>(clients.client);
  clients.elbv2 = std::make_shared<Elbv2>(clients.client);
  clients.efs = std::make_shared<Efs>(clients.client);
  clients.codebuild = std::make_shared<CodeBuildClient>(clients.client);
  clients.dynamodb = std::make_shared<DynamoDbClient>(clients.client);
  clients.ssm = std::make_shared<Ssm>(clients.client);
  return clients;
}

}  // namespace ecsync::aws
