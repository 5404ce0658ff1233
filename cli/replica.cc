#include "cli/replica.h"

#include <utility>

#include "aws/make_clients.h"
#include "base/log.h"
#include "coordination/shards.h"

namespace ecsync::cli {

base::Result<std::unique_ptr<Replica>> Replica::Make(const config::Config& config,
                                                     const base::EnvLookup& env,
                                                     std::shared_ptr<aws::CallObserver> observer,
                                                     metrics::Metrics* metrics) {
  const config::CoordinationConfig& section = config.coordination;
  aws::AwsClientsOptions options;
  options.env = env;
  options.endpoint_override = config.aws.endpoint_url;
  options.region_override = section.region.empty() ? config.aws.region : section.region;
  options.profile = config.aws.profile;
  options.role_arn = config.aws.role_arn;
  options.observer = std::move(observer);
  // Not the reconciles' rate limiter: a burst of deploys must never delay a renewal.
  ECSYNC_ASSIGN_OR_RETURN(aws::AwsClients clients, aws::MakeAwsClients(options));
  coordination::CoordinatorOptions coordinator;
  coordinator.table = section.table;
  coordinator.replica_id = section.replica_id;
  coordinator.shard_count = section.shards;
  coordinator.lease_duration = section.lease_duration;
  coordinator.renew_interval = section.renew_interval;
  return std::unique_ptr<Replica>(
      new Replica(std::move(clients.dynamodb), std::move(coordinator), metrics));
}

Replica::Replica(std::shared_ptr<aws::DynamoDb> dynamodb, coordination::CoordinatorOptions options,
                 metrics::Metrics* metrics)
    : coordinator_(std::move(dynamodb), std::move(options)), metrics_(metrics) {
  if (metrics_ != nullptr) {
    coordinator_.SetObserver([this](const coordination::CoordinatorStatus& status) {
      metrics_->SetShardsOwned(static_cast<int>(status.owned.size()), status.healthy);
    });
  }
}

Replica::~Replica() { Stop(); }

void Replica::Start() {
  base::Log(base::LogLevel::kInfo, "sharing the projects with other replicas",
            {{"replica", coordinator_.options().replica_id},
             {"table", coordinator_.options().table},
             {"shards", std::to_string(coordinator_.options().shard_count)}});
  thread_ = std::thread([this] { Loop(); });
}

void Replica::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    coordinator_.Tick();
    lock.lock();
    wake_.wait_for(lock, coordinator_.options().renew_interval, [this] { return stopping_; });
  }
}

void Replica::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  coordinator_.Shutdown();
  base::Log(base::LogLevel::kInfo, "handed every shard back",
            {{"replica", coordinator_.options().replica_id}});
}

std::optional<base::Fence> Replica::FenceFor(const std::string& repo_url) const {
  return coordinator_.Owns(coordination::ShardOf(repo_url, coordinator_.options().shard_count));
}

nlohmann::ordered_json Replica::StatusJson() const {
  const coordination::CoordinatorStatus status = coordinator_.Status();
  nlohmann::ordered_json doc;
  doc["replica_id"] = coordinator_.options().replica_id;
  doc["healthy"] = status.healthy;
  doc["reason"] = status.reason;
  doc["shards"] = coordinator_.options().shard_count;
  doc["owned_shards"] = status.owned;
  doc["fair_share"] = status.fair_share;
  doc["live_replicas"] = status.live_replicas;
  return doc;
}

}  // namespace ecsync::cli
