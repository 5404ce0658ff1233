#pragma once

// `serve`'s side of sharing the projects with other replicas (docs/high-availability.md):
// the DynamoDB client and the coordinator the `coordination:` section describes, and the
// thread that runs Coordinator::Tick every renew_interval. Absent section: not built, and
// the process owns every project as before.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "aws/observer.h"
#include "base/env.h"
#include "base/fence.h"
#include "base/result.h"
#include "config/config.h"
#include "coordination/coordinator.h"
#include "metrics/metrics.h"
#include "web/peers.h"

namespace ecsync::cli {

// Where the other replicas reach this one's admin listener, bound at `admin_listen` on
// `admin_port`: coordination.peer_url when set; else http://HOST:PORT with the listen
// address's host when it names one, or this machine's first non-loopback IPv4 address when
// it listens on every address (a pod's IP on Kubernetes), or its hostname.
std::string PeerUrl(const config::Config& config, const std::string& admin_listen, int admin_port);

class Replica {
 public:
  // Builds the DynamoDB client (region: coordination.dynamodb.region, else the aws
  // section's; endpoint, profile and role: the aws section's) and the coordinator.
  // REQUIRES: config.coordination.enabled. `metrics` may be null; it must outlive this.
  static base::Result<std::unique_ptr<Replica>> Make(const config::Config& config,
                                                     const base::EnvLookup& env,
                                                     std::shared_ptr<aws::CallObserver> observer,
                                                     metrics::Metrics* metrics);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Starts the Tick loop (its first Tick runs at once), advertising `peer_url` (PeerUrl()).
  void Start(const std::string& peer_url);
  // Ends the loop, then hands every lease back (Coordinator::Shutdown) so the other replicas
  // take the shards at their next Tick. Call once nothing writes for a project any more.
  void Stop();

  // The fence of the shard `repo_url` belongs to while this replica holds it with time to
  // spare; nullopt otherwise. Thread-safe.
  std::optional<base::Fence> FenceFor(const std::string& repo_url) const;
  // {"replica_id", "healthy", "reason", "owned_shards", "shards", "fair_share",
  // "live_replicas"} for /api/v1/status and /readyz. Thread-safe.
  nlohmann::ordered_json StatusJson() const;
  // The other replicas as the last table read showed them, for forwarding webhooks and
  // merging status (web/peers.h). Thread-safe.
  web::PeerView View() const;

 private:
  Replica(std::shared_ptr<aws::DynamoDb> dynamodb, coordination::CoordinatorOptions options,
          metrics::Metrics* metrics);
  void Loop();

  coordination::Coordinator coordinator_;
  metrics::Metrics* metrics_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ecsync::cli
