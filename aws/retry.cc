#include "aws/retry.h"

#include <algorithm>
#include <array>

namespace ecsync::aws {
namespace {

template <size_t N>
bool OneOf(std::string_view code, const std::array<std::string_view, N>& codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

bool IsThrottlingCode(std::string_view code) {
  static constexpr std::array<std::string_view, 14> kCodes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "EC2ThrottledException"};
  return OneOf(code, kCodes);
}

bool IsTransientCode(std::string_view code) {
  static constexpr std::array<std::string_view, 6> kCodes = {
      "RequestTimeout",  "RequestTimeoutException", "InternalError",
      "InternalFailure", "ServiceUnavailable",      "ServiceUnavailableException"};
  return OneOf(code, kCodes);
}

bool IsClockSkewCode(std::string_view code) {
  static constexpr std::array<std::string_view, 6> kCodes = {
      "RequestTimeTooSkewed",      "RequestExpired",        "RequestInTheFuture",
      "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure"};
  return OneOf(code, kCodes);
}

bool IsTransientStatus(int http_status) {
  return http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504;
}

RetryPolicy::RetryPolicy(RetryOptions options)
    : options_(options),
      tokens_(options_.quota_capacity),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {}

std::chrono::milliseconds RetryPolicy::Backoff(int retry) {
  int64_t cap = std::max<int64_t>(options_.base_backoff.count(), 0);
  const int64_t max = std::max<int64_t>(options_.max_backoff.count(), 0);
  for (int i = 1; i < retry && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_int_distribution<int64_t> dist(0, cap);
  return std::chrono::milliseconds(dist(rng_));
}

bool RetryPolicy::AcquireRetry(RetryClass retry_class, bool timeout, int* cost_taken) {
  // A skewed clock is our problem, not the service's: it does not spend the budget.
  const int cost = retry_class == RetryClass::kClockSkew ? 0
                   : timeout                             ? options_.timeout_cost
                                                         : options_.retry_cost;
  std::lock_guard<std::mutex> lock(mu_);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  *cost_taken += cost;
  return true;
}

void RetryPolicy::OnSuccess(int retry_cost_spent) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ =
      std::min(options_.quota_capacity, tokens_ + (retry_cost_spent > 0 ? retry_cost_spent : 1));
}

int RetryPolicy::available_tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_;
}

}  // namespace ecsync::aws
