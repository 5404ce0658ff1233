#include "coordination/change_tracker.h"

namespace ecsync::coordination {

void ChangeTracker::Observe(const std::string& key, int64_t version, TimePoint now) {
  auto [it, inserted] = seen_.try_emplace(key, Seen{version, now});
  if (!inserted && it->second.version != version) it->second = Seen{version, now};
}

bool ChangeTracker::Expired(const std::string& key, TimePoint now,
                            std::chrono::milliseconds duration) const {
  auto it = seen_.find(key);
  return it != seen_.end() && now - it->second.since >= duration;
}

void ChangeTracker::Retain(const std::set<std::string>& present) {
  std::erase_if(seen_, [&present](const auto& entry) { return !present.contains(entry.first); });
}

}  // namespace ecsync::coordination
