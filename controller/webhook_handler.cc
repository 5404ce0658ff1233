#include "controller/webhook_handler.h"

#include <nlohmann/json.hpp>
#include <set>

#include "base/log.h"

namespace ecsync::controller {

namespace {

bool Follows(const WebhookTarget& target, const RefUpdate& update) {
  switch (target.ref_kind) {
    case RefKind::kBranch:
      return update.ref == "refs/heads/" + target.ref;
    case RefKind::kTag:
      // A moved tag is worth a look; the poll resolves what it points to now.
      return update.ref == "refs/tags/" + target.ref;
    case RefKind::kCommit:
      return false;  // pinned: a push cannot change it
  }
  return false;
}

}  // namespace

WebhookHandler::WebhookHandler(Controller& controller, metrics::Metrics* metrics,
                               base::Clock& clock, Options options)
    : controller_(controller), metrics_(metrics), options_(options) {
  for (Provider p : {Provider::kGitHub, Provider::kGitLab, Provider::kGitea, Provider::kBitbucket,
                     Provider::kGeneric}) {
    limiters_[p] =
        std::make_unique<base::RateLimiter>(options.requests_per_second, options.burst, clock);
  }
}

WebhookResponse WebhookHandler::Answer(Provider provider, int status, const std::string& result,
                                       const std::string& detail) {
  if (metrics_ != nullptr) metrics_->Webhook(ProviderName(provider), result);
  nlohmann::json body = {{"status", result}};
  if (!detail.empty()) body["message"] = detail;
  base::Log(status >= 400 ? base::LogLevel::kWarn : base::LogLevel::kInfo, "webhook " + result,
            {{"provider", ProviderName(provider)},
             {"status", std::to_string(status)},
             {"detail", detail}});
  return {status, body.dump()};
}

WebhookResponse WebhookHandler::TooLarge(Provider provider) {
  return Answer(provider, 413, "too_large",
                "body over " + std::to_string(options_.max_body_bytes) + " bytes");
}

WebhookResponse WebhookHandler::Handle(Provider provider, const Headers& headers,
                                       const std::string& body) {
  if (!limiters_[provider]->TryAcquire()) {
    return Answer(provider, 429, "rate_limited", "too many webhook requests; retry later");
  }
  if (body.size() > options_.max_body_bytes) return TooLarge(provider);
  auto event = ParseWebhook(provider, headers, body);
  if (!event.ok()) return Answer(provider, 400, "bad_request", event.status().message());
  std::vector<WebhookTarget> targets = controller_.MatchRepositories(event->clone_urls);
  if (targets.empty()) {
    if (event->ping || event->ignored) {
      // A ping without repository URLs cannot be authenticated against any secret.
      return Answer(provider, 404, "unknown_repository",
                    "the delivery names no configured repository");
    }
    return Answer(provider, 404, "unknown_repository",
                  "no configured repository has this clone URL");
  }
  std::vector<WebhookTarget> authentic;
  for (const WebhookTarget& target : targets) {
    if (VerifyWebhook(provider, headers, body, target.secret)) authentic.push_back(target);
  }
  if (authentic.empty()) {
    return Answer(provider, 401, "unauthorized",
                  "signature or token does not match the repository's webhook secret");
  }
  if (deliveries_.SeenBefore(event->delivery_id)) {
    return Answer(provider, 200, "duplicate", "delivery " + event->delivery_id + " seen before");
  }
  if (event->ping) return Answer(provider, 200, "ignored", "ping");
  if (event->ignored) return Answer(provider, 200, "ignored", "event " + event->event);
  std::set<std::string> triggered;
  for (const WebhookTarget& target : authentic) {
    for (const RefUpdate& update : event->refs) {
      if (!update.deleted && Follows(target, update)) triggered.insert(target.repository);
    }
  }
  if (triggered.empty()) {
    return Answer(provider, 200, "ignored", "no configured repository follows the pushed ref");
  }
  std::string names;
  for (const std::string& repository : triggered) {
    controller_.Trigger(repository);
    names += (names.empty() ? "" : ",") + repository;
  }
  return Answer(provider, 202, "accepted", names);
}

}  // namespace ecsync::controller
