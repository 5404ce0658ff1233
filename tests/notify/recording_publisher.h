#pragma once

// An EventPublisher that keeps every event, for tests of what the controller publishes.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "notify/event.h"
#include "notify/publisher.h"

namespace ecsync::notify {

class RecordingPublisher final : public EventPublisher {
 public:
  void Publish(const Event& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
  }
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // The names of the events about `revision`, in order.
  std::vector<std::string> Kinds(const std::string& revision) {
    std::vector<std::string> kinds;
    for (const Event& event : events()) {
      if (event.revision == revision) kinds.emplace_back(EventKindName(event.kind));
    }
    return kinds;
  }
  std::optional<Event> Find(EventKind kind, const std::string& revision) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Event& event : events_) {
      if (event.kind == kind && event.revision == revision) return event;
    }
    return std::nullopt;
  }

 private:
  std::mutex mu_;
  std::vector<Event> events_;
};

}  // namespace ecsync::notify
