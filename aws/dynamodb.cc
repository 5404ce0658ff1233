#include "aws/dynamodb.h"

#include <charconv>

#include "aws/json_protocol.h"

namespace ecsync::aws {

const ServiceInfo kDynamoDbService{"DynamoDB",      "dynamodb",          "dynamodb", "2012-08-10",
                                   Protocol::kJson, "DynamoDB_20120810", "1.0"};

namespace {

using Json = nlohmann::json;

// The table's size is bounded by the shard count plus the replicas; a table that keeps
// paging past this is not a coordination table (or something loops), not worth waiting on.
constexpr int kMaxScanPages = 1'000;

// Adds the condition's expression and placeholders to `input`. `update` shares them.
void AddCondition(const DynamoCondition& condition, Json* input) {
  if (!condition.expression.empty()) (*input)["ConditionExpression"] = condition.expression;
  if (!condition.names.empty()) (*input)["ExpressionAttributeNames"] = condition.names;
  if (!condition.values.empty()) (*input)["ExpressionAttributeValues"] = condition.values;
}

}  // namespace

Json DynamoString(const std::string& value) { return Json{{"S", value}}; }

Json DynamoNumber(int64_t value) { return Json{{"N", std::to_string(value)}}; }

std::string ItemString(const DynamoItem& item, const std::string& name) {
  if (!item.is_object()) return "";
  auto it = item.find(name);
  return it == item.end() ? "" : JsonString(*it, "S");
}

int64_t ItemNumber(const DynamoItem& item, const std::string& name) {
  if (!item.is_object()) return 0;
  auto it = item.find(name);
  if (it == item.end()) return 0;
  const std::string text = JsonString(*it, "N");
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

DynamoDbClient::DynamoDbClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<std::optional<DynamoItem>> DynamoDbClient::GetItem(const std::string& table,
                                                                const DynamoItem& key) {
  Json input{{"TableName", table}, {"Key", key}, {"ConsistentRead", true}};
  ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kDynamoDbService, "GetItem", input));
  auto item = output.find("Item");
  if (item == output.end() || !item->is_object()) return std::optional<DynamoItem>();
  return std::optional<DynamoItem>(*item);
}

base::Status DynamoDbClient::PutItem(const std::string& table, const DynamoItem& item,
                                     const DynamoCondition& condition) {
  Json input{{"TableName", table}, {"Item", item}};
  AddCondition(condition, &input);
  return client_->CallJson(kDynamoDbService, "PutItem", input).status();
}

base::Result<DynamoItem> DynamoDbClient::UpdateItem(const std::string& table, const DynamoItem& key,
                                                    const std::string& update,
                                                    const DynamoCondition& condition) {
  Json input{{"TableName", table},
             {"Key", key},
             {"UpdateExpression", update},
             {"ReturnValues", "ALL_NEW"}};
  AddCondition(condition, &input);
  ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kDynamoDbService, "UpdateItem", input));
  auto attributes = output.find("Attributes");
  if (attributes == output.end() || !attributes->is_object()) {
    return base::TransientError("DynamoDB UpdateItem: the answer holds no item");
  }
  return DynamoItem(*attributes);
}

base::Status DynamoDbClient::DeleteItem(const std::string& table, const DynamoItem& key,
                                        const DynamoCondition& condition) {
  Json input{{"TableName", table}, {"Key", key}};
  AddCondition(condition, &input);
  return client_->CallJson(kDynamoDbService, "DeleteItem", input).status();
}

base::Result<std::vector<DynamoItem>> DynamoDbClient::Scan(const std::string& table) {
  std::vector<DynamoItem> items;
  Json start;  // LastEvaluatedKey of the previous page: an item key, not a string token
  for (int page = 0; page < kMaxScanPages; ++page) {
    Json input{{"TableName", table}, {"ConsistentRead", true}};
    if (start.is_object()) input["ExclusiveStartKey"] = start;
    ECSYNC_ASSIGN_OR_RETURN(Json output, client_->CallJson(kDynamoDbService, "Scan", input));
    for (const Json& item : JsonArray(output, "Items")) {
      if (item.is_object()) items.push_back(item);
    }
    auto next = output.find("LastEvaluatedKey");
    if (next == output.end() || !next->is_object() || next->empty()) return items;
    start = *next;
  }
  return base::InternalError("DynamoDB Scan of " + table + ": more than " +
                             std::to_string(kMaxScanPages) + " pages");
}

base::Status DynamoDbClient::CreateTable(const std::string& table,
                                         const std::string& partition_key) {
  Json input{{"TableName", table},
             {"AttributeDefinitions",
              Json::array({{{"AttributeName", partition_key}, {"AttributeType", "S"}}})},
             {"KeySchema", Json::array({{{"AttributeName", partition_key}, {"KeyType", "HASH"}}})},
             {"BillingMode", "PAY_PER_REQUEST"}};
  return client_->CallJson(kDynamoDbService, "CreateTable", input).status();
}

base::Result<DynamoTable> DynamoDbClient::DescribeTable(const std::string& table) {
  ECSYNC_ASSIGN_OR_RETURN(
      Json output, client_->CallJson(kDynamoDbService, "DescribeTable", {{"TableName", table}}));
  auto description = output.find("Table");
  if (description == output.end() || !description->is_object()) {
    return base::TransientError("DynamoDB DescribeTable: the answer describes no table");
  }
  DynamoTable out;
  out.name = JsonString(*description, "TableName");
  out.status = JsonString(*description, "TableStatus");
  for (const Json& key : JsonArray(*description, "KeySchema")) {
    if (JsonString(key, "KeyType") == "HASH") out.partition_key = JsonString(key, "AttributeName");
  }
  if (auto billing = description->find("BillingModeSummary"); billing != description->end()) {
    out.billing_mode = JsonString(*billing, "BillingMode");
  }
  return out;
}

}  // namespace ecsync::aws
