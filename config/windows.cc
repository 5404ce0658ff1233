#include "config/windows.h"

#include <chrono>
#include <string_view>

#include "compose/yaml_tree.h"

namespace ecsync::config {

namespace {

constexpr std::string_view kWindowKeys[] = {"kind", "cron", "duration", "time_zone", "manual_sync"};

base::Status ParseWindow(const compose::YamlNode& node, const std::string& path,
                         const std::string& zoneinfo, schedule::Window* window) {
  if (!node.IsMapping()) {
    return ConfigError(
        node.location, path,
        "must be a mapping with kind, cron and duration, found " + DescribeValue(node));
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, ConfigMapping::Open(node, path, kWindowKeys));
  std::string kind;
  ECSYNC_RETURN_IF_ERROR(map.String("kind", &kind));
  if (kind == "allow") {
    window->kind = schedule::Window::Kind::kAllow;
  } else if (kind == "deny") {
    window->kind = schedule::Window::Kind::kDeny;
  } else {
    return map.Error("kind", kind.empty() ? "is required; write allow or deny"
                                          : "\"" + kind +
                                                "\" is not a window kind; write "
                                                "allow or deny");
  }
  std::string cron;
  ECSYNC_RETURN_IF_ERROR(map.String("cron", &cron));
  if (cron.empty()) {
    return map.Error("cron", "is required; write when the window opens, e.g. \"0 22 * * 5\"");
  }
  auto parsed = schedule::CronExpression::Parse(cron);
  if (!parsed.ok()) return map.Error("cron", parsed.status().message());
  window->cron = *parsed;
  std::chrono::milliseconds duration{0};
  if (!map.Has("duration")) {
    return map.Error("duration", "is required; write how long the window stays open, e.g. 2h");
  }
  ECSYNC_RETURN_IF_ERROR(map.Duration("duration", /*allow_zero=*/false, &duration));
  window->duration = std::chrono::duration_cast<std::chrono::seconds>(duration);
  if (window->duration.count() == 0) {
    return map.Error("duration", "must be at least one second");
  }
  std::string zone = "UTC";
  ECSYNC_RETURN_IF_ERROR(map.String("time_zone", &zone));
  auto loaded = schedule::TimeZone::Load(zone, zoneinfo);
  if (!loaded.ok()) {
    if (zone != "UTC") return map.Error("time_zone", loaded.status().message());
    window->zone = schedule::TimeZone::Utc();  // no tzdata installed: UTC needs none
  } else {
    window->zone = *loaded;
  }
  return map.Bool("manual_sync", &window->manual_sync);
}

}  // namespace

std::string ZoneinfoRoot(const base::EnvLookup& env) {
  return base::NonEmptyEnv(env, "TZDIR").value_or(schedule::kDefaultZoneinfoRoot);
}

base::Status ParseWindows(const ConfigMapping& parent, const base::EnvLookup& env,
                          std::vector<schedule::Window>* windows) {
  const compose::YamlNode* list = parent.Find("windows");
  if (list == nullptr) return base::Status::Ok();
  if (!list->IsSequence()) {
    return parent.Error("windows", "must be a list of windows, found " + DescribeValue(*list));
  }
  const std::string zoneinfo = ZoneinfoRoot(env);
  for (size_t i = 0; i < list->items.size(); ++i) {
    schedule::Window window;
    ECSYNC_RETURN_IF_ERROR(ParseWindow(list->items[i],
                                       parent.KeyPath("windows") + "[" + std::to_string(i) + "]",
                                       zoneinfo, &window));
    windows->push_back(std::move(window));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::config
