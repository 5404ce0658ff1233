// The DynamoDB client against a real moto_server: tables made and described, items read
// with strong consistency and written on conditions (a failed condition is kConflict), and
// (through the fake HttpClient, as moto pages only past 1 MB) Scan's paging.

#include "aws/dynamodb.h"

#include <gtest/gtest.h>

#include "tests/aws/moto_fixture.h"
#include "tests/support/fake_http_client.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

Json Key(const std::string& pk) { return Json{{"pk", DynamoString(pk)}}; }

class DynamoDbTest : public MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    ASSERT_TRUE(clients_.dynamodb->CreateTable("t", "pk").ok());
  }
};

TEST_F(DynamoDbTest, CreateTableIsOnDemandKeyedByAStringAndRefusedTwice) {
  auto table = clients_.dynamodb->DescribeTable("t");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->name, "t");
  EXPECT_EQ(table->status, "ACTIVE");
  EXPECT_EQ(table->partition_key, "pk");
  EXPECT_EQ(table->billing_mode, "PAY_PER_REQUEST");
  EXPECT_EQ(clients_.dynamodb->CreateTable("t", "pk").kind(), base::ErrorKind::kConflict);
  EXPECT_EQ(clients_.dynamodb->DescribeTable("missing").status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(DynamoDbTest, ConditionalWritesAndConsistentReads) {
  DynamoDb& db = *clients_.dynamodb;
  const Json item{{"pk", DynamoString("a")}, {"n", DynamoNumber(1)}};
  const DynamoCondition absent{"attribute_not_exists(pk)", Json::object(), Json::object()};
  ASSERT_TRUE(db.PutItem("t", item, absent).ok());
  base::Status again = db.PutItem("t", item, absent);
  EXPECT_EQ(again.kind(), base::ErrorKind::kConflict) << again.ToString();

  auto read = db.GetItem("t", Key("a"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(ItemNumber(**read, "n"), 1);
  EXPECT_EQ(ItemString(**read, "pk"), "a");
  EXPECT_FALSE(db.GetItem("t", Key("b"))->has_value());

  const DynamoCondition is_one{"n = :old", Json::object(),
                               Json{{":old", DynamoNumber(1)}, {":one", DynamoNumber(1)}}};
  auto updated = db.UpdateItem("t", Key("a"), "SET n = n + :one", is_one);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(ItemNumber(*updated, "n"), 2);
  EXPECT_EQ(db.UpdateItem("t", Key("a"), "SET n = n + :one", is_one).status().kind(),
            base::ErrorKind::kConflict);

  EXPECT_EQ(db.DeleteItem("t", Key("a"), is_one).kind(), base::ErrorKind::kConflict);
  ASSERT_TRUE(
      db.DeleteItem("t", Key("a"), {"n = :two", Json::object(), Json{{":two", DynamoNumber(2)}}})
          .ok());
  auto items = db.Scan("t");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_TRUE(items->empty());
  EXPECT_EQ(db.Scan("missing").status().kind(), base::ErrorKind::kNotFound);
}

TEST(DynamoDbScan, FollowsLastEvaluatedKeyToTheLastPage) {
  auto http = std::make_shared<testing::FakeHttpClient>();
  http->Push(200, R"({"Items":[{"pk":{"S":"a"}}],"LastEvaluatedKey":{"pk":{"S":"a"}}})");
  http->Push(200, R"({"Items":[{"pk":{"S":"b"}},{"pk":{"S":"c"}}]})");
  AwsClientOptions options;
  options.credentials = {"testing", "testing", "", "test"};
  options.region = "us-east-1";
  options.http = http;
  DynamoDbClient db(std::make_shared<AwsClient>(options));
  auto items = db.Scan("t");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3U);
  EXPECT_EQ(ItemString((*items)[2], "pk"), "c");
  ASSERT_EQ(http->requests.size(), 2U);
  const Json first = Json::parse(http->requests[0].body);
  const Json second = Json::parse(http->requests[1].body);
  EXPECT_EQ(first["ConsistentRead"], true);
  EXPECT_FALSE(first.contains("ExclusiveStartKey"));
  EXPECT_EQ(second["ExclusiveStartKey"], (Json{{"pk", {{"S", "a"}}}}));
  EXPECT_EQ(http->HeaderValues("Content-Type").front(), "application/x-amz-json-1.0");
  EXPECT_EQ(http->HeaderValues("X-Amz-Target").front(), "DynamoDB_20120810.Scan");
}

}  // namespace
}  // namespace ecsync::aws
