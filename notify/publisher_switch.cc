#include "notify/publisher_switch.h"

#include <utility>

namespace ecsync::notify {

std::shared_ptr<EventPublisher> PublisherSwitch::Swap(std::shared_ptr<EventPublisher> target) {
  std::lock_guard<std::mutex> lock(mu_);
  std::swap(target_, target);
  return target;
}

void PublisherSwitch::Publish(const Event& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (target_) target_->Publish(event);
}

}  // namespace ecsync::notify
