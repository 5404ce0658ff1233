#include "cli/replica.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "aws/make_clients.h"
#include "base/log.h"
#include "coordination/shards.h"
#include "server/socket.h"

namespace ecsync::cli {

namespace {

// The first IPv4 address of an interface that is up and not loopback; "" when none.
std::string FirstIpv4Address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* it = list; it != nullptr && found.empty(); it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    const auto* address = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    if ((ntohl(address->sin_addr.s_addr) >> 24) == 127) continue;
    std::array<char, INET_ADDRSTRLEN> text{};
    if (inet_ntop(AF_INET, &address->sin_addr, text.data(), text.size()) != nullptr) {
      found = text.data();
    }
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

std::string PeerUrl(const config::Config& config, const std::string& admin_listen, int admin_port) {
  if (!config.coordination.peer_url.empty()) return config.coordination.peer_url;
  std::string host;
  if (auto parsed = server::ParseListenAddress(admin_listen); parsed.ok()) host = parsed->first;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = FirstIpv4Address();
  if (host.empty()) {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) == 0) host = name.data();
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(admin_port);
}

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
  // One attempt, given up once its answer could no longer help: a lease's validity counts
  // from the moment its write was sent, so a renewal answered after lease_duration less the
  // safety margin (the coordinator's default, a fifth) keeps no fence alive, and the next
  // Tick makes it again anyway. A slow but working table still renews in time; a lost call
  // no longer holds the Ticks up for the AWS clients' 3 attempts of up to 60 s each.
  options.max_attempts = 1;
  options.http.total_timeout = section.lease_duration - section.lease_duration / 5;
  options.http.connect_timeout = std::min(options.http.connect_timeout, section.renew_interval);
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

void Replica::Start(const std::string& peer_url) {
  coordinator_.SetPeerUrl(peer_url);
  base::Log(base::LogLevel::kInfo, "sharing the projects with other replicas",
            {{"replica", coordinator_.options().replica_id},
             {"peer_url", peer_url},
             {"table", coordinator_.options().table},
             {"shards", std::to_string(coordinator_.options().shard_count)}});
  thread_ = std::thread([this] { Loop(); });
}

void Replica::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    // Ticks start a renew interval apart, however long one took (a slow tick does not push
    // every later renewal back); one that overran starts the next at once.
    const auto next = std::chrono::steady_clock::now() + coordinator_.options().renew_interval;
    lock.unlock();
    coordinator_.Tick();
    lock.lock();
    wake_.wait_until(lock, next, [this] { return stopping_; });
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

web::PeerView Replica::View() const {
  coordination::PeerDirectory directory = coordinator_.Directory();
  web::PeerView view;
  view.self = coordinator_.options().replica_id;
  view.secret = std::move(directory.secret);
  view.urls = std::move(directory.urls);
  view.owner = [owners = std::move(directory.owners),
                shards = coordinator_.options().shard_count](const std::string& url) {
    auto it = owners.find(coordination::ShardOf(url, shards));
    return it == owners.end() ? std::string() : it->second;
  };
  return view;
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
