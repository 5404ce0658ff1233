#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
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

// Hands out credentials for signing (MakeCredentialChain in credential_chain.h builds
// them from the configured source): caches what `fetch` returns and calls it again
// `refresh_before` ahead of expiry (never for credentials without an expiration). One
// fetch at a time; other threads wait for it. When a refresh fails while the cached
// credentials have not yet expired, those are returned. Thread-safe.
class CredentialsProvider {
 public:
  using Fetch = std::function<base::Result<Credentials>()>;
  // `clock` (null: SystemClock) must outlive this.
  CredentialsProvider(Fetch fetch, base::Clock* clock,
                      std::chrono::seconds refresh_before = std::chrono::seconds(300));

  // Current credentials. kInvalid when none can be found (message says what to set),
  // kTransient when a credential endpoint could not be reached.
  base::Result<Credentials> Get();

 private:
  const Fetch fetch_;
  base::Clock* clock_;
  const std::chrono::seconds refresh_before_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

// Sections of an INI file: section name -> key -> value. Full-line comments start with '#'
// or ';'; keys and values are trimmed; indented lines under a key with an empty value are
// sub-settings stored as "key.sub".
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile ParseIni(const std::string& text);

struct CredentialOptions {
  base::EnvLookup env;  // required
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
