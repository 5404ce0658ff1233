#include "aws/client.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "aws/endpoints.h"
#include "aws/sigv4.h"

namespace ecsync::aws {

const ServiceInfo kCloudFormationService{"CloudFormation", "cloudformation", "cloudformation",
                                         "2010-05-15", Protocol::kQuery};
const ServiceInfo kEc2Service{"EC2", "ec2", "ec2", "2016-11-15", Protocol::kEc2};

namespace {

bool Retryable(const base::Status& status) {
  return status.kind() == base::ErrorKind::kThrottled ||
         status.kind() == base::ErrorKind::kTransient;
}

}  // namespace

AwsClient::AwsClient(AwsClientOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : base::SystemClock::Get()),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

std::string AwsClient::Endpoint(const ServiceInfo& service) const {
  return ResolveEndpoint(service.service_id, service.endpoint_prefix, options_.region,
                         options_.endpoint_override, options_.env);
}

std::chrono::milliseconds AwsClient::Backoff(int attempt) {
  int64_t cap = options_.base_backoff.count();
  for (int i = 1; i < attempt && cap < options_.max_backoff.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, options_.max_backoff.count());
  std::lock_guard<std::mutex> lock(rng_mu_);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap, 0));
  return std::chrono::milliseconds(dist(rng_));
}

base::Result<QueryResponse> AwsClient::Call(const ServiceInfo& service, const std::string& action,
                                            const QueryParams& params) {
  const std::string body = FormEncode(action, service.version, params);
  const auto start = clock_->SteadyNow();
  base::Result<QueryResponse> result = base::InternalError("no attempt made");
  int attempt = 1;
  for (;; ++attempt) {
    result = CallOnce(service, action, body);
    if (result.ok() || !Retryable(result.status()) || attempt >= options_.max_attempts) break;
    std::chrono::milliseconds delay = Backoff(attempt);
    spdlog::debug("aws {} {}: attempt {} failed ({}), retrying in {} ms", service.service_id,
                  action, attempt, base::ErrorKindName(result.status().kind()), delay.count());
    clock_->SleepFor(delay);
  }
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->SteadyNow() - start);
  spdlog::debug("aws {} {}: {} after {} attempt(s) in {} ms", service.service_id, action,
                result.ok() ? "ok" : base::ErrorKindName(result.status().kind()), attempt,
                elapsed.count());
  if (!result.ok()) return result.status().WithContext(service.service_id + " " + action);
  return result;
}

base::Result<QueryResponse> AwsClient::CallOnce(const ServiceInfo& service,
                                                const std::string& action,
                                                const std::string& body) {
  const std::string endpoint = Endpoint(service);
  ECSYNC_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(endpoint));
  std::string path = url.path;
  if (path.empty() || path.back() != '/') path += "/";

  SigningRequest to_sign;
  to_sign.method = "POST";
  to_sign.path = path;
  to_sign.query = url.query;
  to_sign.headers = {{"Host", url.host},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  to_sign.body = body;
  SigningParams params;
  params.region = options_.region;
  params.service = service.signing_name;
  params.time = clock_->Now();
  SigningResult signed_request = SignRequest(to_sign, options_.credentials, params);

  HttpRequest request;
  request.method = "POST";
  request.url = url.scheme + "://" + url.host + path + (url.query.empty() ? "" : "?" + url.query);
  request.headers = to_sign.headers;
  for (auto& header : signed_request.headers) request.headers.push_back(std::move(header));
  request.headers.emplace_back("User-Agent", "ecsync/0.1");
  request.body = body;

  ECSYNC_ASSIGN_OR_RETURN(HttpResponse response, options_.http->Send(request));
  if (response.status < 200 || response.status >= 300) {
    return ErrorStatusFromResponse(response.status, response.body);
  }
  auto document = XmlDocument::Parse(response.body);
  if (!document.ok()) {
    // A proxy or load balancer answering 2xx with garbage: worth another try.
    return base::TransientError(document.status().message());
  }
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

}  // namespace ecsync::aws
