#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "aws/credentials.h"
#include "aws/http.h"
#include "base/clock.h"
#include "base/env.h"

namespace ecsync::aws {

struct CredentialChainOptions {
  base::EnvLookup env;  // required
  std::string profile;  // --profile; when set, only that profile is used
  // When set, the chain's credentials are only used to assume this role (STS AssumeRole,
  // refreshed before expiry), and every call is made as the role.
  std::string assume_role_arn;
  // For the STS calls of assume-role and web identity: region (empty: us-east-1), endpoint
  // (--endpoint-url; else AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL apply) and transport.
  std::string region;
  std::string endpoint_override;
  std::shared_ptr<HttpClient> http;  // STS and the ECS container endpoint; required
  // IMDS; null: libcurl with AWS_METADATA_SERVICE_TIMEOUT (default 1 s) timeouts.
  std::shared_ptr<HttpClient> metadata_http;
  base::Clock* clock = nullptr;  // null: SystemClock
  std::chrono::seconds refresh_before{300};
};

// The SDKs' default chain; the first source that is configured is used (its errors are
// reported, not skipped):
//   1. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN] (skipped with --profile);
//   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]
//      (skipped with --profile);
//   3. the profile (--profile, AWS_PROFILE, "default") in the credentials and config files:
//      role_arn with source_profile, credential_source (Environment, Ec2InstanceMetadata,
//      EcsContainer) or web_identity_token_file, plus external_id, role_session_name,
//      duration_seconds; credential_process; static keys;
//   4. the ECS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   5. EC2 instance metadata (IMDSv2) unless AWS_EC2_METADATA_DISABLED=true.
// Temporary credentials are cached and refreshed before they expire. The result is
// thread-safe. Nothing is fetched until the first Get(). kInvalid for a malformed
// configuration (a cycle of source_profile, an unknown credential_source, SSO).
base::Result<std::shared_ptr<CredentialsProvider>> MakeCredentialChain(
    const CredentialChainOptions& options);

// The region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, then (unless
// AWS_EC2_METADATA_DISABLED=true) EC2 instance metadata. kInvalid when none is found.
base::Result<std::string> ResolveRegionWithMetadata(const CredentialChainOptions& options);

// Runs a credential_process command (through /bin/sh -c) and reads its JSON output
// (Version 1). Its stdout is never put in an error message.
base::Result<Credentials> RunCredentialProcess(const std::string& command);

}  // namespace ecsync::aws
