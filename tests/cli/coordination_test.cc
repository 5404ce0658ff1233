// `ecsync coordination create-table` against moto_server: creates the table replicas share,
// says so again (without failing) when it exists, and refuses a table keyed otherwise.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

TEST(CoordinationCommand, CreateTableIsOnDemandKeyedByPkAndIdempotent) {
  MotoServer moto;
  const std::vector<std::string> argv = {EcsyncBinary(), "coordination", "create-table", "--table",
                                         "ecsync-coordination"};
  CommandResult created = RunCommand(argv, moto.ClientEnv());
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_EQ(created.out, "table ecsync-coordination: ACTIVE\n");
  nlohmann::json table = nlohmann::json::parse(
      moto.Aws({"dynamodb", "describe-table", "--table-name", "ecsync-coordination"}))["Table"];
  EXPECT_EQ(table["KeySchema"][0]["AttributeName"], "pk");
  EXPECT_EQ(table["AttributeDefinitions"][0]["AttributeType"], "S");
  EXPECT_EQ(table["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");

  CommandResult again = RunCommand(argv, moto.ClientEnv());
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out, "table ecsync-coordination: ACTIVE (it existed)\n");

  moto.Aws({"dynamodb", "create-table", "--table-name", "other", "--attribute-definitions",
            "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH",
            "--billing-mode", "PAY_PER_REQUEST"});
  CommandResult other = RunCommand(
      {EcsyncBinary(), "coordination", "create-table", "--table", "other"}, moto.ClientEnv());
  EXPECT_EQ(other.exit_code, 2) << other.out << other.err;
  EXPECT_NE(other.err.find("partition key \"id\""), std::string::npos) << other.err;
}

}  // namespace
}  // namespace ecsync::testing
