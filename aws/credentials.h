#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "base/env.h"
#include "base/result.h"

namespace ecsync::aws {

// AWS credentials. Never log any field but access_key_id (and prefer not to log that).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // Where these came from, for messages: "environment" or "profile 'x' in /path".
  std::string source;
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration = std::nullopt;
};

// Hands out credentials for signing, fetching or refreshing them as needed (see
// credential_chain.h). Implementations are thread-safe.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials. kInvalid when none can be found (message says what to set),
  // kTransient when a credential endpoint could not be reached.
  virtual base::Result<Credentials> Get() = 0;
};

// Sections of an INI file: section name -> key -> value. Full-line comments start with '#'
// or ';'; keys and values are trimmed; indented lines under a key with an empty value are
// sub-settings stored as "key.sub".
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile ParseIni(const std::string& text);

struct CredentialOptions {
  base::EnvLookup env;        // required
  std::string profile;  // explicit profile (--profile); empty: AWS_PROFILE, then "default"
};

// The provider chain, v1:
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), unless a profile was
//      given explicitly in `options`;
//   2. the profile in AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials), then in
//      AWS_CONFIG_FILE (default ~/.aws/config, sections "[profile x]" or "[default]").
// kInvalid, naming the files and the profile, when nothing usable is found.
base::Result<Credentials> ResolveCredentials(const CredentialOptions& options);

// The region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the config
// (or credentials) file. kInvalid when none is set.
base::Result<std::string> ResolveRegion(const CredentialOptions& options);

// The settings of `profile`: its section in the config file ("[profile x]", or "[default]")
// overlaid with its section in the credentials file. nullopt when neither file has it.
// `where` (may be null) receives "profile 'x' in <files>" for messages.
std::optional<std::map<std::string, std::string>> LoadProfile(const base::EnvLookup& env,
                                                              const std::string& profile,
                                                              std::string* where);

// The profile name the options select.
std::string SelectedProfile(const CredentialOptions& options);

}  // namespace ecsync::aws
