#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "aws/credentials.h"
#include "aws/http.h"
#include "base/clock.h"

namespace ecsync::aws {

// The EC2 instance metadata service, IMDSv2: a session token is fetched first (PUT
// /latest/api/token) and sent with every read; IMDSv1 is used only when the token call is
// answered 404/405 (an old or proxied endpoint). Meant to be given an HttpClient with short
// timeouts (1 s) so that it fails fast off EC2. Thread-safe.
class ImdsClient {
 public:
  // `endpoint`: AWS_EC2_METADATA_SERVICE_ENDPOINT or "http://169.254.169.254".
  ImdsClient(std::shared_ptr<HttpClient> http, std::string endpoint, base::Clock* clock,
             int attempts = 1);

  // The instance role's credentials (iam/security-credentials/<role>). kInvalid when the
  // instance has no role, kTransient when IMDS cannot be reached.
  base::Result<Credentials> RoleCredentials();
  // The instance's region (placement/region).
  base::Result<std::string> Region();

 private:
  base::Result<std::string> Read(const std::string& path);
  base::Result<std::string> Token();

  std::shared_ptr<HttpClient> http_;
  const std::string endpoint_;
  base::Clock* clock_;
  const int attempts_;
  std::mutex mu_;
  std::string token_;  // empty: none (or IMDSv1)
  bool v1_ = false;
  std::chrono::steady_clock::time_point token_expiry_;
};

// Reads the JSON credential document the ECS endpoint, IMDS and credential_process return:
// AccessKeyId, SecretAccessKey, Token or SessionToken, Expiration (ISO 8601, optional).
base::Result<Credentials> ParseCredentialJson(const std::string& body, const std::string& source);

}  // namespace ecsync::aws
