// The notification dispatcher (notify/dispatcher.h) with sinks that record, fail on script
// or block on a latch, and a FakeClock: retries and backoff are checked without sleeping.

#include "notify/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "metrics/metrics.h"
#include "notify/filter.h"
#include "notify/retry_after.h"
#include "tests/support/support.h"

namespace ecsync::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::WaitUntil;

Event MakeEvent(EventKind kind, const std::string& key, const std::string& revision = "abc") {
  Event event;
  event.kind = kind;
  event.project_key = key;
  event.repository = key.substr(0, key.find('/'));
  event.project = key.substr(key.find('/') + 1);
  event.revision = revision;
  return event;
}

// Records deliveries; answers from a script (then ok); can be held on a latch.
class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(std::string name, EventFilter filter = AllEvents())
      : name_(std::move(name)), filter_(std::move(filter)) {}

  static EventFilter AllEvents() {
    EventFilter filter;
    filter.kinds = {AllEventKinds().begin(), AllEventKinds().end()};
    return filter;
  }

  std::string name() const override { return name_; }
  bool Wants(const Event& event) const override { return filter_.Matches(event); }
  base::Status Deliver(const Event& event) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !held_; });
    attempts_.push_back(event.project_key + ":" + EventKindName(event.kind));
    if (script_.empty()) {
      delivered_.push_back(event.project_key + ":" + EventKindName(event.kind));
      return base::Status::Ok();
    }
    base::Status answer = script_.front();
    script_.pop_front();
    if (answer.ok()) delivered_.push_back(event.project_key + ":" + EventKindName(event.kind));
    return answer;
  }

  void Script(std::vector<base::Status> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(answers.begin(), answers.end());
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  int entered() {
    std::lock_guard<std::mutex> lock(mu_);
    return entered_;
  }
  std::vector<std::string> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  std::vector<std::string> attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }

 private:
  const std::string name_;
  const EventFilter filter_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int entered_ = 0;
  std::deque<base::Status> script_;
  std::vector<std::string> delivered_;
  std::vector<std::string> attempts_;
};

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() : metrics_("test", "") {}

  // A dispatcher over `sinks` (owned by it; the pointers stay valid for the test).
  Dispatcher& Make(const std::vector<RecordingSink*>& sinks, DispatcherOptions options = {}) {
    options.seed = 42;
    options.jitter = 0;
    dispatcher_ = std::make_unique<Dispatcher>(clock_, &metrics_, options);
    for (RecordingSink* sink : sinks) dispatcher_->AddSink(std::unique_ptr<Sink>(sink));
    return *dispatcher_;
  }

  // Moves the fake clock and lets the worker see it.
  void Advance(milliseconds d) {
    clock_.Advance(d);
    dispatcher_->Wake();
  }

  base::FakeClock clock_;
  metrics::Metrics metrics_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, DeliversEveryWantedEventInOrder) {
  EventFilter failures;  // the default: failures, stalled, drift
  auto* all = new RecordingSink("test:all");
  auto* picky = new RecordingSink("test:picky", failures);
  Dispatcher& d = Make({all, picky});
  d.Start();
  d.Publish(MakeEvent(EventKind::kDeployStarted, "shop/web"));
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/api"));
  ASSERT_TRUE(WaitUntil([&] { return d.Pending() == 0 && all->delivered().size() == 2; }));
  EXPECT_THAT(all->delivered(), ElementsAre("shop/web:deploy_started", "shop/api:deploy_failed"));
  EXPECT_THAT(picky->delivered(), ElementsAre("shop/api:deploy_failed"));
  EXPECT_EQ(d.counts().delivered, 3u);
  EXPECT_THAT(metrics_.Serialize(),
              HasSubstr("ecsync_notifications_total{result=\"delivered\",sink_type=\"test\"} 3"));
}

TEST_F(DispatcherTest, ABurstForOneProjectDeliversTheLatestAndKeepsTheOrderAcrossProjects) {
  auto* sink = new RecordingSink("test:burst");
  Dispatcher& d = Make({sink});
  // Queued before the worker starts, as they would be behind a slow delivery.
  d.Publish(MakeEvent(EventKind::kDeployStarted, "shop/web", "r1"));
  d.Publish(MakeEvent(EventKind::kDeployStarted, "shop/api", "r1"));
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/web", "r1"));
  d.Publish(MakeEvent(EventKind::kDeployStarted, "shop/web", "r2"));
  d.Publish(MakeEvent(EventKind::kDeploySucceeded, "shop/web", "r2"));
  d.Publish(MakeEvent(EventKind::kDeploySucceeded, "shop/api", "r1"));
  EXPECT_EQ(d.Pending(), 2u);
  d.Start();
  ASSERT_TRUE(WaitUntil([&] { return sink->delivered().size() == 2 && d.Pending() == 0; }));
  EXPECT_THAT(sink->delivered(),
              ElementsAre("shop/web:deploy_succeeded", "shop/api:deploy_succeeded"));
  EXPECT_EQ(d.counts().coalesced, 4u);
}

TEST_F(DispatcherTest, AFullQueueDropsTheOldestAndCountsIt) {
  auto* sink = new RecordingSink("test:small");
  DispatcherOptions options;
  options.queue_capacity = 2;
  Dispatcher& d = Make({sink}, options);
  d.Publish(MakeEvent(EventKind::kDeployFailed, "a/one"));
  d.Publish(MakeEvent(EventKind::kDeployFailed, "a/two"));
  d.Publish(MakeEvent(EventKind::kDeployFailed, "a/three"));
  EXPECT_EQ(d.Pending(), 2u);
  EXPECT_EQ(d.counts().dropped, 1u);
  d.Start();
  ASSERT_TRUE(WaitUntil([&] { return sink->delivered().size() == 2; }));
  EXPECT_THAT(sink->delivered(), ElementsAre("a/two:deploy_failed", "a/three:deploy_failed"));
  EXPECT_THAT(metrics_.Serialize(),
              HasSubstr("ecsync_notifications_total{result=\"dropped\",sink_type=\"test\"} 1"));
}

TEST_F(DispatcherTest, RetriesThrottledAndTransientFailuresWithBackoffOnTheClock) {
  auto* sink = new RecordingSink("test:flaky");
  sink->Script({base::TransientError("HTTP 503"), ThrottledError("HTTP 429", seconds(30)),
                base::Status::Ok()});
  DispatcherOptions options;
  options.initial_backoff = seconds(2);
  Dispatcher& d = Make({sink}, options);
  d.Start();
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/web"));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().retried == 1; }));
  // The first retry waits initial_backoff: nothing before it.
  Advance(milliseconds(1999));
  EXPECT_FALSE(WaitUntil([&] { return sink->attempts().size() > 1; }, milliseconds(50)));
  Advance(milliseconds(1));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().retried == 2; }));
  // The second would wait 4 s, but the server asked for 30.
  Advance(seconds(29));
  EXPECT_FALSE(WaitUntil([&] { return sink->attempts().size() > 2; }, milliseconds(50)));
  Advance(seconds(1));
  ASSERT_TRUE(WaitUntil([&] { return sink->delivered().size() == 1; }));
  EXPECT_EQ(d.counts().retried, 2u);
  EXPECT_EQ(d.counts().delivered, 1u);
}

TEST_F(DispatcherTest, GivesUpAfterMaxAttemptsAndAtOnceOnAPermanentError) {
  auto* sink = new RecordingSink("test:down");
  sink->Script({base::TransientError("1"), base::TransientError("2"), base::TransientError("3"),
                base::InvalidError("HTTP 404")});
  DispatcherOptions options;
  options.max_attempts = 3;
  options.initial_backoff = seconds(1);
  Dispatcher& d = Make({sink}, options);
  d.Start();
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/web"));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().retried == 1; }));
  Advance(seconds(1));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().retried == 2; }));
  Advance(seconds(2));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().failed == 1; }));
  EXPECT_EQ(sink->attempts().size(), 3u);
  // A permanent error is not retried.
  d.Publish(MakeEvent(EventKind::kStalled, "shop/web"));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().failed == 2; }));
  EXPECT_EQ(sink->attempts().size(), 4u);
  EXPECT_TRUE(sink->delivered().empty());
}

TEST_F(DispatcherTest, AFailingSinkDoesNotHoldUpAnother) {
  auto* failing = new RecordingSink("test:failing");
  failing->Script({base::TransientError("1"), base::TransientError("2")});
  auto* healthy = new RecordingSink("test:healthy");
  Dispatcher& d = Make({failing, healthy});
  d.Start();
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/web"));
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/api"));
  d.Publish(MakeEvent(EventKind::kStalled, "shop/db"));
  // The clock does not move: the failing sink waits for its retry, the other one is done.
  ASSERT_TRUE(WaitUntil([&] { return healthy->delivered().size() == 3; }));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().retried == 1; }));
  EXPECT_EQ(failing->attempts().size(), 1u);
  EXPECT_TRUE(failing->delivered().empty());
  // The failing sink keeps its own order once it recovers.
  Advance(seconds(2));
  ASSERT_TRUE(WaitUntil([&] { return d.counts().retried == 2; }));
  Advance(seconds(4));
  ASSERT_TRUE(WaitUntil([&] { return failing->delivered().size() == 3; }));
  EXPECT_THAT(failing->delivered(),
              ElementsAre("shop/web:deploy_failed", "shop/api:deploy_failed", "shop/db:stalled"));
}

TEST_F(DispatcherTest, PublishNeverWaitsForAStuckSink) {
  auto* stuck = new RecordingSink("test:stuck");
  stuck->Hold();
  DispatcherOptions options;
  options.queue_capacity = 10;
  Dispatcher& d = Make({stuck}, options);
  d.Start();
  d.Publish(MakeEvent(EventKind::kDeployFailed, "p/0"));
  ASSERT_TRUE(WaitUntil([&] { return stuck->entered() == 1; }));  // held inside Deliver
  const auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= 1000; ++i) {
    d.Publish(MakeEvent(EventKind::kDeployFailed, "p/" + std::to_string(i)));
  }
  // A thousand publishes while the worker is stuck: no waiting, and memory stays bounded.
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(1));
  EXPECT_EQ(d.Pending(), 11u);  // ten waiting and the one being delivered
  EXPECT_EQ(d.counts().dropped, 990u);
  stuck->Release();
  ASSERT_TRUE(WaitUntil([&] { return stuck->delivered().size() == 11; }));
  EXPECT_EQ(stuck->delivered().back(), "p/1000:deploy_failed");
}

TEST_F(DispatcherTest, StopDeliversWhatIsQueuedWithinItsGraceAndDropsLaterRetries) {
  auto* sink = new RecordingSink("test:stop");
  auto* retrying = new RecordingSink("test:retrying");
  retrying->Script({base::TransientError("HTTP 502")});
  DispatcherOptions options;
  options.initial_backoff = seconds(10);
  Dispatcher& d = Make({sink, retrying}, options);
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/web"));
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/api"));
  d.Start();
  // The retry (due in 10 s) is past the 5 s grace: dropped at once, Stop does not wait.
  d.Stop(seconds(5));
  EXPECT_THAT(sink->delivered(), ElementsAre("shop/web:deploy_failed", "shop/api:deploy_failed"));
  EXPECT_EQ(d.Pending(), 0u);
  EXPECT_EQ(d.counts().dropped, 2u);                            // the retrying sink's two events
  d.Publish(MakeEvent(EventKind::kDeployFailed, "shop/late"));  // ignored after Stop
  EXPECT_EQ(d.Pending(), 0u);
}

TEST(EventFilter, KindsRepositoriesAndProjects) {
  EventFilter filter;
  EXPECT_TRUE(filter.Matches(MakeEvent(EventKind::kDeployFailed, "shop/web")));
  EXPECT_TRUE(filter.Matches(MakeEvent(EventKind::kDriftDetected, "shop/web")));
  EXPECT_FALSE(filter.Matches(MakeEvent(EventKind::kDeploySucceeded, "shop/web")));
  EXPECT_FALSE(filter.Matches(MakeEvent(EventKind::kDeployStarted, "shop/web")));
  filter.repositories = {"shop"};
  EXPECT_TRUE(filter.Matches(MakeEvent(EventKind::kStalled, "shop/web")));
  EXPECT_FALSE(filter.Matches(MakeEvent(EventKind::kStalled, "blog/web")));
  filter.projects = {"api", "shop/web"};
  EXPECT_TRUE(filter.Matches(MakeEvent(EventKind::kStalled, "shop/web")));
  EXPECT_TRUE(filter.Matches(MakeEvent(EventKind::kStalled, "shop/api")));
  EXPECT_FALSE(filter.Matches(MakeEvent(EventKind::kStalled, "shop/db")));
}

TEST(EventKinds, NamesRoundTrip) {
  ASSERT_EQ(AllEventKinds().size(), 13u);
  for (EventKind kind : AllEventKinds()) {
    EXPECT_EQ(EventKindFromName(EventKindName(kind)), kind);
  }
  EXPECT_EQ(EventKindFromName("deploy_exploded"), std::nullopt);
  EXPECT_STREQ(EventKindName(EventKind::kPruned), "pruned");
  EXPECT_STREQ(EventKindName(EventKind::kSignatureRefused), "signature_refused");
  EXPECT_STREQ(EventKindName(EventKind::kHeld), "held");
  EXPECT_STREQ(EventKindName(EventKind::kApprovalPending), "approval_pending");
  EXPECT_STREQ(EventKindName(EventKind::kSuperseded), "superseded");
}

TEST(RetryAfter, TravelsInAThrottledStatus) {
  EXPECT_EQ(RetryAfterOf(ThrottledError("slack:ops: rate limited", seconds(17))), seconds(17));
  EXPECT_EQ(RetryAfterOf(ThrottledError("slack:ops: rate limited", std::nullopt)), std::nullopt);
  EXPECT_EQ(RetryAfterOf(base::TransientError("x (retry after 5s)")), std::nullopt);
  EXPECT_EQ(ParseRetryAfter(" 120 "), seconds(120));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1"), std::nullopt);
}

}  // namespace
}  // namespace ecsync::notify
