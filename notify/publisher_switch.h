#pragma once

#include <memory>
#include <mutex>

#include "notify/event.h"
#include "notify/publisher.h"

namespace ecsync::notify {

// The publisher the controller holds for its whole life, forwarding to one that a
// configuration reload may replace (a Dispatcher built from the new `notifications:` and
// commit status settings). Every event goes to exactly one publisher: the one current when
// Publish runs. Thread-safe.
class PublisherSwitch final : public EventPublisher {
 public:
  // Forwards to `target` (null: drops events) from now on and returns the one it replaces.
  // Once this returns, no Publish reaches the returned publisher: the caller may stop it.
  std::shared_ptr<EventPublisher> Swap(std::shared_ptr<EventPublisher> target);

  // Holds the lock across the target's Publish, which never waits (EventPublisher's
  // contract); that is what makes Swap's promise hold.
  void Publish(const Event& event) override;

 private:
  std::mutex mu_;
  std::shared_ptr<EventPublisher> target_;
};

}  // namespace ecsync::notify
