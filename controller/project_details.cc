#include "controller/project_details.h"

#include <utility>

#include "base/utf8.h"

namespace ecsync::controller {

namespace {

using nlohmann::ordered_json;

ordered_json StackJson(const base::Result<reconcile::StackDetails>& details) {
  ordered_json doc = {
      {"resources", ordered_json::array()}, {"events", ordered_json::array()}, {"stackError", ""}};
  if (!details.ok()) {
    doc["stackError"] = base::SanitizeUtf8(details.status().message());
    return doc;
  }
  for (const aws::StackResource& r : details->resources) {
    doc["resources"].push_back({{"logicalId", base::SanitizeUtf8(r.logical_id)},
                                {"physicalId", base::SanitizeUtf8(r.physical_id)},
                                {"type", base::SanitizeUtf8(r.resource_type)},
                                {"status", base::SanitizeUtf8(r.status)},
                                {"reason", base::SanitizeUtf8(r.status_reason)},
                                {"updated", FormatTime(r.last_updated)}});
  }
  for (const aws::StackEvent& e : details->events) {
    doc["events"].push_back({{"time", FormatTime(e.timestamp)},
                             {"logicalId", base::SanitizeUtf8(e.logical_id)},
                             {"type", base::SanitizeUtf8(e.resource_type)},
                             {"status", base::SanitizeUtf8(e.status)},
                             {"reason", base::SanitizeUtf8(e.reason)}});
  }
  return doc;
}

}  // namespace

base::Result<ordered_json> ProjectDetails::Get(const std::string& key) {
  ProjectStatus project;
  if (!status_.FindProject(key, &project)) {
    return base::NotFoundError("no project " + key);
  }
  std::optional<ordered_json> entry = status_.ProjectJson(key);
  if (!entry) return base::NotFoundError("no project " + key);
  ordered_json doc;
  doc["project"] = std::move(*entry);
  if (project.stack.empty()) {
    doc["stack"] = StackJson(base::NotFoundError("the project has no stack yet"));
    return doc;
  }
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_.SteadyNow();
  auto found = cache_.find(project.stack);
  if (found == cache_.end() || now - found->second.read >= ttl_) {
    // Drop stale entries first, so the cache holds only stacks looked at within ttl.
    std::erase_if(cache_, [&](const auto& item) { return now - item.second.read >= ttl_; });
    found = cache_
                .insert_or_assign(
                    project.stack,
                    Entry{now, StackJson(engine_.DescribeStack(project.stack, kMaxEvents))})
                .first;
  }
  doc["stack"] = found->second.stack;
  return doc;
}

}  // namespace ecsync::controller
