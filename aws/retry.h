#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace ecsync::aws {

// How a failed attempt is classified, in the order the SDKs' standard retry mode checks.
enum class RetryClass {
  kNone,       // not retryable: validation, access denied, not found, ...
  kThrottle,   // a throttling code or HTTP 429
  kTransient,  // HTTP 500/502/503/504, RequestTimeout*, connection errors and timeouts
  kClockSkew,  // rejected as skewed (and the server's Date shows we are off): re-sign, retry
};

// The SDKs' throttling error codes: Throttling, ThrottlingException, ThrottledException,
// RequestThrottledException, TooManyRequestsException, ProvisionedThroughputExceededException,
// TransactionInProgressException, RequestLimitExceeded, BandwidthLimitExceeded,
// LimitExceededException, RequestThrottled, SlowDown, PriorRequestNotComplete,
// EC2ThrottledException.
bool IsThrottlingCode(std::string_view code);
// RequestTimeout, RequestTimeoutException, InternalError, InternalFailure,
// ServiceUnavailable(Exception).
bool IsTransientCode(std::string_view code);
// RequestTimeTooSkewed, RequestExpired, RequestInTheFuture, InvalidSignatureException,
// SignatureDoesNotMatch, AuthFailure: retried only when the server's clock differs from ours.
bool IsClockSkewCode(std::string_view code);
// HTTP 500, 502, 503, 504.
bool IsTransientStatus(int http_status);

struct RetryOptions {
  // Attempts per call, the first included (the SDKs' max_attempts; AWS_MAX_ATTEMPTS).
  int max_attempts = 3;
  // Full jitter: before retry n (1-based) sleep uniform(0, min(max_backoff, base * 2^(n-1))).
  std::chrono::milliseconds base_backoff{1'000};
  std::chrono::milliseconds max_backoff{20'000};
  // The retry budget shared by every call of one client (a token bucket): a retry costs
  // retry_cost tokens (timeout_cost after a timeout or connection error); a call that
  // succeeds on its first try returns 1 token, one that succeeds after retries returns what
  // its retries cost. With the bucket empty, failures are returned instead of retried.
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_cost = 10;
  uint64_t jitter_seed = 0;  // 0: random
};

// Backoff and the shared retry budget. Thread-safe.
class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options);

  int max_attempts() const { return options_.max_attempts; }
  // The delay before retry `retry` (1 = the first retry).
  std::chrono::milliseconds Backoff(int retry);
  // Takes the cost of a retry from the budget; false (nothing taken) when it is exhausted.
  bool AcquireRetry(RetryClass retry_class, bool timeout, int* cost_taken);
  // Credits the budget after a successful call that spent `retry_cost_spent` on retries.
  void OnSuccess(int retry_cost_spent);
  int available_tokens() const;

 private:
  const RetryOptions options_;
  mutable std::mutex mu_;
  int tokens_;
  std::mt19937_64 rng_;
};

}  // namespace ecsync::aws
