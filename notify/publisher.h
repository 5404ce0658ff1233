#pragma once

#include "notify/event.h"

namespace ecsync::notify {

// Where the controller sends what happens to projects (notify::Dispatcher implements it).
// Publish must not block: no I/O, no waiting on a delivery; it may drop events under load.
// Thread-safe.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  virtual void Publish(const Event& event) = 0;
};

}  // namespace ecsync::notify
