#include "coordination/shards.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "coordination/fence.h"

namespace ecsync::coordination {
namespace {

TEST(Shards, EverySpellingOfOneRepositoryHasOneShard) {
  const int shard = ShardOf("https://github.com/acme/shop", 64);
  EXPECT_EQ(ShardOf("git@github.com:Acme/Shop.git", 64), shard);
  EXPECT_EQ(ShardOf("ssh://git@github.com:22/acme/shop/", 64), shard);
  EXPECT_EQ(ShardOf("https://user:pw@GitHub.com/acme/shop.git", 64), shard);
  EXPECT_NE(ShardOf("https://github.com/acme/shop-2", 64), shard);
}

TEST(Shards, TheMappingIsStableAcrossReleases) {
  // FNV-1a 64 of "github.com/acme/shop": changing the hash would move every repository.
  EXPECT_EQ(ShardOf("https://github.com/acme/shop", 64), 13);
  EXPECT_EQ(ShardOf("https://github.com/acme/shop", 1), 0);
}

TEST(Shards, RepositoriesSpreadEvenly) {
  std::vector<int> counts(64, 0);
  for (int i = 0; i < 6400; ++i) {
    ++counts[ShardOf(
        "https://git.example.com/team" + std::to_string(i % 37) + "/repo" + std::to_string(i), 64)];
  }
  EXPECT_GT(*std::min_element(counts.begin(), counts.end()), 60);
  EXPECT_LT(*std::max_element(counts.begin(), counts.end()), 140);
}

TEST(FencedToken, CarriesTheEpochWithin128Characters) {
  EXPECT_EQ(FencedToken("ecsync-create-abc", 7), "ecsync-create-abc-e7");
  const std::string long_token(128, 'a');
  const std::string fenced = FencedToken(long_token, 123456);
  EXPECT_EQ(fenced.size(), 128U);
  EXPECT_TRUE(fenced.ends_with("-e123456"));
  EXPECT_NE(FencedToken(long_token, 1), FencedToken(long_token, 2));
}

}  // namespace
}  // namespace ecsync::coordination
