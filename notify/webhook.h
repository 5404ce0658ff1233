#pragma once

#include <string>
#include <utility>
#include <vector>

#include "aws/http.h"
#include "base/clock.h"
#include "notify/http_sink.h"

namespace ecsync::notify {

// A generic JSON webhook, signed as ecsync's own /hooks/generic receiver checks signatures
// (webhook::WebhookProof, Provider::kGeneric):
//   POST <url>
//   Content-Type: application/json
//   X-Signature: sha256=<lower-case hex HMAC-SHA256(secret, body)>
//   X-Request-Id: <event id>        the same for every attempt of one event
//   X-Ecsync-Event: <event name>
//   {"id", "event", "timestamp" (when it happened, RFC 3339 UTC), "sent_at" (this attempt),
//    "project_key", "repository", "repository_url", "project", "stack", "revision",
//    "description", "url" (only with an external URL)}
// The body is signed as sent, timestamps included, so a receiver can refuse replays.
class WebhookSink final : public HttpSink {
 public:
  // Named "webhook:<options.name>". `secret` (never empty) signs every body. `clock` (for
  // sent_at) and `http` must outlive the sink.
  WebhookSink(HttpSinkOptions options, std::string secret, base::Clock& clock,
              aws::HttpClient& http)
      : HttpSink("webhook", std::move(options), http), secret_(std::move(secret)), clock_(clock) {}

 protected:
  std::string Body(const Event& event) override;
  std::vector<std::pair<std::string, std::string>> ExtraHeaders(const Event& event,
                                                                const std::string& body) override;

 private:
  const std::string secret_;
  base::Clock& clock_;
};

// An event's id: 32 lower-case hex digits, a digest of its kind, project, revision, time and
// description, so retries of one event share it and different events do not.
std::string EventId(const Event& event);

}  // namespace ecsync::notify
