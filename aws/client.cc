#include "aws/client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "aws/endpoints.h"
#include "aws/json_protocol.h"
#include "aws/timestamp.h"

namespace ecsync::aws {

const ServiceInfo kCloudFormationService{"CloudFormation", "cloudformation", "cloudformation",
                                         "2010-05-15",     Protocol::kQuery, ""};
const ServiceInfo kEc2Service{"EC2", "ec2", "ec2", "2016-11-15", Protocol::kEc2, ""};
const ServiceInfo kStsService{"STS", "sts", "sts", "2011-06-15", Protocol::kQuery, ""};
const ServiceInfo kElbv2Service{"Elastic Load Balancing v2",
                                "elasticloadbalancing",
                                "elasticloadbalancing",
                                "2015-12-01",
                                Protocol::kQuery,
                                ""};
const ServiceInfo kEcsService{"ECS",        "ecs",           "ecs",
                              "2014-11-13", Protocol::kJson, "AmazonEC2ContainerServiceV20141113"};
const ServiceInfo kEfsService{"EFS",        "elasticfilesystem", "elasticfilesystem",
                              "2015-02-01", Protocol::kRestJson, ""};
const ServiceInfo kS3Service{"S3", "s3", "s3", "2006-03-01", Protocol::kRestXml, ""};

namespace {

// AWS rejects requests signed more than 5 minutes off; correct when the server is 4 off.
constexpr std::chrono::minutes kSkewThreshold{4};

std::optional<AwsError> ParseError(Protocol protocol, const HttpResponse& response) {
  switch (protocol) {
    case Protocol::kJson:
    case Protocol::kRestJson:
      return ParseJsonError(response);
    case Protocol::kRestXml:
      return ParseRestXmlError(response);
    case Protocol::kQuery:
    case Protocol::kEc2:
      break;
  }
  return ParseAwsError(response.body);
}

base::Status ErrorStatus(int http_status, const std::optional<AwsError>& error,
                         std::string_view body) {
  if (error) {
    return base::Status(ErrorKindFor(http_status, error->code, error->message),
                        error->message.empty() ? error->code : error->code + ": " + error->message);
  }
  return ErrorStatusFromResponse(http_status, body);
}

}  // namespace

AwsClient::AwsClient(AwsClientOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : base::SystemClock::Get()),
      retry_(RetryOptions{std::max(options_.max_attempts, 1), options_.base_backoff,
                          options_.max_backoff, options_.retry_quota, 5, 10,
                          options_.jitter_seed}) {}

std::string AwsClient::Endpoint(const ServiceInfo& service) const {
  return ResolveEndpoint(service.service_id, service.endpoint_prefix, options_.region,
                         options_.endpoint_override, options_.env);
}

base::Result<Credentials> AwsClient::CurrentCredentials() {
  if (options_.credentials_provider) return options_.credentials_provider->Get();
  return options_.credentials;
}

base::Result<QueryResponse> AwsClient::Call(const ServiceInfo& service, const std::string& action,
                                            const QueryParams& params, bool sign) {
  AwsRequest request;
  request.sign = sign;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = FormEncode(action, service.version, params);
  std::optional<XmlDocument> document;
  request.check_response = [&document](const HttpResponse& response) {
    auto parsed = XmlDocument::Parse(response.body);
    // A proxy or load balancer answering 2xx with garbage: worth another try.
    if (!parsed.ok()) return base::TransientError(parsed.status().message());
    document = *parsed;
    return base::Status::Ok();
  };
  ECSYNC_RETURN_IF_ERROR(Send(service, action, request).status());
  QueryResponse out{*document, {}, {}};
  pugi::xml_node root = out.document.root();
  if (service.protocol == Protocol::kQuery) {
    out.result = Child(root, action + "Result");
    out.request_id = ChildText(Child(root, "ResponseMetadata"), "RequestId");
    if (!out.result) out.result = root;  // actions without output
  } else {
    out.result = root;
    out.request_id = ChildText(root, "requestId");
  }
  return out;
}

base::Result<nlohmann::json> AwsClient::CallJson(const ServiceInfo& service,
                                                 const std::string& operation,
                                                 const nlohmann::json& input) {
  AwsRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-" + service.json_version},
                     {"X-Amz-Target", service.json_target_prefix + "." + operation}};
  request.body = input.is_null() ? "{}" : input.dump();
  nlohmann::json output;
  request.check_response = [&output](const HttpResponse& response) {
    if (response.body.empty()) {
      output = nlohmann::json::object();
      return base::Status::Ok();
    }
    output = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (output.is_discarded()) return base::TransientError("malformed JSON in AWS response");
    return base::Status::Ok();
  };
  ECSYNC_RETURN_IF_ERROR(Send(service, operation, request).status());
  return output;
}

AwsClient::Attempt AwsClient::SendOnce(const ServiceInfo& service, const AwsRequest& request) {
  Attempt attempt;
  auto url = ParseUrl(request.endpoint.empty() ? Endpoint(service) : request.endpoint);
  if (!url.ok()) {
    attempt.response = url.status();
    return attempt;
  }
  std::string path = url->path;
  if (!path.empty() && path.back() == '/') path.pop_back();
  path += request.path.empty() ? "/" : request.path;
  std::string query = url->query;
  if (!request.query.empty()) query += (query.empty() ? "" : "&") + request.query;

  HttpRequest http;
  http.method = request.method;
  http.url = url->scheme + "://" + url->host + path + (query.empty() ? "" : "?" + query);
  http.headers = {{"Host", url->host}};
  for (const auto& header : request.headers) http.headers.push_back(header);
  http.body = request.body;

  if (request.sign) {
    auto credentials = CurrentCredentials();
    if (!credentials.ok()) {
      attempt.response = credentials.status();
      return attempt;
    }
    SigningRequest to_sign{http.method, path, query, http.headers, http.body};
    SigningParams params;
    params.region = options_.region;
    params.service = service.signing_name;
    params.time = clock_->Now() + std::chrono::milliseconds(skew_ms_.load());
    if (request.s3_signing) {
      params.normalize_path = false;
      params.double_encode_path = false;
      params.sign_body = true;
    }
    SigningResult signed_request = SignRequest(to_sign, *credentials, params);
    for (auto& header : signed_request.headers) http.headers.push_back(std::move(header));
  }
  http.headers.emplace_back("User-Agent", "ecsync/0.1");

  auto response = options_.http->Send(http);
  if (!response.ok()) {
    attempt.timeout = response.status().kind() == base::ErrorKind::kTransient;
    attempt.retry_class = attempt.timeout ? RetryClass::kTransient : RetryClass::kNone;
    attempt.response = response.status();
    return attempt;
  }
  attempt.http_status = response->status;
  if (response->status >= 200 && response->status < 300) {
    if (request.check_response) {
      base::Status checked = request.check_response(*response);
      if (!checked.ok()) {
        attempt.retry_class = checked.kind() == base::ErrorKind::kTransient ? RetryClass::kTransient
                                                                            : RetryClass::kNone;
        attempt.response = checked;
        return attempt;
      }
    }
    attempt.response = std::move(response);
    return attempt;
  }

  std::optional<AwsError> error = ParseError(service.protocol, *response);
  attempt.error_code = error ? error->code : "";
  if (IsThrottlingCode(attempt.error_code) || response->status == 429) {
    attempt.retry_class = RetryClass::kThrottle;
  } else if (IsTransientCode(attempt.error_code) || IsTransientStatus(response->status)) {
    attempt.retry_class = RetryClass::kTransient;
  } else if (IsClockSkewCode(attempt.error_code)) {
    auto server_time = ParseHttpDate(response->Header("Date"));
    if (server_time) {
      auto local = clock_->Now();
      auto skew = std::chrono::duration_cast<std::chrono::milliseconds>(*server_time - local);
      auto off = skew - std::chrono::milliseconds(skew_ms_.load());
      if (off > kSkewThreshold || off < -kSkewThreshold) {
        skew_ms_.store(skew.count());
        attempt.retry_class = RetryClass::kClockSkew;
      }
    }
  }
  attempt.response = ErrorStatus(response->status, error, response->body);
  return attempt;
}

base::Result<HttpResponse> AwsClient::Send(const ServiceInfo& service, const std::string& operation,
                                           const AwsRequest& request) {
  const auto start = clock_->SteadyNow();
  int attempts = 0;
  int retry_cost = 0;
  bool budget_exhausted = false;
  Attempt attempt;
  for (;;) {
    ++attempts;
    if (options_.rate_limiter) options_.rate_limiter->Acquire();
    attempt = SendOnce(service, request);
    if (attempt.response.ok()) {
      retry_.OnSuccess(retry_cost);
      break;
    }
    if (attempt.retry_class == RetryClass::kNone || attempts >= retry_.max_attempts()) break;
    if (!retry_.AcquireRetry(attempt.retry_class, attempt.timeout, &retry_cost)) {
      budget_exhausted = true;
      break;
    }
    const std::chrono::milliseconds delay = attempt.retry_class == RetryClass::kClockSkew
                                                ? std::chrono::milliseconds(0)
                                                : retry_.Backoff(attempts);
    spdlog::debug("aws {} {}: attempt {} failed (HTTP {}, {}), retrying in {} ms",
                  service.service_id, operation, attempts, attempt.http_status,
                  attempt.error_code.empty() ? base::ErrorKindName(attempt.response.status().kind())
                                             : attempt.error_code,
                  delay.count());
    clock_->SleepFor(delay);
  }
  CallRecord record;
  record.service = service.service_id;
  record.operation = operation;
  record.http_status = attempt.http_status;
  record.error_code = attempt.error_code;
  record.ok = attempt.response.ok();
  if (!record.ok) record.error_kind = attempt.response.status().kind();
  record.attempts = attempts;
  record.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->SteadyNow() - start);
  spdlog::debug("aws {} {}: {} (HTTP {}{}{}) after {} attempt(s) in {} ms", service.service_id,
                operation, record.ok ? "ok" : base::ErrorKindName(record.error_kind),
                record.http_status, record.error_code.empty() ? "" : ", ", record.error_code,
                attempts, record.duration.count());
  if (options_.observer) options_.observer->OnCall(record);
  if (record.ok) return std::move(attempt.response);
  base::Status status = attempt.response.status().WithContext(service.service_id + " " + operation);
  if (attempts > 1 || budget_exhausted) {
    status =
        base::Status(status.kind(), status.message() + " (gave up after " +
                                        std::to_string(attempts) + " attempts" +
                                        (budget_exhausted ? "; retry budget exhausted" : "") + ")");
  }
  return status;
}

}  // namespace ecsync::aws
