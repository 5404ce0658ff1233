#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/rate_limiter.h"
#include "controller/controller.h"
#include "controller/webhook.h"
#include "metrics/metrics.h"

namespace ecsync::controller {

struct WebhookResponse {
  int status = 200;
  std::string body;  // JSON
};

// Turns one webhook request into at most one Trigger per matching repository, and an HTTP
// answer. The order of checks is: rate limit (429), body size (413), parse (400), match by
// clone URL (404), signature with that repository's secret (401), duplicate delivery id
// (200 "duplicate"), ping / non-push events (200 "ignored"), ref filter (200 "ignored" when
// no matching repository follows the pushed ref), then 202 "accepted" and the triggers.
// Refused requests change nothing. Never echoes secrets or signatures. Thread-safe.
class WebhookHandler {
 public:
  struct Options {
    size_t max_body_bytes = 1 << 20;
    double requests_per_second = 10;  // per provider; <= 0: unlimited
    int burst = 50;
  };
  WebhookHandler(Controller& controller, metrics::Metrics* metrics, base::Clock& clock,
                 Options options);

  WebhookResponse Handle(Provider provider, const Headers& headers, const std::string& body);
  // For requests refused before their body was read (Content-Length over the limit).
  WebhookResponse TooLarge(Provider provider);

  size_t max_body_bytes() const { return options_.max_body_bytes; }

 private:
  WebhookResponse Answer(Provider provider, int status, const std::string& result,
                         const std::string& detail);

  Controller& controller_;
  metrics::Metrics* metrics_;
  Options options_;
  std::map<Provider, std::unique_ptr<base::RateLimiter>> limiters_;
  DeliveryLog deliveries_;
};

}  // namespace ecsync::controller
