#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "aws/client.h"
#include "aws/credentials.h"

namespace ecsync::aws {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

struct AssumeRoleRequest {
  std::string role_arn;
  std::string session_name;  // RoleSessionName, [\w+=,.@-]{2,64}
  std::string external_id;   // may be empty
  std::chrono::seconds duration{3600};
};

// STS over the AWS API (Query protocol). Thread-safe. The credentials returned are secret:
// never log them.
class StsClient {
 public:
  explicit StsClient(std::shared_ptr<AwsClient> client);

  base::Result<CallerIdentity> GetCallerIdentity();
  // Temporary credentials for `request.role_arn`, signed with the client's credentials.
  base::Result<Credentials> AssumeRole(const AssumeRoleRequest& request);
  // Temporary credentials for a web identity (OIDC) token; the request is not signed.
  base::Result<Credentials> AssumeRoleWithWebIdentity(const std::string& role_arn,
                                                      const std::string& session_name,
                                                      const std::string& token,
                                                      std::chrono::seconds duration);

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
