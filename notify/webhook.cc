#include "notify/webhook.h"

#include <nlohmann/json.hpp>

#include "aws/timestamp.h"
#include "base/hash.h"
#include "base/utf8.h"

namespace ecsync::notify {

namespace {

using nlohmann::ordered_json;

constexpr size_t kDescriptionBytes = 4000;

}  // namespace

std::string EventId(const Event& event) {
  const std::string material =
      std::string(EventKindName(event.kind)) + '\n' + event.project_key + '\n' + event.revision +
      '\n' + std::to_string(event.at.time_since_epoch().count()) + '\n' + event.description;
  return base::Sha256Hex(material).substr(0, 32);
}

std::string WebhookSink::Body(const Event& event) {
  const auto now = clock_.Now();
  const auto at = event.at == std::chrono::system_clock::time_point{} ? now : event.at;
  ordered_json body = {{"id", EventId(event)},
                       {"event", EventKindName(event.kind)},
                       {"timestamp", aws::FormatIso8601(at)},
                       {"sent_at", aws::FormatIso8601(now)},
                       {"project_key", base::SanitizeUtf8(event.project_key)},
                       {"repository", base::SanitizeUtf8(event.repository)},
                       {"repository_url", base::SanitizeUtf8(event.repository_url)},
                       {"project", base::SanitizeUtf8(event.project)},
                       {"stack", base::SanitizeUtf8(event.stack)},
                       {"revision", base::SanitizeUtf8(event.revision)},
                       {"description", OneLine(event.description, kDescriptionBytes)}};
  if (!event.change_set.empty()) body["change_set"] = base::SanitizeUtf8(event.change_set);
  if (!event.actor.empty()) body["actor"] = base::SanitizeUtf8(event.actor);
  const std::string link = Link(event);
  if (!link.empty()) body["url"] = link;
  return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::vector<std::pair<std::string, std::string>> WebhookSink::ExtraHeaders(
    const Event& event, const std::string& body) {
  return {{"X-Signature", "sha256=" + base::HexEncode(base::HmacSha256(secret_, body))},
          {"X-Request-Id", EventId(event)},
          {"X-Ecsync-Event", EventKindName(event.kind)}};
}

}  // namespace ecsync::notify
