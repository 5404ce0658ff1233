#include "aws/credentials.h"

#include <fstream>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "aws/encoding.h"
#include "base/file.h"
#include "base/strings.h"

namespace ecsync::aws {
namespace {

struct ProfileFiles {
  std::string credentials_path;
  std::string config_path;
};

std::string ExpandHome(const std::string& path, const base::EnvLookup& env) {
  if (path.empty() || path[0] != '~') return path;
  std::optional<std::string> home = base::NonEmptyEnv(env, "HOME");
  if (!home) return path;
  return *home + path.substr(1);
}

ProfileFiles Files(const base::EnvLookup& env) {
  ProfileFiles files;
  files.credentials_path =
      base::NonEmptyEnv(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials");
  files.config_path = base::NonEmptyEnv(env, "AWS_CONFIG_FILE").value_or("~/.aws/config");
  files.credentials_path = ExpandHome(files.credentials_path, env);
  files.config_path = ExpandHome(files.config_path, env);
  return files;
}

// The file's text, or nullopt when it cannot be opened (a missing file is not an error).
std::optional<std::string> ReadFile(const std::string& path) {
  base::Result<std::string> text = base::ReadWholeFile(path);
  if (!text.ok()) return std::nullopt;
  return *std::move(text);
}

// The profile's settings from one file; `config_style` selects "[profile x]" naming.
std::optional<std::map<std::string, std::string>> ProfileSection(const std::string& path,
                                                                 const std::string& profile,
                                                                 bool config_style) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  IniFile ini = ParseIni(*text);
  if (config_style) {
    auto it = ini.find("profile " + profile);
    if (it != ini.end()) return it->second;
    if (profile == "default") {
      it = ini.find("default");
      if (it != ini.end()) return it->second;
    }
    return std::nullopt;
  }
  auto it = ini.find(profile);
  if (it == ini.end()) return std::nullopt;
  return it->second;
}

std::string Lookup(const std::map<std::string, std::string>& section, const std::string& key) {
  auto it = section.find(key);
  return it == section.end() ? "" : it->second;
}

}  // namespace

IniFile ParseIni(const std::string& text) {
  IniFile ini;
  std::map<std::string, std::string>* section = nullptr;
  std::string parent_key;  // key with an empty value that may own indented sub-settings
  std::istringstream lines(text);
  std::string raw;
  while (std::getline(lines, raw)) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    std::string_view line = base::TrimAscii(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string name(base::TrimAscii(line.substr(1, line.size() - 2)));
      // Collapse inner runs of spaces so "[profile   x]" still matches.
      std::string collapsed;
      for (char c : name) {
        if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
        collapsed.push_back(c);
      }
      section = &ini[collapsed];
      parent_key.clear();
      continue;
    }
    if (section == nullptr) continue;  // settings before any section are ignored
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(base::TrimAscii(line.substr(0, eq)));
    std::string value(base::TrimAscii(line.substr(eq + 1)));
    if (indented && !parent_key.empty()) {
      (*section)[parent_key + "." + key] = value;
      continue;
    }
    (*section)[key] = value;
    parent_key = value.empty() ? key : "";
  }
  return ini;
}

std::optional<std::map<std::string, std::string>> LoadProfile(const base::EnvLookup& env,
                                                              const std::string& profile,
                                                              std::string* where) {
  const ProfileFiles files = Files(env);
  auto config = ProfileSection(files.config_path, profile, true);
  auto credentials = ProfileSection(files.credentials_path, profile, false);
  if (!config && !credentials) return std::nullopt;
  std::map<std::string, std::string> merged = config.value_or(std::map<std::string, std::string>{});
  if (credentials) {
    for (const auto& [key, value] : *credentials) merged[key] = value;
  }
  if (where != nullptr) {
    *where = "profile '" + profile + "' in " + (credentials ? files.credentials_path : "") +
             (credentials && config ? " and " : "") + (config ? files.config_path : "");
  }
  return merged;
}

std::string SelectedProfile(const CredentialOptions& options) {
  if (!options.profile.empty()) return options.profile;
  return base::NonEmptyEnv(options.env, "AWS_PROFILE").value_or("default");
}

base::Result<Credentials> ResolveCredentials(const CredentialOptions& options) {
  if (options.profile.empty()) {
    std::optional<std::string> key = base::NonEmptyEnv(options.env, "AWS_ACCESS_KEY_ID");
    std::optional<std::string> secret = base::NonEmptyEnv(options.env, "AWS_SECRET_ACCESS_KEY");
    if (key && secret) {
      Credentials creds;
      creds.access_key_id = *key;
      creds.secret_access_key = *secret;
      creds.session_token = base::NonEmptyEnv(options.env, "AWS_SESSION_TOKEN").value_or("");
      creds.source = "environment";
      return creds;
    }
    if (key || secret) {
      return base::InvalidError(
          std::string("AWS credentials in the environment are incomplete: ") +
          (key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
          " is not set; set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or unset both "
          "to use a profile");
    }
  }

  const std::string profile = SelectedProfile(options);
  const ProfileFiles files = Files(options.env);
  bool profile_seen = false;
  struct Candidate {
    const std::string* path;
    bool config_style;
  };
  for (const Candidate& c :
       {Candidate{&files.credentials_path, false}, Candidate{&files.config_path, true}}) {
    auto section = ProfileSection(*c.path, profile, c.config_style);
    if (!section) continue;
    profile_seen = true;
    std::string key = Lookup(*section, "aws_access_key_id");
    std::string secret = Lookup(*section, "aws_secret_access_key");
    if (key.empty() && secret.empty()) continue;
    if (key.empty() || secret.empty()) {
      return base::InvalidError("profile '" + profile + "' in " + *c.path + " sets only " +
                                (key.empty() ? "aws_secret_access_key" : "aws_access_key_id") +
                                "; add both aws_access_key_id and aws_secret_access_key");
    }
    Credentials creds;
    creds.access_key_id = key;
    creds.secret_access_key = secret;
    creds.session_token = Lookup(*section, "aws_session_token");
    creds.source = "profile '" + profile + "' in " + *c.path;
    return creds;
  }
  if (!profile_seen &&
      (!options.profile.empty() || base::NonEmptyEnv(options.env, "AWS_PROFILE"))) {
    return base::InvalidError("AWS profile '" + profile + "' not found in " +
                              files.credentials_path + " or " + files.config_path +
                              "; create it (aws configure --profile " + profile +
                              ") or choose another profile");
  }
  return base::InvalidError(
      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add "
      "aws_access_key_id and aws_secret_access_key to profile '" +
      profile + "' in " + files.credentials_path + " or " + files.config_path);
}

base::Result<std::string> ResolveRegion(const CredentialOptions& options) {
  if (auto region = base::NonEmptyEnv(options.env, "AWS_REGION")) return *region;
  if (auto region = base::NonEmptyEnv(options.env, "AWS_DEFAULT_REGION")) return *region;
  const std::string profile = SelectedProfile(options);
  const ProfileFiles files = Files(options.env);
  if (auto section = ProfileSection(files.config_path, profile, true)) {
    std::string region = Lookup(*section, "region");
    if (!region.empty()) return region;
  }
  if (auto section = ProfileSection(files.credentials_path, profile, false)) {
    std::string region = Lookup(*section, "region");
    if (!region.empty()) return region;
  }
  return base::InvalidError(
      "no AWS region set: set AWS_REGION (or pass --region), or add "
      "region = <name> to profile '" +
      profile + "' in " + files.config_path);
}

CredentialsProvider::CredentialsProvider(Fetch fetch, base::Clock* clock,
                                         std::chrono::seconds refresh_before)
    : fetch_(std::move(fetch)),
      clock_(clock != nullptr ? clock : base::SystemClock::Get()),
      refresh_before_(refresh_before) {}

base::Result<Credentials> CredentialsProvider::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_->Now();
  if (cached_ && (!cached_->expiration || now < *cached_->expiration - refresh_before_)) {
    return *cached_;
  }
  base::Result<Credentials> fetched = fetch_();
  if (fetched.ok()) {
    cached_ = *fetched;
    return fetched;
  }
  if (cached_ && cached_->expiration && now < *cached_->expiration) {
    spdlog::warn(
        "refreshing AWS credentials from {} failed ({}); using the current ones until "
        "they expire",
        cached_->source, fetched.status().ToString());
    return *cached_;
  }
  return fetched;
}

}  // namespace ecsync::aws
