#include "web/webhook_handler.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/log.h"
#include "base/strings.h"
#include "base/utf8.h"

namespace ecsync::web {

namespace {

// One answer for every request whose proof does not verify, whatever it names.
constexpr char kUnauthorized[] =
    "signature or token missing, malformed, or not made with a configured webhook secret";

bool Follows(const controller::WebhookTarget& target, const webhook::RefUpdate& update) {
  switch (target.ref_kind) {
    case config::RefKind::kBranch:
      return update.ref == "refs/heads/" + target.ref;
    case config::RefKind::kTag:
      // A moved tag is worth a look; the poll resolves what it points to now.
      return update.ref == "refs/tags/" + target.ref;
    case config::RefKind::kCommit:
      return false;  // pinned: a push cannot change it
  }
  return false;
}

}  // namespace

WebhookHandler::WebhookHandler(controller::Controller& controller, metrics::Metrics* metrics,
                               base::Clock& clock, Options options)
    : WebhookHandler(
          Repositories{[&controller] { return controller.WebhookTargets(); },
                       [&controller](const std::string& name) { controller.Trigger(name); }},
          metrics, clock, options) {}

WebhookHandler::WebhookHandler(Repositories repositories, metrics::Metrics* metrics,
                               base::Clock& clock, Options options)
    : repositories_(std::move(repositories)),
      metrics_(metrics),
      options_(options),
      per_repository_(options.requests_per_second, options.burst, clock),
      per_source_(options.source_requests_per_second, options.source_burst, clock),
      refused_(options.refused_requests_per_second, options.refused_burst, clock) {}

WebhookResponse WebhookHandler::Answer(webhook::Provider provider, const std::string& source,
                                       int status, const std::string& result,
                                       const std::string& detail, bool quiet) {
  if (metrics_ != nullptr) metrics_->Webhook(webhook::ProviderName(provider), result);
  // Details may quote the request (delivery ids, payload values): any bytes.
  const std::string clean = base::Utf8Prefix(detail, 1000);
  nlohmann::json body = {{"status", result}};
  if (!clean.empty()) body["message"] = clean;
  base::LogLevel level = status >= 400 ? base::LogLevel::kWarn : base::LogLevel::kInfo;
  if (quiet) level = base::LogLevel::kDebug;
  base::Log(level, "webhook " + result,
            {{"provider", webhook::ProviderName(provider)},
             {"status", std::to_string(status)},
             {"source", base::Utf8Prefix(source, 100)},
             {"detail", clean}});
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

WebhookResponse WebhookHandler::Refuse(webhook::Provider provider, const std::string& source,
                                       int status, const std::string& result,
                                       const std::string& detail) {
  const bool within_budget = refused_.TryAcquire(source);
  return Answer(provider, source, status, result, detail, /*quiet=*/!within_budget);
}

WebhookResponse WebhookHandler::TooLarge(webhook::Provider provider,
                                         const std::string& source_address) {
  const std::string detail = "body over " + std::to_string(options_.max_body_bytes) + " bytes";
  if (source_address.empty()) return Answer(provider, "", 413, "too_large", detail);
  return Refuse(provider, webhook::SourceKey(source_address), 413, "too_large", detail);
}

WebhookResponse WebhookHandler::Handle(webhook::Provider provider, const webhook::Headers& headers,
                                       const std::string& body, const std::string& source_address) {
  const std::string source = webhook::SourceKey(source_address);
  // The HTTP server would turn an exception into a 500 that quotes it; nothing here should
  // throw, but the answer to a stranger must never depend on that.
  try {
    return HandleChecked(provider, headers, body, source);
  } catch (const std::exception& e) {
    base::Log(base::LogLevel::kError, "webhook handler failed",
              {{"provider", webhook::ProviderName(provider)},
               {"error", base::Utf8Prefix(e.what(), 500)}});
  } catch (...) {
    base::Log(base::LogLevel::kError, "webhook handler failed",
              {{"provider", webhook::ProviderName(provider)}});
  }
  return Answer(provider, source, 500, "error", "internal error; see the ecsync log");
}

WebhookResponse WebhookHandler::HandleChecked(webhook::Provider provider,
                                              const webhook::Headers& headers,
                                              const std::string& body, const std::string& source) {
  const webhook::WebhookProof proof(provider, headers, body);
  // An address that keeps sending refused requests gets its unsigned ones refused without
  // further work. Signed ones are still verified: git hosts deliver every customer's hooks
  // from shared addresses, so a stranger's hook pointed here must not block ours.
  if (!proof.present() && !refused_.HasToken(source)) {
    return Answer(provider, source, 429, "rate_limited",
                  "too many refused webhook requests from this address; retry later",
                  /*quiet=*/true);
  }
  if (body.size() > options_.max_body_bytes) {
    return Refuse(provider, source, 413, "too_large",
                  "body over " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (!proof.present()) return Refuse(provider, source, 401, "unauthorized", kUnauthorized);

  // Verify against every configured secret before looking at what the body names, so the
  // answer and the work done do not depend on whether that repository is configured.
  // An address over its refusal budget is the exception: there a flood of forged
  // signatures would cost one HMAC of the body per configured secret, so its requests are
  // parsed first and checked only against the secrets of the repositories they name (a
  // ping naming none gets 401). It still gets the same 401 for anything it cannot prove.
  const std::vector<controller::WebhookTarget> targets = repositories_.targets();
  std::optional<base::Result<webhook::WebhookEvent>> event;
  const bool over_budget = !refused_.HasToken(source);
  if (over_budget) event = webhook::ParseWebhook(provider, headers, body);
  std::set<std::string> secrets;
  for (const controller::WebhookTarget& target : targets) {
    if (target.secret.empty()) continue;
    if (over_budget && !(event->ok() && webhook::NamesRepository(**event, target.url))) continue;
    secrets.insert(target.secret);
  }
  std::set<std::string> verified;
  for (const std::string& secret : secrets) {
    if (proof.Matches(secret)) verified.insert(secret);
  }
  if (verified.empty()) return Refuse(provider, source, 401, "unauthorized", kUnauthorized);

  if (!per_source_.TryAcquire(source)) {
    return Answer(provider, source, 429, "rate_limited",
                  "too many webhook requests from this address; retry later");
  }
  if (!event) event = webhook::ParseWebhook(provider, headers, body);
  if (!event->ok()) {
    return Answer(provider, source, 400, "bad_request", event->status().message());
  }
  const webhook::WebhookEvent& delivery = **event;

  std::vector<controller::WebhookTarget> named;
  for (const controller::WebhookTarget& target : targets) {
    if (webhook::NamesRepository(delivery, target.url)) named.push_back(target);
  }
  if (named.empty()) {
    // An organization hook's ping names no repository; its signature proved enough.
    if (delivery.ping) return Answer(provider, source, 200, "ignored", "ping");
    if (delivery.ignored) {
      return Answer(provider, source, 200, "ignored", "event " + delivery.event);
    }
    return Answer(provider, source, 404, "unknown_repository",
                  "no configured repository has this clone URL");
  }
  std::vector<controller::WebhookTarget> authentic;
  for (const controller::WebhookTarget& target : named) {
    if (verified.contains(target.secret)) authentic.push_back(target);
  }
  if (authentic.empty()) return Answer(provider, source, 401, "unauthorized", kUnauthorized);
  if (delivery.ping) return Answer(provider, source, 200, "ignored", "ping");
  if (delivery.ignored) return Answer(provider, source, 200, "ignored", "event " + delivery.event);

  std::set<std::string> wanted;
  for (const controller::WebhookTarget& target : authentic) {
    for (const webhook::RefUpdate& update : delivery.refs) {
      if (!update.deleted && Follows(target, update)) wanted.insert(target.repository);
    }
  }
  if (wanted.empty()) {
    return Answer(provider, source, 200, "ignored",
                  "no configured repository follows the pushed ref");
  }
  std::set<std::string> triggered;
  std::set<std::string> limited;
  for (const std::string& repository : wanted) {
    (per_repository_.TryAcquire(repository) ? triggered : limited).insert(repository);
  }
  if (triggered.empty()) {
    return Answer(provider, source, 429, "rate_limited",
                  "too many webhook requests for " + base::Join(limited, ",") + "; retry later");
  }
  // Checked after the limits, so a delivery refused with 429 is not taken for a duplicate
  // when the host retries it.
  if (deliveries_.SeenBefore(delivery.delivery_id)) {
    return Answer(provider, source, 200, "duplicate",
                  "delivery " + delivery.delivery_id + " seen before");
  }
  for (const std::string& repository : triggered) repositories_.trigger(repository);
  std::string detail = base::Join(triggered, ",");
  if (!limited.empty()) detail += " (rate limited: " + base::Join(limited, ",") + ")";
  return Answer(provider, source, 202, "accepted", detail);
}

}  // namespace ecsync::web
