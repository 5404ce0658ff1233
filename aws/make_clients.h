#pragma once

#include <memory>
#include <string>

#include "aws/client.h"
#include "aws/cloudformation.h"
#include "aws/codebuild.h"
#include "aws/dynamodb.h"
#include "aws/ecs.h"
#include "aws/efs.h"
#include "aws/elbv2.h"
#include "aws/http.h"
#include "aws/s3.h"
#include "aws/ssm.h"
#include "base/clock.h"
#include "base/env.h"
#include "base/rate_limiter.h"

namespace ecsync::aws {

struct AwsClientsOptions {
  base::EnvLookup env;            // required; base::EnvFromProcess() in main
  std::string endpoint_override;  // --endpoint-url
  std::string region_override;    // --region
  std::string profile;            // --profile
  std::string role_arn;           // assume this role for every call (see CredentialChainOptions)
  CurlOptions http;               // timeouts; ca_bundle defaults to AWS_CA_BUNDLE
  std::shared_ptr<HttpClient> http_client;    // null: a CurlHttpClient
  std::shared_ptr<HttpClient> metadata_http;  // IMDS/ECS endpoint; null: short-timeout curl
  base::Clock* clock = nullptr;               // null: SystemClock
  int max_attempts = 3;                       // AWS_MAX_ATTEMPTS overrides
  std::shared_ptr<CallObserver> observer;     // every call's outcome; may be null
  // Global AWS request rate, passed to the shared AwsClient (see AwsClientOptions); may be
  // null. Credential-chain calls (STS, IMDS) are not counted.
  std::shared_ptr<base::RateLimiter> rate_limiter;
};

// Every client shares one AwsClient (credentials, retry budget, connections).
struct AwsClients {
  std::shared_ptr<AwsClient> client;
  std::shared_ptr<CloudFormation> cloudformation;
  std::shared_ptr<Ec2> ec2;
  std::shared_ptr<Ecs> ecs;
  std::shared_ptr<S3> s3;
  std::shared_ptr<Elbv2> elbv2;
  std::shared_ptr<Efs> efs;
  std::shared_ptr<CodeBuild> codebuild;
  std::shared_ptr<Ssm> ssm;
  std::shared_ptr<DynamoDb> dynamodb;
};

// Resolves the region (ResolveRegionWithMetadata), the credential chain (MakeCredentialChain,
// fetched once here so that a missing configuration fails now) and builds the clients.
// kInvalid with what to set when no credentials or region are found.
base::Result<AwsClients> MakeAwsClients(const AwsClientsOptions& options);

}  // namespace ecsync::aws
