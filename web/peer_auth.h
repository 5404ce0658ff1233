#pragma once

// How replicas prove a request to each other's internal endpoints (/internal/v1/...) comes
// from a replica: an HMAC-SHA256 under the peer secret every replica reads from the
// coordination table, over the method, the path, a Unix time and the body:
//
//   X-Ecsync-Peer-Time: <unix seconds>
//   X-Ecsync-Peer-Signature: sha256=<hex HMAC(secret, METHOD "\n" PATH "\n" TIME "\n" BODY)>
//
// The secret never travels. The time bounds a replay to kPeerWindow either side (the one use
// of another machine's wall clock in coordination; a replayed request only repeats a
// harmless check or read).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "server/request.h"

namespace ecsync::web {

inline constexpr char kPeerTimeHeader[] = "X-Ecsync-Peer-Time";
inline constexpr char kPeerSignatureHeader[] = "X-Ecsync-Peer-Signature";
inline constexpr std::chrono::seconds kPeerWindow{300};

// The two headers for a request of `method` to `path` with `body`, signed at `now`.
std::vector<std::pair<std::string, std::string>> PeerHeaders(
    const std::string& secret, const std::string& method, const std::string& path,
    const std::string& body, std::chrono::system_clock::time_point now);

// True when `request` carries a signature made with `secret` at a time within kPeerWindow of
// `now`. False for an empty secret. Compares in constant time.
bool VerifyPeerRequest(const server::Request& request, const std::string& secret,
                       std::chrono::system_clock::time_point now);

}  // namespace ecsync::web
