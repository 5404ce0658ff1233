#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "controller/controller.h"
#include "metrics/metrics.h"
#include "webhook/limits.h"
#include "webhook/webhook.h"

namespace ecsync::web {

struct WebhookResponse {
  int status = 200;
  std::string body;  // JSON, valid UTF-8
};

// Turns one webhook request into at most one Trigger per matching repository, and an HTTP
// answer (docs/webhooks.md). The order of checks:
//   429 the sender's address sent too many refused requests lately and this one carries no
//       well-formed signature or token (nothing else is looked at);
//   413 body over max_body_bytes;
//   401 no signature/token, or it matches none of the configured secrets: the same answer
//       whether or not the payload's repository is configured, so strangers learn nothing;
//   429 the sender's address sent too many authenticated requests;
//   400 the body does not parse;
//   200 "ignored" for a ping or non-push event, 404 for a push, naming no configured
//       repository (the sender proved it knows a secret, so it may learn that);
//   401 signed with a secret, but not with the named repository's;
//   200 "ignored": ping, non-push event, or no matching repository follows the pushed ref;
//   429 every repository the push would trigger is over its rate limit;
//   200 "duplicate" delivery id; 202 "accepted" and the triggers.
// Rate limits are token buckets: per repository and per sender address for requests whose
// proof verified, so forged traffic cannot spend the budget of real deliveries; and per
// sender address for refused requests (401, 413), which also bounds their log lines (once
// an address is over it, its refusals are logged at debug level only, and its signed
// requests are checked only against the secrets of the repositories they name, so forged
// signatures cost one HMAC each however many secrets are configured). Every answer is
// counted in the webhook metric by provider and result, and logged; neither secrets,
// signatures, tokens nor bodies are ever logged or echoed. Never throws. Thread-safe.
class WebhookHandler {
 public:
  struct Options {
    size_t max_body_bytes = 1 << 20;
    // Authenticated requests per repository named (webhooks.requests_per_second, burst).
    // <= 0: unlimited.
    double requests_per_second = 10;
    int burst = 50;
    // Authenticated requests per sender address (webhooks.source_requests_per_second,
    // source_burst). One git host delivers every hook from a few addresses, so this is wide.
    double source_requests_per_second = 50;
    int source_burst = 200;
    // Refused requests per sender address (webhooks.refused_requests_per_second,
    // refused_burst).
    double refused_requests_per_second = 1;
    int refused_burst = 30;
  };
  // What the handler needs from the controller: every configured repository (with its URL
  // and webhook secret), and a way to check one now. Both must be thread-safe.
  struct Repositories {
    std::function<std::vector<controller::WebhookTarget>()> targets;
    std::function<void(const std::string& repository)> trigger;
  };

  WebhookHandler(controller::Controller& controller, metrics::Metrics* metrics, base::Clock& clock,
                 Options options);
  WebhookHandler(Repositories repositories, metrics::Metrics* metrics, base::Clock& clock,
                 Options options);

  // `source_address` is the peer's IP address as the server saw it ("203.0.113.7", "::1");
  // "" when unknown (all such requests share one budget).
  WebhookResponse Handle(webhook::Provider provider, const webhook::Headers& headers,
                         const std::string& body, const std::string& source_address);
  // For requests refused before their body was read (Content-Length over the limit): 413,
  // logged and counted like any refusal, and charged to `source_address` when given.
  WebhookResponse TooLarge(webhook::Provider provider, const std::string& source_address = "");

  size_t max_body_bytes() const { return options_.max_body_bytes; }

 private:
  WebhookResponse HandleChecked(webhook::Provider provider, const webhook::Headers& headers,
                                const std::string& body, const std::string& source);
  // A refusal before authentication: charged to the source's refused budget.
  WebhookResponse Refuse(webhook::Provider provider, const std::string& source, int status,
                         const std::string& result, const std::string& detail);
  // `quiet` logs at debug level instead of info/warn.
  WebhookResponse Answer(webhook::Provider provider, const std::string& source, int status,
                         const std::string& result, const std::string& detail, bool quiet = false);

  Repositories repositories_;
  metrics::Metrics* metrics_;
  Options options_;
  webhook::KeyedRateLimiter per_repository_;
  webhook::KeyedRateLimiter per_source_;
  webhook::KeyedRateLimiter refused_;
  webhook::DeliveryLog deliveries_;
};

}  // namespace ecsync::web
