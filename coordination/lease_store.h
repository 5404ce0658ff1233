#pragma once

// The coordination table's items and the conditional writes that move them. One table,
// keyed by the string attribute "pk":
//
//   pk "shard#<n>"       owner (replica id, "" when released), epoch, version, duration_ms
//   pk "replica#<id>"    version (a heartbeat), url (where the others reach its admin port)
//   pk "peer#secret"     secret (the key replicas sign their requests to each other with)
//
// `version` grows on every write of an item, so a reader can tell a renewed lease from a
// stale one without reading any clock in the item. `epoch` grows on every change of owner
// (acquire), never on a renewal, and lease items are never deleted (a release writes owner
// ""), so a shard's epochs only ever increase: a write fenced by an epoch can be told apart
// from every write of an earlier owner.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/dynamodb.h"
#include "base/result.h"

namespace ecsync::coordination {

// The partition key's attribute name (the table's only key).
inline constexpr char kPartitionKey[] = "pk";

struct LeaseRecord {
  int shard = 0;
  std::string owner;  // "" when released
  int64_t epoch = 0;
  int64_t version = 0;
  std::chrono::milliseconds duration{0};  // the owner's lease duration
};

struct HeartbeatRecord {
  std::string replica;
  int64_t version = 0;
  std::string url;  // "" when the replica advertises none
};

// The whole table at one read.
struct TableSnapshot {
  std::map<int, LeaseRecord> leases;  // by shard; shards never taken have no item
  std::vector<HeartbeatRecord> heartbeats;
  std::string peer_secret;  // "" until a replica created it (EnsurePeerSecret)
};

// Thread-safe when `dynamodb` is. Errors are the DynamoDB client's: kConflict when a
// condition failed (another replica wrote first), others when DynamoDB could not be asked.
class LeaseStore {
 public:
  LeaseStore(std::shared_ptr<aws::DynamoDb> dynamodb, std::string table);

  // Every lease and heartbeat item (one consistent Scan; items of other shapes are skipped).
  base::Result<TableSnapshot> Read();

  // Takes `shard` for `replica`: creates the item when `observed` is nullopt (the shard has
  // none), otherwise overwrites it on condition that its version is still
  // `observed->version` (so of two replicas taking one expired lease, one wins). The new
  // owner's epoch is observed epoch + 1 (1 for a new item).
  base::Result<LeaseRecord> Acquire(int shard, const std::optional<LeaseRecord>& observed,
                                    const std::string& replica, std::chrono::milliseconds duration);
  // Bumps the version of a lease `held` by its owner, on condition that owner and epoch are
  // still held's: kConflict means the lease was taken over. Returns the record as written.
  base::Result<LeaseRecord> Renew(const LeaseRecord& held);
  // Hands a held lease back (owner "", version + 1) on the same condition as Renew; another
  // replica may take it at once.
  base::Status Release(const LeaseRecord& held);

  // Bumps the heartbeat of `replica` (creating it) and sets its url; its new version.
  base::Result<int64_t> Heartbeat(const std::string& replica, const std::string& url);
  // Creates the peer secret item with `secret` unless one exists (conditional: of two
  // replicas starting together one wins, and both read the winner's at the next Read).
  base::Status EnsurePeerSecret(const std::string& secret);
  // Deletes the heartbeat of `replica` (a graceful exit: the others stop counting it now).
  base::Status Deregister(const std::string& replica);

 private:
  std::shared_ptr<aws::DynamoDb> dynamodb_;
  std::string table_;
};

std::string ShardKey(int shard);
std::string ReplicaKey(const std::string& replica);

}  // namespace ecsync::coordination
