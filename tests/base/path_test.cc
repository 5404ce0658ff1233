#include "base/path.h"

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

TEST(NormalizePath, IsLexical) {
  EXPECT_EQ(NormalizePath("a/./b/../c/"), "a/c");
  EXPECT_EQ(NormalizePath("a//b"), "a/b");
  EXPECT_EQ(NormalizePath("../x/.."), "..");
  EXPECT_EQ(NormalizePath("/../etc"), "/etc");
  EXPECT_EQ(NormalizePath("a/.."), ".");
  EXPECT_EQ(NormalizePath(""), ".");
  EXPECT_EQ(NormalizePath("/"), "/");
}

TEST(JoinPath, NormalizesAndKeepsAbsolutePaths) {
  EXPECT_EQ(JoinPath("a/b", "../c"), "a/c");
  EXPECT_EQ(JoinPath("a", "/etc/x"), "/etc/x");
  EXPECT_EQ(JoinPath("", "./x/"), "x");
  EXPECT_EQ(JoinPath("a", ".."), ".");
  EXPECT_EQ(DirName("a/b.yaml"), "a");
  EXPECT_EQ(DirName("b.yaml"), "");
}

TEST(NormalizeRepositoryPath, StaysInsideTheRoot) {
  EXPECT_EQ(*NormalizeRepositoryPath("a/./b/../c.yaml"), "a/c.yaml");
  EXPECT_EQ(*NormalizeRepositoryPath("services//web/"), "services/web");
  EXPECT_EQ(*NormalizeRepositoryPath(""), "");
  EXPECT_EQ(*NormalizeRepositoryPath("."), "");
  EXPECT_EQ(*NormalizeRepositoryPath("a/.."), "");
  EXPECT_EQ(*NormalizeRepositoryPath("..a/b"), "..a/b");

  const Result<std::string> absolute = NormalizeRepositoryPath("/etc/passwd");
  ASSERT_FALSE(absolute.ok());
  EXPECT_EQ(absolute.status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(absolute.status().message(),
            "\"/etc/passwd\" is absolute; write it relative to the repository root");
  for (const char* climbing : {"..", "../x", "a/../../x", "./.."}) {
    const Result<std::string> out = NormalizeRepositoryPath(climbing);
    ASSERT_FALSE(out.ok()) << climbing;
    EXPECT_NE(out.status().message().find("climbs out of the repository"), std::string::npos);
  }
}

}  // namespace
}  // namespace ecsync::base
