#pragma once

// The top-level `notifications:` list of the configuration file (Slack, Teams and signed
// generic webhooks) and `notification_queue:`. Used by config.cc; cli/ turns these settings
// into notify/ sinks.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/reader.h"

namespace ecsync::config {

struct Config;
struct Sources;  // config/projects.h

enum class NotificationType { kSlack, kTeams, kWebhook };

// One destination. Holds secrets (`url`, `secret`): never log them.
struct NotificationConfig {
  std::string name;  // unique among notifications; [a-z0-9_-]
  NotificationType type = NotificationType::kSlack;
  std::string url;     // from {env:} or {file:}: Slack and Teams URLs are credentials
  std::string secret;  // webhook only: the HMAC-SHA256 key of X-Signature
  // Event names (NotificationEventNames()); default: deploy_failed, deploy_error, stalled,
  // drift_detected.
  std::vector<std::string> events;
  std::vector<std::string> repositories;  // configured repository names; empty: all
  std::vector<std::string> projects;      // project names or "<repository>/<project>"; empty: all
  int line = 0;                           // where the entry starts, for messages
};

struct NotificationsConfig {
  std::vector<NotificationConfig> sinks;
  // Events waiting per sink before the oldest is dropped.
  int queue = 1000;
};

// Every event name a notification may list, in notify::EventKind's order.
const std::vector<std::string_view>& NotificationEventNames();

// Reads `top`'s `notifications:` and `notification_queue:` into config->notifications.
// Expects config->repositories (a `repositories:` filter must name configured ones). Refuses,
// naming the line and key: an unknown type or event, a URL written in the file or not
// http(s), a webhook without a secret (or a secret on Slack or Teams), a name used twice.
base::Status ParseNotifications(const ConfigMapping& top, const Sources& sources, Config* config);

}  // namespace ecsync::config
