#include "aws/imds.h"

#include <nlohmann/json.hpp>

#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

constexpr int kTokenTtlSeconds = 21'600;
constexpr char kCredentialsPath[] = "/latest/meta-data/iam/security-credentials/";

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string WithoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

base::Result<Credentials> ParseCredentialJson(const std::string& body, const std::string& source) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return base::InvalidError(source + " returned malformed JSON");
  std::string code = Str(doc, "Code");
  if (!code.empty() && code != "Success") {
    return base::InvalidError(source + " returned " + code + ": " + Str(doc, "Message"));
  }
  Credentials credentials;
  credentials.access_key_id = Str(doc, "AccessKeyId");
  credentials.secret_access_key = Str(doc, "SecretAccessKey");
  credentials.session_token = Str(doc, "Token");
  if (credentials.session_token.empty()) credentials.session_token = Str(doc, "SessionToken");
  credentials.source = source;
  std::string expiration = Str(doc, "Expiration");
  if (!expiration.empty()) {
    auto parsed = ParseIso8601(expiration);
    if (!parsed) return base::InvalidError(source + " returned a malformed Expiration");
    credentials.expiration = *parsed;
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return base::InvalidError(source + " returned no AccessKeyId/SecretAccessKey");
  }
  return credentials;
}

ImdsClient::ImdsClient(std::shared_ptr<HttpClient> http, std::string endpoint, base::Clock* clock,
                       int attempts)
    : http_(std::move(http)),
      endpoint_(WithoutTrailingSlash(std::move(endpoint))),
      clock_(clock != nullptr ? clock : base::SystemClock::Get()),
      attempts_(std::max(attempts, 1)) {}

base::Result<std::string> ImdsClient::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (v1_) return std::string();
  if (!token_.empty() && clock_->SteadyNow() < token_expiry_) return token_;
  HttpRequest request;
  request.method = "PUT";
  request.url = endpoint_ + "/latest/api/token";
  request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(kTokenTtlSeconds)}};
  ECSYNC_ASSIGN_OR_RETURN(HttpResponse response, http_->Send(request));
  if (response.status == 404 || response.status == 405) {
    v1_ = true;
    return std::string();
  }
  if (response.status != 200) {
    return base::InvalidError("EC2 instance metadata refused a session token (HTTP " +
                              std::to_string(response.status) + ")");
  }
  token_ = response.body;
  // Refresh a minute early so a token never expires between check and use.
  token_expiry_ = clock_->SteadyNow() + std::chrono::seconds(kTokenTtlSeconds - 60);
  return token_;
}

base::Result<std::string> ImdsClient::Read(const std::string& path) {
  base::Status last = base::TransientError("no attempt");
  for (int attempt = 0; attempt < attempts_; ++attempt) {
    auto token = Token();
    if (!token.ok()) {
      last = token.status();
      continue;
    }
    HttpRequest request;
    request.url = endpoint_ + path;
    if (!token->empty()) request.headers = {{"X-aws-ec2-metadata-token", *token}};
    auto response = http_->Send(request);
    if (!response.ok()) {
      last = response.status();
      continue;
    }
    if (response->status == 200) return response->body;
    if (response->status == 401) {  // token expired or revoked: fetch a new one
      std::lock_guard<std::mutex> lock(mu_);
      token_.clear();
      last = base::TransientError("EC2 instance metadata rejected the session token");
      continue;
    }
    if (response->status == 404) return base::NotFoundError("EC2 instance metadata has no " + path);
    last = base::TransientError("EC2 instance metadata answered HTTP " +
                                std::to_string(response->status) + " for " + path);
  }
  return last.WithContext("EC2 instance metadata (" + endpoint_ + ")");
}

base::Result<Credentials> ImdsClient::RoleCredentials() {
  auto roles = Read(kCredentialsPath);
  if (!roles.ok()) {
    if (roles.status().kind() == base::ErrorKind::kNotFound) {
      return base::InvalidError("this EC2 instance has no IAM role (instance profile)");
    }
    return roles.status();
  }
  std::string role = roles->substr(0, roles->find('\n'));
  if (role.empty())
    return base::InvalidError("this EC2 instance has no IAM role (instance profile)");
  ECSYNC_ASSIGN_OR_RETURN(std::string body, Read(kCredentialsPath + role));
  return ParseCredentialJson(body, "EC2 instance role " + role);
}

base::Result<std::string> ImdsClient::Region() {
  return Read("/latest/meta-data/placement/region");
}

}  // namespace ecsync::aws
