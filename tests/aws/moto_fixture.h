#pragma once

// A test fixture for the AWS clients against one real moto_server per test suite, reset
// before each test.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "aws/make_clients.h"
#include "aws/observer.h"
#include "base/env.h"
#include "tests/support/support.h"

namespace ecsync::aws {

class MotoClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new testing::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override {
    moto_->Reset();
    AwsClientsOptions options;
    options.env = base::EnvFromMap(moto_->ClientEnv());
    options.observer = observer_;
    auto clients = MakeAwsClients(options);
    ASSERT_TRUE(clients.ok()) << clients.status().ToString();
    clients_ = *clients;
  }

  // Polls until the stack leaves *_IN_PROGRESS (moto is quick; at most 5 s); returns its
  // last status, the error, or "timeout".
  std::string WaitForStack(const std::string& name) {
    for (int i = 0; i < 100; ++i) {
      auto stack = clients_.cloudformation->DescribeStack(name);
      if (!stack.ok()) return stack.status().ToString();
      if (stack->status.find("_IN_PROGRESS") == std::string::npos) return stack->status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "timeout";
  }

  static inline testing::MotoServer* moto_ = nullptr;
  // Sees every call of clients_ when a derived fixture sets it before SetUp; may be null.
  std::shared_ptr<CallObserver> observer_;
  AwsClients clients_;
};

}  // namespace ecsync::aws
