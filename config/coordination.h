#pragma once

// The `coordination:` section: replicas of `ecsync serve` sharing the projects through leases
// in a DynamoDB table (docs/high-availability.md). Absent: one process owns every project.
//
//   coordination:
//     dynamodb: {table: ecsync-coordination, region: eu-west-1}
//     shards: 64
//     lease_duration: 15s
//     renew_interval: 5s
//     replica_id: ecsync-0        # default: <hostname>-<pid>
//     peer_url: http://10.0.3.7:8081   # default: derived from the admin listener

#include <chrono>
#include <string>

#include "base/result.h"

namespace ecsync::config {

class ConfigMapping;

struct CoordinationConfig {
  bool enabled = false;  // the section is given
  std::string table;     // required when enabled
  std::string region;    // "": the aws section's region
  int shards = 64;       // every replica must use one count
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_interval{5'000};  // at most a third of lease_duration
  std::string replica_id;  // unique among the replicas; default DefaultReplicaId()
  // Where the other replicas reach this one's admin listener: "http(s)://host:port" with no
  // path. "": serve derives it (see docs/high-availability.md, "Webhooks and status").
  std::string peer_url;
};

// Reads `top`'s `coordination:` into `out` (left disabled when absent), with
// "<file>:<line>: coordination.<key>: ..." errors.
base::Status ParseCoordination(const ConfigMapping& top, CoordinationConfig* out);

// "<hostname>-<pid>": unique on one host, and new at every start (a restarted replica never
// mistakes its predecessor's leases for its own).
std::string DefaultReplicaId();

}  // namespace ecsync::config
