#include "reconcile/stack_tags.h"

#include <gtest/gtest.h>

#include <regex>

#include "reconcile/reconciler.h"

namespace ecsync::reconcile {
namespace {

TEST(RequestToken, StablePerStackRevisionAndOperation) {
  std::string a = RequestToken("shop", "abc123", "create");
  EXPECT_EQ(a, RequestToken("shop", "abc123", "create"));
  EXPECT_NE(a, RequestToken("shop", "abc123", "update"));
  EXPECT_NE(a, RequestToken("shop", "abc124", "create"));
  EXPECT_NE(a, RequestToken("shop2", "abc123", "create"));
  EXPECT_LE(a.size(), 128u);
  EXPECT_TRUE(std::regex_match(a, std::regex("[a-zA-Z0-9-]+"))) << a;
}

TEST(SourceId, FitsInATagValueAndStaysUnique) {
  EXPECT_EQ(SourceId("https://git/x.git", "compose.yaml"), "https://git/x.git#compose.yaml");
  std::string long_path(300, 'a');
  std::string a = SourceId("https://git/x.git", long_path);
  std::string b = SourceId("https://git/x.git", long_path + "b");
  EXPECT_LE(a.size(), 256u);
  EXPECT_NE(a, b);
}

TEST(StackNameFor, MakesAValidStackName) {
  EXPECT_EQ(StackNameFor("shop"), "shop");
  EXPECT_EQ(StackNameFor("my_app.v2"), "my-app-v2");
  EXPECT_EQ(StackNameFor("2fast"), "ecsync-2fast");
}

TEST(RepoName, LastSegmentWithoutGitSuffix) {
  EXPECT_EQ(RepoName("https://github.com/acme/Shop.git"), "shop");
  EXPECT_EQ(RepoName("git@github.com:acme/shop.git"), "shop");
  EXPECT_EQ(RepoName("file:///tmp/x/app/"), "app");
}

}  // namespace
}  // namespace ecsync::reconcile
