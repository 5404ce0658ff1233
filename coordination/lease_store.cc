#include "coordination/lease_store.h"

#include <charconv>

namespace ecsync::coordination {
namespace {

using aws::DynamoCondition;
using aws::DynamoItem;
using aws::DynamoNumber;
using aws::DynamoString;
using aws::ItemNumber;
using aws::ItemString;
using Json = nlohmann::json;

constexpr char kShardPrefix[] = "shard#";
constexpr char kReplicaPrefix[] = "replica#";
constexpr char kPeerSecretKey[] = "peer#secret";

DynamoItem KeyOf(const std::string& pk) { return Json{{kPartitionKey, DynamoString(pk)}}; }

// The shard number after "shard#", or -1 when the key is not a lease's.
int ShardOfKey(const std::string& pk) {
  if (!pk.starts_with(kShardPrefix)) return -1;
  const char* begin = pk.data() + sizeof(kShardPrefix) - 1;
  const char* end = pk.data() + pk.size();
  int shard = -1;
  auto [stop, error] = std::from_chars(begin, end, shard);
  return error == std::errc() && stop == end && shard >= 0 ? shard : -1;
}

LeaseRecord LeaseOf(int shard, const DynamoItem& item) {
  return LeaseRecord{shard, ItemString(item, "owner"), ItemNumber(item, "epoch"),
                     ItemNumber(item, "version"),
                     std::chrono::milliseconds(ItemNumber(item, "duration_ms"))};
}

// owner and version are reserved words in DynamoDB expressions: always through #names.
Json HeldNames() { return Json{{"#owner", "owner"}, {"#version", "version"}}; }

DynamoCondition HeldBy(const LeaseRecord& held) {
  return DynamoCondition{"#owner = :owner AND epoch = :epoch", HeldNames(),
                         Json{{":owner", DynamoString(held.owner)},
                              {":epoch", DynamoNumber(held.epoch)},
                              {":one", DynamoNumber(1)}}};
}

}  // namespace

std::string ShardKey(int shard) { return kShardPrefix + std::to_string(shard); }
std::string ReplicaKey(const std::string& replica) { return kReplicaPrefix + replica; }

LeaseStore::LeaseStore(std::shared_ptr<aws::DynamoDb> dynamodb, std::string table)
    : dynamodb_(std::move(dynamodb)), table_(std::move(table)) {}

base::Result<TableSnapshot> LeaseStore::Read() {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<DynamoItem> items, dynamodb_->Scan(table_));
  TableSnapshot snapshot;
  for (const DynamoItem& item : items) {
    const std::string pk = ItemString(item, kPartitionKey);
    if (int shard = ShardOfKey(pk); shard >= 0) {
      snapshot.leases[shard] = LeaseOf(shard, item);
    } else if (pk.starts_with(kReplicaPrefix) && pk.size() > sizeof(kReplicaPrefix) - 1) {
      snapshot.heartbeats.push_back({pk.substr(sizeof(kReplicaPrefix) - 1),
                                     ItemNumber(item, "version"), ItemString(item, "url")});
    } else if (pk == kPeerSecretKey) {
      snapshot.peer_secret = ItemString(item, "secret");
    }
  }
  return snapshot;
}

base::Result<LeaseRecord> LeaseStore::Acquire(int shard, const std::optional<LeaseRecord>& observed,
                                              const std::string& replica,
                                              std::chrono::milliseconds duration) {
  LeaseRecord taken{shard, replica, observed ? observed->epoch + 1 : 1,
                    observed ? observed->version + 1 : 1, duration};
  DynamoItem item{{kPartitionKey, DynamoString(ShardKey(shard))},
                  {"owner", DynamoString(replica)},
                  {"epoch", DynamoNumber(taken.epoch)},
                  {"version", DynamoNumber(taken.version)},
                  {"duration_ms", DynamoNumber(duration.count())}};
  DynamoCondition condition;
  if (observed) {
    condition = {"#version = :version", Json{{"#version", "version"}},
                 Json{{":version", DynamoNumber(observed->version)}}};
  } else {
    condition.expression = "attribute_not_exists(pk)";
  }
  ECSYNC_RETURN_IF_ERROR(dynamodb_->PutItem(table_, item, condition));
  return taken;
}

base::Result<LeaseRecord> LeaseStore::Renew(const LeaseRecord& held) {
  ECSYNC_ASSIGN_OR_RETURN(DynamoItem item,
                          dynamodb_->UpdateItem(table_, KeyOf(ShardKey(held.shard)),
                                                "SET #version = #version + :one", HeldBy(held)));
  return LeaseOf(held.shard, item);
}

base::Status LeaseStore::Release(const LeaseRecord& held) {
  DynamoCondition condition = HeldBy(held);
  condition.values[":none"] = DynamoString("");
  return dynamodb_
      ->UpdateItem(table_, KeyOf(ShardKey(held.shard)),
                   "SET #owner = :none, #version = #version + :one", condition)
      .status();
}

base::Result<int64_t> LeaseStore::Heartbeat(const std::string& replica, const std::string& url) {
  DynamoCondition bind{"", Json{{"#version", "version"}, {"#url", "url"}},
                       Json{{":one", DynamoNumber(1)}, {":url", DynamoString(url)}}};
  ECSYNC_ASSIGN_OR_RETURN(DynamoItem item,
                          dynamodb_->UpdateItem(table_, KeyOf(ReplicaKey(replica)),
                                                "ADD #version :one SET #url = :url", bind));
  return ItemNumber(item, "version");
}

base::Status LeaseStore::EnsurePeerSecret(const std::string& secret) {
  DynamoItem item{{kPartitionKey, DynamoString(kPeerSecretKey)}, {"secret", DynamoString(secret)}};
  DynamoCondition condition;
  condition.expression = "attribute_not_exists(pk)";
  base::Status put = dynamodb_->PutItem(table_, item, condition);
  if (put.kind() == base::ErrorKind::kConflict) return base::Status::Ok();  // one exists
  return put;
}

base::Status LeaseStore::Deregister(const std::string& replica) {
  return dynamodb_->DeleteItem(table_, KeyOf(ReplicaKey(replica)), DynamoCondition{});
}

}  // namespace ecsync::coordination
