#pragma once

// Amazon DynamoDB as replica coordination uses it (coordination/): single items read with
// strong consistency, written with conditions, and small tables scanned whole.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/client.h"
#include "base/result.h"

namespace ecsync::aws {

// The DynamoDB API's service description (JSON 1.0, DynamoDB_20120810); its endpoint
// honours AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL like every other service.
extern const ServiceInfo kDynamoDbService;

// An item (or a key, or expression values) in DynamoDB's wire form: a JSON object of
// attribute name -> typed value, e.g. {"pk": {"S": "shard#3"}, "epoch": {"N": "7"}}.
using DynamoItem = nlohmann::json;

// Typed attribute values and reads of them. A read of an absent attribute, or of one of
// another type, gives "" or 0 (numbers that do not parse as int64 also give 0).
nlohmann::json DynamoString(const std::string& value);
nlohmann::json DynamoNumber(int64_t value);
std::string ItemString(const DynamoItem& item, const std::string& name);
int64_t ItemNumber(const DynamoItem& item, const std::string& name);

// A write that only happens when `condition` holds of the item as stored. `values` binds
// the ":name" placeholders of the expressions (a DynamoItem); `names` the "#name" ones
// (a JSON object of strings), for attribute names DynamoDB reserves (owner, version).
struct DynamoCondition {
  std::string expression;  // empty: unconditional
  nlohmann::json names = nlohmann::json::object();
  DynamoItem values = nlohmann::json::object();
};

struct DynamoTable {
  std::string name;
  std::string status;         // CREATING | ACTIVE | UPDATING | DELETING | ...
  std::string partition_key;  // the HASH key's attribute name
  std::string billing_mode;   // PAY_PER_REQUEST | PROVISIONED ("" when not reported)
};

// The DynamoDB calls coordination needs. A seam for tests. Implementations are thread-safe.
// A condition that does not hold is kConflict (ConditionalCheckFailedException); a missing
// table is kNotFound; throttling kThrottled; other service failures kTransient.
class DynamoDb {
 public:
  virtual ~DynamoDb() = default;
  // The item with `key`, read with strong consistency; nullopt when there is none.
  virtual base::Result<std::optional<DynamoItem>> GetItem(const std::string& table,
                                                          const DynamoItem& key) = 0;
  // Writes the whole `item` when `condition` holds.
  virtual base::Status PutItem(const std::string& table, const DynamoItem& item,
                               const DynamoCondition& condition) = 0;
  // Applies `update` (an UpdateExpression such as "SET #v = #v + :one"; its placeholders are
  // bound by `condition`'s names and values) to the item with `key` when `condition`
  // holds; the item as written (ReturnValues ALL_NEW).
  virtual base::Result<DynamoItem> UpdateItem(const std::string& table, const DynamoItem& key,
                                              const std::string& update,
                                              const DynamoCondition& condition) = 0;
  // Deletes the item with `key` when `condition` holds (deleting no item is not an error
  // when there is no condition).
  virtual base::Status DeleteItem(const std::string& table, const DynamoItem& key,
                                  const DynamoCondition& condition) = 0;
  // Every item of the table, page after page, read with strong consistency. For small
  // tables only (coordination keeps one item per shard and per replica).
  virtual base::Result<std::vector<DynamoItem>> Scan(const std::string& table) = 0;
  // Creates an on-demand (PAY_PER_REQUEST) table keyed by the string attribute
  // `partition_key`; kConflict when it exists.
  virtual base::Status CreateTable(const std::string& table, const std::string& partition_key) = 0;
  virtual base::Result<DynamoTable> DescribeTable(const std::string& table) = 0;
};

// DynamoDB over the AWS API, with `client`'s credentials, region, retries and rate limit.
class DynamoDbClient final : public DynamoDb {
 public:
  explicit DynamoDbClient(std::shared_ptr<AwsClient> client);
  base::Result<std::optional<DynamoItem>> GetItem(const std::string& table,
                                                  const DynamoItem& key) override;
  base::Status PutItem(const std::string& table, const DynamoItem& item,
                       const DynamoCondition& condition) override;
  base::Result<DynamoItem> UpdateItem(const std::string& table, const DynamoItem& key,
                                      const std::string& update,
                                      const DynamoCondition& condition) override;
  base::Status DeleteItem(const std::string& table, const DynamoItem& key,
                          const DynamoCondition& condition) override;
  base::Result<std::vector<DynamoItem>> Scan(const std::string& table) override;
  base::Status CreateTable(const std::string& table, const std::string& partition_key) override;
  base::Result<DynamoTable> DescribeTable(const std::string& table) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
