// Repository paths as GitFileReader normalizes them (through base::NormalizeRepositoryPath).
#include "reconcile/git_file_reader.h"

#include <gtest/gtest.h>

#include "base/path.h"

namespace ecsync::reconcile {
namespace {

using base::NormalizeRepositoryPath;

TEST(NormalizeRepoPath, ResolvesDotSegments) {
  EXPECT_EQ(*NormalizeRepositoryPath("compose.yaml"), "compose.yaml");
  EXPECT_EQ(*NormalizeRepositoryPath("./a//b/../c.env"), "a/c.env");
  EXPECT_EQ(*NormalizeRepositoryPath("a/b/../../c"), "c");
}

TEST(NormalizeRepoPath, RefusesPathsOutsideTheRepository) {
  for (const char* bad : {"/etc/passwd", "../secret", "a/../../secret"}) {
    auto r = NormalizeRepositoryPath(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(r.status().message().find("repository"), std::string::npos);
  }
}

}  // namespace
}  // namespace ecsync::reconcile
