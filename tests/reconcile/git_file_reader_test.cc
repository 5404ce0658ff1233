#include "reconcile/git_file_reader.h"

#include <gtest/gtest.h>

namespace ecsync::reconcile {
namespace {

TEST(NormalizeRepoPath, ResolvesDotSegments) {
  EXPECT_EQ(*NormalizeRepoPath("compose.yaml"), "compose.yaml");
  EXPECT_EQ(*NormalizeRepoPath("./a//b/../c.env"), "a/c.env");
  EXPECT_EQ(*NormalizeRepoPath("a/b/../../c"), "c");
}

TEST(NormalizeRepoPath, RefusesPathsOutsideTheRepository) {
  for (const char* bad : {"/etc/passwd", "../secret", "a/../../secret"}) {
    auto r = NormalizeRepoPath(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(r.status().message().find("repository"), std::string::npos);
  }
}

}  // namespace
}  // namespace ecsync::reconcile
