#pragma once

// The `api:` section of the configuration file: who may use the operator API
// (web/operator_api) and how. Tokens are kept only as SHA-256 digests, so neither the file nor
// the running process holds a usable token. Used by config.cc.

#include <string>
#include <vector>

#include "base/result.h"
#include "config/reader.h"

namespace ecsync::config {

struct Sources;

// What a token may do: `read` the status endpoints, or `operate` (read, and the actions:
// reconcile, suspend, resume, acknowledge).
enum class ApiRole { kRead, kOperate };
const char* ApiRoleName(ApiRole role);

struct ApiToken {
  // Unique; [a-z0-9_-]. Logged with every action taken with the token (never the token).
  std::string name;
  // The raw 32-byte SHA-256 digest of the token. Written in the file as 64 hex digits
  // (`printf %s "$TOKEN" | sha256sum`), or computed at load from `token: {env:|file:}`,
  // whose plain value is dropped at once.
  std::string sha256;
  ApiRole role = ApiRole::kRead;
  int line = 0;  // where the entry starts in the file, for messages
};

struct ApiConfig {
  std::vector<ApiToken> tokens;
  // The read endpoints (status JSON, a project's JSON, the status page) answer without a
  // token. They always do when no token is configured; actions never do.
  bool open_reads = false;
};

// Reads `top`'s `api:` mapping into `api` (left as it is when absent). Refuses, naming the
// line and key: a digest that is not 64 hex digits, both or neither of sha256 and token, an
// unknown role, a name used twice, and a token listed twice (under two names).
base::Status ParseApi(const ConfigMapping& top, const Sources& sources, ApiConfig* api);

}  // namespace ecsync::config
