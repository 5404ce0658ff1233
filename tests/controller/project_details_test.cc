// The project page's document: the project's status with its stack's resources and events,
// read through the engine at most once per stack every ttl however often it is asked for.

#include "controller/project_details.h"

#include <gtest/gtest.h>

#include "aws/stack_files.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

TEST(ProjectDetails, ReadsTheStackOncePerTtlAndAlwaysTheCurrentStatus) {
  testing::TempDir work;
  base::FakeClock clock;
  aws::StackFiles stacks(work.path() + "/stacks", clock);
  reconcile::fakes::ForwardingCloudFormation counted(stacks);
  reconcile::Targets targets;
  targets.cloudformation = &counted;
  reconcile::Engine engine(targets, clock);
  StatusStore status;
  status.UpdateProject("shop/web", [](ProjectStatus& p) {
    p.stack = "shop-web";
    p.reason = "first";
  });
  ProjectDetails details(status, engine, clock, std::chrono::seconds(5));

  auto first = details.Get("shop/web");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["project"]["condition"]["reason"], "first");
  EXPECT_TRUE((*first)["stack"]["resources"].empty());
  EXPECT_NE((*first)["stack"]["stackError"], "");  // no such stack yet
  const int calls = counted.calls();
  EXPECT_GE(calls, 1);

  status.UpdateProject("shop/web", [](ProjectStatus& p) { p.reason = "second"; });
  clock.Advance(std::chrono::seconds(4));
  auto again = details.Get("shop/web");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["project"]["condition"]["reason"], "second");  // never cached
  EXPECT_EQ(counted.calls(), calls);                                // the stack is

  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(details.Get("shop/web").ok());
  EXPECT_EQ(counted.calls(), 2 * calls);

  auto missing = details.Get("shop/none");
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace ecsync::controller
