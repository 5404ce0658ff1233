#include "notify/filter.h"

#include <algorithm>

namespace ecsync::notify {

const std::vector<EventKind>& AllEventKinds() {
  static const std::vector<EventKind> kKinds = {
      EventKind::kDeployStarted,   EventKind::kDeploySucceeded,  EventKind::kDeployFailed,
      EventKind::kDeployError,     EventKind::kDriftDetected,    EventKind::kStalled,
      EventKind::kPruned,          EventKind::kSignatureRefused, EventKind::kHeld,
      EventKind::kApprovalPending, EventKind::kApproved,         EventKind::kRejected,
      EventKind::kSuperseded};
  return kKinds;
}

std::optional<EventKind> EventKindFromName(std::string_view name) {
  for (EventKind kind : AllEventKinds()) {
    if (name == EventKindName(kind)) return kind;
  }
  return std::nullopt;
}

std::set<EventKind> DefaultEventKinds() {
  return {EventKind::kDeployFailed, EventKind::kDeployError, EventKind::kStalled,
          EventKind::kDriftDetected, EventKind::kSignatureRefused};
}

bool EventFilter::Matches(const Event& event) const {
  if (!kinds.contains(event.kind)) return false;
  if (!repositories.empty() &&
      std::find(repositories.begin(), repositories.end(), event.repository) == repositories.end()) {
    return false;
  }
  if (projects.empty()) return true;
  return std::any_of(projects.begin(), projects.end(), [&event](const std::string& wanted) {
    return wanted == event.project || wanted == event.project_key;
  });
}

}  // namespace ecsync::notify
