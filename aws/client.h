#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/observer.h"
#include "aws/query.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "base/clock.h"
#include "base/env.h"
#include "base/rate_limiter.h"
#include "base/result.h"

namespace ecsync::aws {

// What the client needs to know about a service.
struct ServiceInfo {
  std::string service_id;       // the model's serviceId, for AWS_ENDPOINT_URL_<ID>
  std::string endpoint_prefix;  // host prefix of the default endpoint
  std::string signing_name;     // SigV4 service name
  std::string version;          // API version (Query: sent as Version=)
  Protocol protocol = Protocol::kQuery;
  std::string json_target_prefix;    // JSON 1.x: X-Amz-Target is "<prefix>.<Operation>"
  std::string json_version = "1.1";  // JSON protocol: "1.0" (DynamoDB) or "1.1"
};

extern const ServiceInfo kCloudFormationService;
extern const ServiceInfo kEc2Service;
extern const ServiceInfo kStsService;
extern const ServiceInfo kElbv2Service;
extern const ServiceInfo kEcsService;
extern const ServiceInfo kEfsService;
extern const ServiceInfo kS3Service;

// A successful Query/EC2 response: the whole document and the element holding the result
// (<ActionResult> for Query, the root for EC2).
struct QueryResponse {
  XmlDocument document;
  pugi::xml_node result;
  std::string request_id;
};

// One HTTP exchange of an operation, before signing.
struct AwsRequest {
  std::string endpoint;  // overrides Endpoint(service) when set (S3 virtual-hosted buckets)
  std::string method = "POST";
  std::string path = "/";  // appended to the endpoint's path; already percent-encoded
  std::string query;       // encoded, without '?'
  HeaderList headers;      // e.g. Content-Type, X-Amz-Target (Host and X-Amz-* are added)
  std::string body;
  bool sign = true;         // false: sent without credentials (AssumeRoleWithWebIdentity)
  bool s3_signing = false;  // S3 rules: path as is, X-Amz-Content-Sha256 signed
  // Checks a 2xx body; an error here counts as a failed attempt (retried when transient).
  std::function<base::Status(const HttpResponse&)> check_response;
};

struct AwsClientOptions {
  // Where credentials come from: `credentials_provider` when set, else the fixed
  // `credentials`.
  Credentials credentials;
  std::shared_ptr<CredentialsProvider> credentials_provider;
  std::string region;
  std::string endpoint_override;  // --endpoint-url; empty: see ResolveEndpoint
  base::EnvLookup env;            // for AWS_ENDPOINT_URL*; may be null
  std::shared_ptr<HttpClient> http;
  base::Clock* clock = nullptr;  // not owned; null: SystemClock
  // Retries (see RetryOptions): attempts per call, full-jitter backoff, shared budget.
  int max_attempts = 3;
  std::chrono::milliseconds base_backoff{1'000};
  std::chrono::milliseconds max_backoff{20'000};
  int retry_quota = 500;
  uint64_t jitter_seed = 0;                // 0: random
  std::shared_ptr<CallObserver> observer;  // may be null
  // The global AWS request rate; may be null (no limit). Every HTTP attempt, retries
  // included, first takes one token (blocking on the limiter's clock). Shared, so several
  // clients can draw from one budget.
  std::shared_ptr<base::RateLimiter> rate_limiter;
};

// Signs and sends calls in every protocol ecsync uses, with the SDKs' standard retry mode
// (see retry.h) and clock-skew correction. Thread-safe.
// Logs each call at debug level (service, operation, HTTP status, error code, attempts,
// duration) and reports it to the observer; never credentials, signatures or headers.
// Errors carry the kind from ErrorKindFor with the message "<Service> <Op>: <Code>: <Message>".
class AwsClient {
 public:
  explicit AwsClient(AwsClientOptions options);

  // Query (CloudFormation, STS, ELBv2) or EC2 protocol: POSTs the form `params`.
  // `sign` false sends it without credentials (STS AssumeRoleWithWebIdentity).
  base::Result<QueryResponse> Call(const ServiceInfo& service, const std::string& action,
                                   const QueryParams& params, bool sign = true);
  // JSON 1.0/1.1 (DynamoDB, ECS): POSTs `input` with X-Amz-Target; returns the decoded output.
  base::Result<nlohmann::json> CallJson(const ServiceInfo& service, const std::string& operation,
                                        const nlohmann::json& input);
  // Any protocol: one request with retries; the 2xx response.
  base::Result<HttpResponse> Send(const ServiceInfo& service, const std::string& operation,
                                  const AwsRequest& request);

  const std::string& region() const { return options_.region; }
  // The base URL calls to `service` go to.
  std::string Endpoint(const ServiceInfo& service) const;
  // Server time minus ours, learnt from a response rejected as skewed.
  std::chrono::milliseconds clock_skew() const {
    return std::chrono::milliseconds(skew_ms_.load());
  }
  RetryPolicy& retry_policy() { return retry_; }

 private:
  struct Attempt {
    base::Result<HttpResponse> response = base::InternalError("no attempt made");
    int http_status = 0;
    std::string error_code;
    RetryClass retry_class = RetryClass::kNone;
    bool timeout = false;  // a transport failure (costs more retry budget)
  };
  Attempt SendOnce(const ServiceInfo& service, const AwsRequest& request);
  base::Result<Credentials> CurrentCredentials();

  AwsClientOptions options_;
  base::Clock* clock_;
  RetryPolicy retry_;
  std::atomic<int64_t> skew_ms_{0};
};

}  // namespace ecsync::aws
