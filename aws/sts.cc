#include "aws/sts.h"

#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

base::Result<Credentials> ParseCredentials(pugi::xml_node result, const std::string& source) {
  pugi::xml_node node = Child(result, "Credentials");
  Credentials credentials;
  credentials.access_key_id = ChildText(node, "AccessKeyId");
  credentials.secret_access_key = ChildText(node, "SecretAccessKey");
  credentials.session_token = ChildText(node, "SessionToken");
  credentials.source = source;
  if (auto expiration = ParseIso8601(ChildText(node, "Expiration"))) {
    credentials.expiration = *expiration;
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return base::TransientError("STS returned no credentials for " + source);
  }
  return credentials;
}

}  // namespace

StsClient::StsClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<CallerIdentity> StsClient::GetCallerIdentity() {
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response,
                          client_->Call(kStsService, "GetCallerIdentity", {}));
  return CallerIdentity{ChildText(response.result, "Account"), ChildText(response.result, "Arn"),
                        ChildText(response.result, "UserId")};
}

base::Result<Credentials> StsClient::AssumeRole(const AssumeRoleRequest& request) {
  QueryParams params{{"RoleArn", request.role_arn},
                     {"RoleSessionName", request.session_name},
                     {"DurationSeconds", std::to_string(request.duration.count())}};
  if (!request.external_id.empty()) params.emplace_back("ExternalId", request.external_id);
  ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, client_->Call(kStsService, "AssumeRole", params));
  return ParseCredentials(response.result, "role " + request.role_arn);
}

base::Result<Credentials> StsClient::AssumeRoleWithWebIdentity(const std::string& role_arn,
                                                               const std::string& session_name,
                                                               const std::string& token,
                                                               std::chrono::seconds duration) {
  QueryParams params{{"RoleArn", role_arn},
                     {"RoleSessionName", session_name},
                     {"WebIdentityToken", token},
                     {"DurationSeconds", std::to_string(duration.count())}};
  ECSYNC_ASSIGN_OR_RETURN(
      QueryResponse response,
      client_->Call(kStsService, "AssumeRoleWithWebIdentity", params, /*sign=*/false));
  return ParseCredentials(response.result, "web identity role " + role_arn);
}

}  // namespace ecsync::aws
