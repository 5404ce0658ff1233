#pragma once

// A controller over a real git repository (libgit2 over file://) and the stack-files target,
// with two projects for the operator actions' tests (controller and HTTP): "shop/web"
// (web/compose.yaml, stack shop-web) and "shop/api" (api/compose.yaml, stack shop-api). The
// repository is checked only at the start and when a test asks (its poll interval is an hour),
// so every later check in a test is one it caused.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "aws/stack_files.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "reconcile/stack_tags.h"
#include "tests/support/support.h"

namespace ecsync::controller::testing {

inline std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

class OperatorFixture : public ::testing::Test {
 protected:
  OperatorFixture()
      : git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        metrics_("test", "") {
    repo_.Write("web/compose.yaml", App(1));
    repo_.Write("api/compose.yaml", App(1));
    first_ = repo_.Commit("two apps");
  }

  config::Config MakeConfig() const {
    config::RepositoryConfig repo;
    repo.name = "shop";
    repo.url = repo_.url();
    repo.ref = "main";
    repo.poll_interval = std::chrono::hours(1);
    repo.timeout = std::chrono::seconds(60);
    for (const char* name : {"web", "api"}) {
      config::ProjectConfig project;
      project.name = name;
      project.files = {std::string(name) + "/compose.yaml"};
      repo.projects.push_back(project);
    }
    config::Config config;
    config.concurrency = 2;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.repositories.push_back(std::move(repo));
    return config;
  }

  ControllerDeps Deps() {
    ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &stacks_;
    deps.clock = base::SystemClock::Get();
    deps.metrics = &metrics_;
    deps.stack_poll_interval = std::chrono::milliseconds(20);
    return deps;
  }

  // Starts the controller and (unless told not to) waits until both stacks carry the first
  // commit.
  void StartController(const config::Config& config, bool wait_for_stacks = true) {
    controller_ = std::make_unique<Controller>(config, Deps());
    controller_->Start();
    if (!wait_for_stacks) return;
    ASSERT_TRUE(::ecsync::testing::WaitUntil([&] {
      return Revision("shop-web") == first_ && Revision("shop-api") == first_ &&
             controller_->Idle();
    })) << controller_->status().ToJson().dump(2);
  }

  void TearDown() override {
    if (controller_) controller_->Stop();
  }

  std::string Revision(const std::string& stack) {
    auto found = stacks_.DescribeStack(stack);
    return found.ok() ? found->tags[reconcile::kTagRevision] : "";
  }
  bool Exists(const std::string& stack) { return stacks_.DescribeStack(stack).ok(); }

  ProjectStatus Status(const std::string& key) const {
    ProjectStatus status;
    EXPECT_TRUE(controller_->status().FindProject(key, &status)) << key;
    return status;
  }

  // Checks the repository now and waits until `commit` was seen and everything it queued ran.
  bool CheckedAndIdle(const std::string& commit) {
    controller_->Trigger("shop");
    return ::ecsync::testing::WaitUntil([&] {
      auto repos = controller_->status().Repositories();
      return !repos.empty() && repos[0].last_commit == commit && controller_->Idle();
    });
  }

  ::ecsync::testing::TempDir work_;
  ::ecsync::testing::GitRepo repo_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  metrics::Metrics metrics_;
  std::string first_;
  std::unique_ptr<Controller> controller_;
};

}  // namespace ecsync::controller::testing
