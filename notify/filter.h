#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "notify/event.h"

namespace ecsync::notify {

// Every event kind, in declaration order.
const std::vector<EventKind>& AllEventKinds();
// The kind named `name` (EventKindName's spelling), or nullopt.
std::optional<EventKind> EventKindFromName(std::string_view name);
// What a sink receives when its configuration names no events: failures (deploy_failed,
// deploy_error), stalled and drift_detected.
std::set<EventKind> DefaultEventKinds();

// Which events one sink wants. Immutable once built; safe to read from any thread.
struct EventFilter {
  std::set<EventKind> kinds = DefaultEventKinds();
  // Configured repository names; empty: every repository.
  std::vector<std::string> repositories;
  // Project names ("web") or keys ("shop/web"); empty: every project.
  std::vector<std::string> projects;

  bool Matches(const Event& event) const;
};

}  // namespace ecsync::notify
