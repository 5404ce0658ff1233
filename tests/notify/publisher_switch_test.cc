// The publisher a reload swaps: each event reaches the target current when it is published,
// and a replaced target receives nothing more.

#include "notify/publisher_switch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ecsync::notify {
namespace {

class Counting final : public EventPublisher {
 public:
  void Publish(const Event& event) override {
    ++count_;
    last_ = event.project_key;
  }
  int count() const { return count_; }
  const std::string& last() const { return last_; }

 private:
  std::atomic<int> count_ = 0;
  std::string last_;
};

Event For(const std::string& key) {
  Event event;
  event.kind = EventKind::kDeployStarted;
  event.project_key = key;
  return event;
}

TEST(PublisherSwitch, ForwardsToTheCurrentTargetOnly) {
  PublisherSwitch events;
  events.Publish(For("shop/a"));  // no target yet: dropped

  auto first = std::make_shared<Counting>();
  EXPECT_EQ(events.Swap(first), nullptr);
  events.Publish(For("shop/b"));
  EXPECT_EQ(first->count(), 1);
  EXPECT_EQ(first->last(), "shop/b");

  auto second = std::make_shared<Counting>();
  EXPECT_EQ(events.Swap(second), first);
  events.Publish(For("shop/c"));
  EXPECT_EQ(first->count(), 1);
  EXPECT_EQ(second->count(), 1);
  EXPECT_EQ(second->last(), "shop/c");

  EXPECT_EQ(events.Swap(nullptr), second);  // notifications removed from the configuration
  events.Publish(For("shop/d"));
  EXPECT_EQ(second->count(), 1);
}

TEST(PublisherSwitch, EveryEventReachesExactlyOneTargetWhileSwapping) {
  PublisherSwitch events;
  auto a = std::make_shared<Counting>();
  auto b = std::make_shared<Counting>();
  events.Swap(a);
  constexpr int kEvents = 20000;
  std::thread publisher([&] {
    for (int i = 0; i < kEvents; ++i) events.Publish(For("shop/web"));
  });
  for (int i = 0; i < 200; ++i) events.Swap(i % 2 == 0 ? b : a);
  publisher.join();
  EXPECT_EQ(a->count() + b->count(), kEvents);
}

}  // namespace
}  // namespace ecsync::notify
