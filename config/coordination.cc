#include "config/coordination.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "base/utf8.h"
#include "config/reader.h"

namespace ecsync::config {
namespace {

constexpr std::string_view kCoordinationKeys[] = {"dynamodb",       "shards",     "lease_duration",
                                                  "renew_interval", "replica_id", "peer_url"};
constexpr std::string_view kDynamoDbKeys[] = {"table", "region"};
constexpr int kMaxShards = 4096;
constexpr size_t kMaxReplicaId = 128;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool NameChars(const std::string& text) { return std::all_of(text.begin(), text.end(), NameChar); }

// http(s)://host:port, optionally with a trailing slash: the replicas append their paths.
bool PeerUrlShape(const std::string& url) {
  std::string_view rest(url);
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return false;
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return false;
  for (char c : rest.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : rest.substr(0, colon)) {
    if (!NameChar(c) && c != ':' && c != '[' && c != ']') return false;  // names, IPv4, [IPv6]
  }
  return true;
}

}  // namespace

std::string DefaultReplicaId() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') {
    return "replica-" + std::to_string(getpid());
  }
  std::string id(host.data());
  for (char& c : id) {
    if (!NameChar(c)) c = '-';
  }
  return id.substr(0, kMaxReplicaId - 12) + "-" + std::to_string(getpid());
}

base::Status ParseCoordination(const ConfigMapping& top, CoordinationConfig* out) {
  if (!top.Has("coordination")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, top.Child("coordination", kCoordinationKeys));
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping dynamodb, map.Child("dynamodb", kDynamoDbKeys));
  out->enabled = true;
  ECSYNC_RETURN_IF_ERROR(dynamodb.String("table", &out->table));
  if (out->table.empty()) {
    return dynamodb.Error("table",
                          "is required: name the DynamoDB table the replicas share "
                          "(create it with `ecsync coordination create-table`)");
  }
  if (out->table.size() < 3 || out->table.size() > 255 || !NameChars(out->table)) {
    return dynamodb.Error("table", "\"" + out->table +
                                       "\" is not a table name: 3 to 255 letters, digits, "
                                       "'_', '-' or '.'");
  }
  ECSYNC_RETURN_IF_ERROR(dynamodb.String("region", &out->region));
  ECSYNC_RETURN_IF_ERROR(map.Int("shards", 1, kMaxShards, &out->shards));
  ECSYNC_RETURN_IF_ERROR(
      map.Duration("lease_duration", /*allow_zero=*/false, &out->lease_duration));
  ECSYNC_RETURN_IF_ERROR(
      map.Duration("renew_interval", /*allow_zero=*/false, &out->renew_interval));
  if (out->renew_interval * 3 > out->lease_duration) {
    return map.Error(map.Has("renew_interval") ? "renew_interval" : "lease_duration",
                     "renew_interval must be at most a third of lease_duration, so that a "
                     "lease is renewed twice before its fence (lease_duration less a fifth) ends");
  }
  ECSYNC_RETURN_IF_ERROR(map.String("replica_id", &out->replica_id));
  if (out->replica_id.empty()) {
    out->replica_id = DefaultReplicaId();
  } else if (out->replica_id.size() > kMaxReplicaId || !NameChars(out->replica_id)) {
    return map.Error("replica_id", "\"" + out->replica_id +
                                       "\" is not a replica id: at most 128 letters, digits, "
                                       "'_', '-' or '.' (default: <hostname>-<pid>)");
  }
  ECSYNC_RETURN_IF_ERROR(map.String("peer_url", &out->peer_url));
  if (!out->peer_url.empty() && !PeerUrlShape(out->peer_url)) {
    return map.Error("peer_url", "\"" + base::Utf8Prefix(out->peer_url, 200) +
                                     "\" is not http://HOST:PORT or https://HOST:PORT (no "
                                     "path): the address the other replicas reach this "
                                     "replica's admin listener at");
  }
  return base::Status::Ok();
}

}  // namespace ecsync::config
