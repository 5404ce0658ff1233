#pragma once

// A test suite whose controllers deploy to one moto_server shared by the suite (reset by each
// test), through the real AWS clients; and what the manual approval tests check.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "aws/make_clients.h"
#include "base/env.h"
#include "config/config.h"
#include "controller/controller_deps.h"
#include "controller/status.h"
#include "git/source.h"
#include "notify/publisher.h"
#include "reconcile/targets.h"
#include "tests/support/support.h"

namespace ecsync::controller::testing {

// Whether `s` shows a change (`change_set`) that `by` rejected: Stalled on input, nothing
// pending, and the rejection as its newest run.
inline ::testing::AssertionResult RejectedBy(const ProjectStatus& s, const std::string& by,
                                             const std::string& change_set) {
  if (s.condition != Condition::kStalled || !s.needs_input || !s.pending_change_set.empty()) {
    return ::testing::AssertionFailure()
           << ConditionName(s.condition) << " (needs input: " << s.needs_input
           << ", pending: " << s.pending_change_set << "): " << s.reason;
  }
  if (s.runs.empty() || s.runs.front().result != "rejected" || s.runs.front().approved_by != by ||
      s.runs.front().change_set != change_set) {
    return ::testing::AssertionFailure()
           << "the newest run is not " << change_set << " rejected by " << by;
  }
  return ::testing::AssertionSuccess();
}

class MotoControllerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new ::ecsync::testing::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  MotoControllerTest() { moto_->Reset(); }

  // Fills *deps for a controller reading git through `git` and deploying to moto, polling
  // stacks every 20 ms, on the system clock, publishing to `events` (may be null). Use with
  // ASSERT_NO_FATAL_FAILURE.
  static void MotoDeps(git::GitSource& git, notify::EventPublisher* events, ControllerDeps* deps) {
    aws::AwsClientsOptions options;
    options.env = base::EnvFromMap(moto_->ClientEnv());
    auto clients = aws::MakeAwsClients(options);
    ASSERT_TRUE(clients.ok()) << clients.status().ToString();
    deps->git = &git;
    deps->targets = reconcile::TargetsFromClients(*clients);
    deps->clock = base::SystemClock::Get();
    deps->events = events;
    deps->stack_poll_interval = std::chrono::milliseconds(20);
  }

  // Repository "shop" at `url`, branch main, checked at the start and when a test asks (its
  // poll interval is an hour), with a 60 s deploy timeout and no projects yet.
  static config::RepositoryConfig ShopRepository(const std::string& url) {
    config::RepositoryConfig repo;
    repo.name = "shop";
    repo.url = url;
    repo.ref = "main";
    repo.poll_interval = std::chrono::hours(1);
    repo.timeout = std::chrono::seconds(60);
    return repo;
  }

  static inline ::ecsync::testing::MotoServer* moto_ = nullptr;
};

}  // namespace ecsync::controller::testing
