// Reading the `api:` section: operator API tokens (as SHA-256 digests) and open reads.
#include "config/api.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>

#include "base/hash.h"
#include "base/strings.h"
#include "compose/yaml_tree.h"
#include "config/projects.h"
#include "config/secret.h"
#include "config/values.h"

namespace ecsync::config {

namespace {

constexpr std::string_view kApiKeys[] = {"tokens", "open_reads"};
constexpr std::string_view kTokenKeys[] = {"name", "sha256", "token", "role"};

constexpr size_t kDigestHexLength = 64;
// A token read from the environment or a file shorter than this is refused: its digest in a
// leaked configuration would be cheap to reverse.
constexpr size_t kMinTokenLength = 16;

const char kHashHowTo[] =
    "write the SHA-256 of the token as 64 hex digits (printf %s \"$TOKEN\" | sha256sum), or "
    "token: {env: NAME} to read the token itself from the environment";

// The 32 bytes that 64 hex digits (either case) spell; nullopt for anything else.
std::optional<std::string> DecodeDigest(std::string_view hex) {
  if (hex.size() != kDigestHexLength) return std::nullopt;
  return base::HexDecode(hex);
}

base::Status ParseRole(const ConfigMapping& map, ApiRole* role) {
  if (!map.Has("role")) {
    return ConfigError(map.location(), map.path(),
                       "needs role: read (the status endpoints) or operate (also reconcile, "
                       "suspend, resume and acknowledge)");
  }
  std::string text;
  ECSYNC_RETURN_IF_ERROR(map.String("role", &text));
  if (text == "read") {
    *role = ApiRole::kRead;
  } else if (text == "operate") {
    *role = ApiRole::kOperate;
  } else {
    return map.Error("role", "\"" + text + "\" is not a role; write read or operate");
  }
  return base::Status::Ok();
}

// The digest of one entry, from `sha256` or from the `token` reference (whose value is dropped
// here).
base::Status ParseDigest(const ConfigMapping& map, const Sources& sources, std::string* digest) {
  if (map.Has("sha256") == map.Has("token")) {
    return ConfigError(map.location(), map.path(),
                       map.Has("sha256") ? "give only one of sha256 and token"
                                         : std::string("needs sha256 or token; ") + kHashHowTo);
  }
  if (map.Has("sha256")) {
    std::string hex;
    ECSYNC_RETURN_IF_ERROR(map.String("sha256", &hex));
    std::optional<std::string> bytes = DecodeDigest(base::TrimAscii(hex));
    // Never echo the value: someone may have pasted the token itself here.
    if (!bytes) {
      return map.Error("sha256", "is not 64 hex digits (found " + std::to_string(hex.size()) +
                                     " characters); " + kHashHowTo);
    }
    *digest = std::move(*bytes);
    return base::Status::Ok();
  }
  std::string token;
  ECSYNC_RETURN_IF_ERROR(ReadSecret(map, "token", sources.env, sources.read_file, &token));
  if (token.size() < kMinTokenLength) {
    return map.Error("token",
                     "is " + std::to_string(token.size()) + " characters long; use at least " +
                         std::to_string(kMinTokenLength) + " random ones (openssl rand -hex 32)");
  }
  *digest = base::Sha256(token);
  // The plain token goes no further than this function.
  std::fill(token.begin(), token.end(), '\0');
  return base::Status::Ok();
}

}  // namespace

const char* ApiRoleName(ApiRole role) { return role == ApiRole::kOperate ? "operate" : "read"; }

base::Status ParseApi(const ConfigMapping& top, const Sources& sources, ApiConfig* api) {
  if (!top.Has("api")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, top.Child("api", kApiKeys));
  ECSYNC_RETURN_IF_ERROR(map.Bool("open_reads", &api->open_reads));
  const compose::YamlNode* list = map.Find("tokens");
  if (list == nullptr) return base::Status::Ok();
  if (!list->IsSequence()) {
    return map.Error(
        "tokens", "must be a list of {name, sha256 or token, role}, found " + DescribeValue(*list));
  }
  std::map<std::string, int> names;    // name -> line
  std::map<std::string, int> digests;  // digest -> index
  for (size_t i = 0; i < list->items.size(); ++i) {
    const compose::YamlNode& item = list->items[i];
    const std::string path = map.KeyPath("tokens") + "[" + std::to_string(i) + "]";
    if (!item.IsMapping()) {
      return ConfigError(
          item.location, path,
          "must be a mapping with name, sha256 (or token) and role, found " + DescribeValue(item));
    }
    ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping entry, ConfigMapping::Open(item, path, kTokenKeys));
    ApiToken token;
    token.line = item.location.line;
    ECSYNC_RETURN_IF_ERROR(entry.String("name", &token.name));
    if (!entry.Has("name")) {
      return ConfigError(item.location, path,
                         "needs a name (logged with every action taken with this token)");
    }
    if (!IsValidName(token.name)) {
      return entry.Error("name", "\"" + token.name +
                                     "\" is not a valid name; use only lower-case letters, "
                                     "digits, _ and -");
    }
    if (auto [it, added] = names.emplace(token.name, token.line); !added) {
      return entry.Error("name", "\"" + token.name + "\" is used already by the token at line " +
                                     std::to_string(it->second) + "; give each token its own name");
    }
    ECSYNC_RETURN_IF_ERROR(ParseDigest(entry, sources, &token.sha256));
    if (auto [it, added] = digests.emplace(token.sha256, static_cast<int>(i)); !added) {
      return ConfigError(item.location, path,
                         "is the same token as " + map.KeyPath("tokens") + "[" +
                             std::to_string(it->second) + "] (" + api->tokens[it->second].name +
                             "); give each person or system a token of its own");
    }
    ECSYNC_RETURN_IF_ERROR(ParseRole(entry, &token.role));
    api->tokens.push_back(std::move(token));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::config
