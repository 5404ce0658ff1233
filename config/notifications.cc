#include "config/notifications.h"

#include <algorithm>
#include <map>

#include "config/config.h"
#include "config/projects.h"
#include "config/secret.h"
#include "config/values.h"

namespace ecsync::config {

namespace {

using compose::YamlNode;

constexpr std::string_view kNotificationKeys[] = {"name",   "type",     "url",         "secret",
                                                  "events", "projects", "repositories"};
constexpr int kMaxQueue = 1'000'000;

// An error about item `index` of the list under `key`, at the item's line.
base::Status ItemError(const ConfigMapping& map, const std::string& key, size_t index,
                       const std::string& what) {
  const YamlNode* list = map.Find(key);
  const compose::SourceLocation& at =
      list != nullptr && index < list->items.size() ? list->items[index].location : map.location();
  return ConfigError(at, IndexedKey(map.KeyPath(key), index), what);
}

std::string Quoted(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

base::Status ParseType(const ConfigMapping& map, NotificationType* type) {
  if (!map.Has("type")) {
    return map.Error("type", "is required: slack, teams or webhook");
  }
  std::string text;
  ECSYNC_RETURN_IF_ERROR(map.String("type", &text));
  if (text == "slack") {
    *type = NotificationType::kSlack;
  } else if (text == "teams") {
    *type = NotificationType::kTeams;
  } else if (text == "webhook") {
    *type = NotificationType::kWebhook;
  } else {
    return map.Error("type", "\"" + text +
                                 "\" is not a notification type; use slack, teams or "
                                 "webhook");
  }
  return base::Status::Ok();
}

base::Status ParseEvents(const ConfigMapping& map, std::vector<std::string>* events) {
  if (!map.Has("events")) {
    *events = {"deploy_failed", "deploy_error", "stalled", "drift_detected", "signature_refused"};
    return base::Status::Ok();
  }
  ECSYNC_RETURN_IF_ERROR(map.StringList("events", /*allow_single=*/false, events));
  if (events->empty()) {
    return map.Error("events",
                     "lists no events; list some or remove the key for the default "
                     "(deploy_failed, deploy_error, stalled, drift_detected)");
  }
  const std::vector<std::string_view>& known = NotificationEventNames();
  for (size_t i = 0; i < events->size(); ++i) {
    if (std::find(known.begin(), known.end(), (*events)[i]) == known.end()) {
      return ItemError(map, "events", i,
                       "\"" + (*events)[i] + "\" is not an event; use " + Quoted(known));
    }
  }
  return base::Status::Ok();
}

base::Status ParseFilters(const ConfigMapping& map, const Config& config,
                          NotificationConfig* sink) {
  ECSYNC_RETURN_IF_ERROR(
      map.StringList("repositories", /*allow_single=*/true, &sink->repositories));
  auto configured = [&config](const std::string& name) {
    return std::any_of(config.repositories.begin(), config.repositories.end(),
                       [&name](const RepositoryConfig& repo) { return repo.name == name; });
  };
  for (size_t i = 0; i < sink->repositories.size(); ++i) {
    if (!configured(sink->repositories[i])) {
      return ItemError(map, "repositories", i,
                       "no repository is named \"" + sink->repositories[i] +
                           "\"; use the name of an entry under repositories:");
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.StringList("projects", /*allow_single=*/true, &sink->projects));
  for (size_t i = 0; i < sink->projects.size(); ++i) {
    const std::string& project = sink->projects[i];
    const size_t slash = project.find('/');
    const std::string repository = slash == std::string::npos ? "" : project.substr(0, slash);
    const std::string name = slash == std::string::npos ? project : project.substr(slash + 1);
    if (!IsValidName(name) || (slash != std::string::npos && !IsValidName(repository))) {
      return ItemError(map, "projects", i,
                       "\"" + project +
                           "\" is not a project; write its name (web) or <repository>/<name> "
                           "(shop/web)");
    }
    if (!repository.empty() && !configured(repository)) {
      return ItemError(map, "projects", i,
                       "no repository is named \"" + repository +
                           "\"; use the name of an entry under repositories:");
    }
  }
  return base::Status::Ok();
}

base::Status ParseNotification(const YamlNode& node, const std::string& path,
                               const Sources& sources, const Config& config,
                               NotificationConfig* sink) {
  sink->line = node.location.line;
  if (!node.IsMapping()) {
    return ConfigError(node.location, path,
                       "must be a mapping with type and url, found " + DescribeValue(node));
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map,
                          ConfigMapping::Open(node, path, kNotificationKeys));
  ECSYNC_RETURN_IF_ERROR(ParseType(map, &sink->type));
  const char* type = sink->type == NotificationType::kSlack   ? "slack"
                     : sink->type == NotificationType::kTeams ? "teams"
                                                              : "webhook";
  sink->name = type;
  ECSYNC_RETURN_IF_ERROR(map.String("name", &sink->name));
  if (!IsValidName(sink->name)) {
    return map.Error("name", "\"" + sink->name +
                                 "\" is not a valid name; use only lower-case letters, digits, _ "
                                 "and -");
  }
  if (!map.Has("url")) {
    return map.Error("url",
                     "is required: the webhook URL, as {env: NAME} or {file: /path} "
                     "(it is a credential)");
  }
  ECSYNC_RETURN_IF_ERROR(ReadSecret(map, "url", sources.env, sources.read_file, &sink->url));
  // The value is never quoted: it is a credential.
  if (!sink->url.starts_with("https://") && !sink->url.starts_with("http://")) {
    return map.Error("url", "the URL it gives does not start with https:// (or http://)");
  }
  if (sink->url.find_first_of(" \t\r\n") != std::string::npos) {
    return map.Error("url", "the URL it gives contains blanks or line breaks");
  }
  if (sink->type == NotificationType::kWebhook) {
    if (!map.Has("secret")) {
      return map.Error("secret",
                       "is required for a webhook: the key of its X-Signature HMAC, as "
                       "{env: NAME} or {file: /path}");
    }
    ECSYNC_RETURN_IF_ERROR(
        ReadSecret(map, "secret", sources.env, sources.read_file, &sink->secret));
  } else if (map.Has("secret")) {
    return map.Error("secret", std::string("is for type webhook only; a ") + type +
                                   " URL carries its own credential");
  }
  ECSYNC_RETURN_IF_ERROR(ParseEvents(map, &sink->events));
  return ParseFilters(map, config, sink);
}

}  // namespace

const std::vector<std::string_view>& NotificationEventNames() {
  static const std::vector<std::string_view> kNames = {
      "deploy_started", "deploy_succeeded", "deploy_failed",     "deploy_error", "drift_detected",
      "stalled",        "pruned",           "signature_refused", "held",         "approval_pending",
      "approved",       "rejected",         "superseded"};
  return kNames;
}

base::Status ParseNotifications(const ConfigMapping& top, const Sources& sources, Config* config) {
  NotificationsConfig& out = config->notifications;
  ECSYNC_RETURN_IF_ERROR(top.Int("notification_queue", 1, kMaxQueue, &out.queue));
  const YamlNode* list = top.Find("notifications");
  if (list == nullptr) return base::Status::Ok();
  if (!list->IsSequence()) {
    return top.Error("notifications",
                     "must be a list of notifications, found " + DescribeValue(*list));
  }
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < list->items.size(); ++i) {
    const YamlNode& item = list->items[i];
    const std::string path = IndexedKey("notifications", i);
    NotificationConfig sink;
    ECSYNC_RETURN_IF_ERROR(ParseNotification(item, path, sources, *config, &sink));
    const auto [it, added] = names.emplace(sink.name, i);
    if (!added) {
      const YamlNode* name = item.Find("name");
      return ConfigError(name != nullptr ? name->location : item.location, path + ".name",
                         "notification name \"" + sink.name + "\"" +
                             (name != nullptr ? "" : " (the type, as no name is given)") +
                             " is already used by " + IndexedKey("notifications", it->second) +
                             "; give each notification its own name");
    }
    out.sinks.push_back(std::move(sink));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::config
