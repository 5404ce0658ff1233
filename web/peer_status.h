#pragma once

// /api/v1/status on any replica (docs/high-availability.md): this replica's status merged
// with every live peer's (GET /internal/v1/status, signed: web/peer_auth.h), so that each
// repository and project shows what the replica holding its shard knows, and which replica
// that is.

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "aws/http.h"
#include "base/clock.h"
#include "web/peers.h"

namespace ecsync::web {

inline constexpr char kPeerStatusPath[] = "/internal/v1/status";

class PeerStatus {
 public:
  // A peer's document is asked for at most once per kFresh (the UI and dashboards poll).
  static constexpr std::chrono::milliseconds kFresh{1'000};

  // `http` (short timeouts) and `clock` must outlive this.
  PeerStatus(aws::HttpClient& http, PeerViewSource view, base::Clock& clock);

  // `local` is this replica's StatusStore::ToJson(). The answer has its shape, with each
  // repository and its projects taken from the document of the replica holding its shard
  // (this replica's own when that is nobody now or the holder did not answer), every
  // repository and project marked "replica": <holder id> ("" when nobody holds it), and
  // "peers": [{id, reachable, error}] for the other live replicas. Peers are asked in
  // parallel. Thread-safe.
  nlohmann::ordered_json Merge(nlohmann::ordered_json local);

 private:
  struct Fetched {
    std::chrono::steady_clock::time_point at;
    std::optional<nlohmann::ordered_json> doc;
    std::string error;
  };
  Fetched Fetch(const std::string& url, const std::string& secret) const;

  aws::HttpClient& http_;
  PeerViewSource view_;
  base::Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Fetched> cache_;  // by replica id; guarded by mu_
};

}  // namespace ecsync::web
