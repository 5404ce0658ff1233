// A compose file in a subfolder of the repository may name files elsewhere in the repository
// (`env_file: ../../common/app.env`), but nothing outside it. Git is a real repository read
// through libgit2; the stacks live in the stack-files target.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aws/stack_files.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

class RootDirTest : public ::testing::Test {
 protected:
  RootDirTest() : stacks_(files_.path() + "/stacks", clock_), git_(cache_.path()) {}

  base::Result<ReconcileReport> Run() {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.compose_path = "apps/web/compose.yaml";
    options.stack_name = "web";
    options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
    options.wait = {milliseconds(5000), milliseconds(60000)};
    Reconciler reconciler(git_, {.cloudformation = &stacks_}, clock_, [](const ProgressEvent&) {});
    return reconciler.Reconcile(options);
  }

  base::FakeClock clock_;
  testing::TempDir files_, cache_;
  testing::GitRepo repo_;
  aws::StackFiles stacks_;
  git::LibGit2Source git_;
};

TEST_F(RootDirTest, EnvFileElsewhereInTheRepositoryIsRead) {
  repo_.Write("apps/web/compose.yaml",
              "services:\n  web:\n    image: nginx:1.27\n    env_file: ../../common/app.env\n");
  repo_.Write("common/app.env", "GREETING=hello-from-common\n");
  repo_.Commit();
  base::Result<ReconcileReport> report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->succeeded) << report->message;
  base::Result<std::string> body = stacks_.GetTemplate("web");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_THAT(*body, HasSubstr("hello-from-common"));
}

TEST_F(RootDirTest, PathsLeavingTheRepositoryAreRefused) {
  for (const std::string path : {"../../../etc/passwd", "/etc/passwd"}) {
    repo_.Write("apps/web/compose.yaml",
                "services:\n  web:\n    image: nginx:1.27\n    env_file: " + path + "\n");
    repo_.Commit("env_file " + path);
    base::Result<ReconcileReport> report = Run();
    ASSERT_FALSE(report.ok()) << path;
    EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_THAT(report.status().message(),
                HasSubstr("apps/web/compose.yaml:4:15: services.web.env_file"));
    EXPECT_FALSE(stacks_.DescribeStack("web").ok()) << "nothing may be deployed";
  }
}

}  // namespace
}  // namespace ecsync::reconcile
