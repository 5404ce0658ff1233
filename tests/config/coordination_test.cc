// The `coordination:` section: absent means one process owns everything; given, its keys with
// defaults, and refusals that name the file, line and key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>

#include "config/config.h"

namespace ecsync::config {
namespace {

using ::testing::StartsWith;

constexpr char kRepository[] =
    "repositories:\n"
    "  - url: https://example.com/acme/shop.git\n"
    "    projects: [{files: compose.yaml}]\n";

base::Result<Config> ParseCoordination(const std::string& text) {
  return ParseConfig(text, "ecsync.yaml", base::EnvFromMap({{"HOME", "/home/ci"}}),
                     [](const std::string&) -> base::Result<std::optional<std::string>> {
                       return std::optional<std::string>();
                     });
}

TEST(CoordinationConfig, AbsentMeansOff) {
  auto config = ParseCoordination(kRepository);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->coordination.enabled);
}

TEST(CoordinationConfig, EveryKeyAndTheDefaults) {
  auto config = ParseCoordination(std::string(kRepository) +
                                  "coordination:\n"
                                  "  dynamodb: {table: ecsync-coordination, region: eu-west-1}\n"
                                  "  shards: 128\n"
                                  "  lease_duration: 30s\n"
                                  "  renew_interval: 10s\n"
                                  "  replica_id: ecsync-0\n"
                                  "  peer_url: http://10.0.3.7:8081\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const CoordinationConfig& c = config->coordination;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.table, "ecsync-coordination");
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.shards, 128);
  EXPECT_EQ(c.lease_duration, std::chrono::seconds(30));
  EXPECT_EQ(c.renew_interval, std::chrono::seconds(10));
  EXPECT_EQ(c.replica_id, "ecsync-0");
  EXPECT_EQ(c.peer_url, "http://10.0.3.7:8081");

  config = ParseCoordination(std::string(kRepository) + "coordination: {dynamodb: {table: t-1}}\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->coordination.shards, 64);
  EXPECT_EQ(config->coordination.lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(config->coordination.renew_interval, std::chrono::seconds(5));
  EXPECT_EQ(config->coordination.region, "");
  EXPECT_EQ(config->coordination.peer_url, "");
  EXPECT_THAT(config->coordination.replica_id, ::testing::EndsWith("-" + std::to_string(getpid())));
}

TEST(CoordinationConfig, RefusalsNameFileLineAndKey) {
  const std::string base = std::string(kRepository) + "coordination:\n";
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"  shards: 4\n", "ecsync.yaml:5: coordination.dynamodb.table: is required"},
      {"  dynamodb: {table: a/b}\n", "ecsync.yaml:5: coordination.dynamodb.table: \"a/b\" is not"},
      {"  dynamodb: {table: t-1}\n  shards: 0\n", "ecsync.yaml:6: coordination.shards:"},
      {"  dynamodb: {table: t-1}\n  renew_interval: 6s\n",
       "ecsync.yaml:6: coordination.renew_interval: renew_interval must be at most a third"},
      {"  dynamodb: {table: t-1}\n  replica_id: a b\n",
       "ecsync.yaml:6: coordination.replica_id: \"a b\" is not a replica id"},
      {"  dynamodb: {tabel: t}\n",
       "ecsync.yaml:5: coordination.dynamodb.tabel: unknown key; did you mean \"table\"?"},
      {"  leases: 3\n", "ecsync.yaml:5: coordination.leases: unknown key"},
      {"  dynamodb: {table: t-1}\n  peer_url: 10.0.3.7:8081\n",
       "ecsync.yaml:6: coordination.peer_url: \"10.0.3.7:8081\" is not http://HOST:PORT"},
      {"  dynamodb: {table: t-1}\n  peer_url: http://10.0.3.7:8081/api\n",
       "ecsync.yaml:6: coordination.peer_url: \"http://10.0.3.7:8081/api\" is not"},
      {"  dynamodb: {table: t-1}\n  peer_url: http://ecsync-0\n",
       "ecsync.yaml:6: coordination.peer_url: \"http://ecsync-0\" is not"},
  };
  for (const Case& c : cases) {
    auto config = ParseCoordination(base + c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_THAT(config.status().message(), StartsWith(c.error)) << c.text;
  }
}

}  // namespace
}  // namespace ecsync::config
