#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <pugixml.hpp>

#include "aws/credentials.h"
#include "aws/env.h"
#include "aws/http.h"
#include "aws/query.h"
#include "base/clock.h"
#include "base/result.h"

namespace ecsync::aws {

// What the client needs to know about a service.
struct ServiceInfo {
  std::string service_id;       // the model's serviceId, for AWS_ENDPOINT_URL_<ID>
  std::string endpoint_prefix;  // host prefix of the default endpoint
  std::string signing_name;     // SigV4 service name
  std::string version;          // API version sent as Version=
  Protocol protocol = Protocol::kQuery;
};

extern const ServiceInfo kCloudFormationService;
extern const ServiceInfo kEc2Service;

// A successful response: the whole document and the element holding the result
// (<ActionResult> for Query, the root for EC2).
struct QueryResponse {
  XmlDocument document;
  pugi::xml_node result;
  std::string request_id;
};

struct AwsClientOptions {
  Credentials credentials;
  std::string region;
  std::string endpoint_override;  // --endpoint-url; empty: see ResolveEndpoint
  EnvLookup env;                  // for AWS_ENDPOINT_URL*; may be null
  std::shared_ptr<HttpClient> http;
  base::Clock* clock = nullptr;  // not owned; null: SystemClock
  // Attempts per call on kThrottled/kTransient, with full-jitter exponential backoff:
  // sleep uniform(0, min(max_backoff, base_backoff * 2^(attempt-1))).
  int max_attempts = 3;
  std::chrono::milliseconds base_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  uint64_t jitter_seed = 0;  // 0: random
};

// Signs and sends Query/EC2-protocol calls with retries. Thread-safe.
// Logs each call at debug level (service, action, outcome, attempts, duration), never
// credentials, signatures or headers.
class AwsClient {
 public:
  explicit AwsClient(AwsClientOptions options);

  // Calls `action` with `params`. Errors carry the kind from ErrorKindFor with the message
  // "<Service> <Action>: <Code>: <Message>".
  base::Result<QueryResponse> Call(const ServiceInfo& service, const std::string& action,
                                   const QueryParams& params);

  const std::string& region() const { return options_.region; }
  // The base URL calls to `service` go to.
  std::string Endpoint(const ServiceInfo& service) const;

 private:
  base::Result<QueryResponse> CallOnce(const ServiceInfo& service, const std::string& action,
                                       const std::string& body);
  std::chrono::milliseconds Backoff(int attempt);

  AwsClientOptions options_;
  base::Clock* clock_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace ecsync::aws
