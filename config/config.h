#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "config/api.h"
#include "config/coordination.h"
#include "config/notifications.h"
#include "config/notify.h"
#include "git/credentials.h"
#include "git/signature.h"
#include "reconcile/images.h"
#include "schedule/window.h"

namespace ecsync::config {

// The controller's configuration file (`ecsync serve --config ecsync.yaml`), parsed and
// validated. Secrets (git passwords and tokens, webhook secrets) are resolved from the
// environment or files while loading, so the values below are ready to use; they must
// never be logged. See docs/configuration.md for the annotated format.

// One project: compose files inside a repository, deployed as one stack.
struct ProjectConfig {
  // Unique within its repository; [a-z0-9_-]. Default: the folder of the first compose
  // file ("" for the root folder becomes the repository name). For a `glob` entry the name is
  // a prefix: every matching file is a project named "<name>-<folder>" ("<folder>" when the
  // name is empty).
  std::string name;
  // Compose files, repository-relative, merged in order (like `-f a -f b`). Exactly one of
  // `files` and `glob` is set.
  std::vector<std::string> files;
  // A pattern such as "services/*/compose.yaml" ('*' matches within one path segment, '**'
  // across segments); every matching file is its own project.
  std::string glob;
  // "" when not set: the reconciler derives it from the project name. A letter, then
  // letters, digits and '-'; not allowed with `glob`; unique across the file.
  std::string stack_name;
  std::vector<std::string> profiles;
  std::map<std::string, std::string> variables;  // interpolation variables
  std::string env_file;  // repository-relative .env for interpolation; "" for none
  // Delete this project's stack when the project disappears from git (default true).
  bool prune = true;
  // Suspended projects are not reconciled (nor pruned) until resumed.
  bool suspend = false;
  // Deploy time limit; unset: the repository's `timeout`.
  std::optional<std::chrono::milliseconds> timeout;
  // Re-apply the revision when drift is detected (default false: only report).
  bool self_heal = false;
  // `approval: manual`: every change to the stack (an update's change set, a create) waits
  // for an operator's approval (docs/manual-approval.md); `auto` (the default) applies it.
  bool manual_approval = false;
  // Images built from the repository: the top-level `images:` with this entry's keys over it.
  reconcile::ImageSettings images;
  ProjectNotifyConfig notify;  // commit status context override
  // Deploy windows added to the repository's `windows` (see docs/deploy-windows.md).
  std::vector<schedule::Window> windows;
  int line = 0;  // where the entry starts in the config file, for messages
};

enum class RefKind { kBranch, kTag, kCommit };

struct RepositoryConfig {
  // Unique; [a-z0-9_-]. Default: the last path segment of the URL without ".git".
  std::string name;
  std::string url;
  // Exactly one of branch, tag and commit in the file; default branch "main".
  RefKind ref_kind = RefKind::kBranch;
  std::string ref;  // the branch or tag name, or the 40-hex commit
  std::chrono::milliseconds poll_interval{std::chrono::minutes(1)};  // 0: webhooks only
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};       // deploy time limit
  git::Credentials auth;
  // HMAC secret (GitHub, Gitea, Bitbucket, generic) or token (GitLab) that webhooks naming
  // this repository must carry; "" falls back to WebhookConfig::secret.
  std::string webhook_secret;
  // Allows pruning to delete every stack of this repository at once (default false: when a
  // commit leaves no project at all, nothing is deleted and the project is Stalled).
  bool allow_prune_all = false;
  RepositoryNotifyConfig notify;  // commit statuses on the git host
  // `verify:`: only revisions this policy accepts deploy (docs/signed-commits.md); nullopt:
  // every revision deploys.
  std::optional<git::SignaturePolicy> verify;
  // Deploy windows of every project of this repository, and of pruning its stacks.
  std::vector<schedule::Window> windows;
  std::vector<ProjectConfig> projects;
  int line = 0;
};

struct AwsConfig {
  std::string region;        // default: AWS_REGION / the profile
  std::string profile;       // shared config profile
  std::string role_arn;      // assume this role for every call
  std::string endpoint_url;  // e.g. a local moto_server
  std::string stack_dir;     // offline target instead of AWS (see docs/stack-files.md)
  // The network every project deploys into; default: the account's default VPC and its
  // subnets (looked up once). Required with stack_dir, which cannot look anything up.
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
  // S3 bucket for templates over CloudFormation's 51,200-byte inline limit (see
  // docs/reconcile.md, "Large templates"); "" refuses such templates. Not with stack_dir.
  std::string template_bucket;
  double requests_per_second = 20;  // global AWS request rate limit (token bucket)
  int burst = 40;
};

struct WebhookConfig {
  std::string secret;  // default secret for every repository; "" means webhooks are refused
  size_t max_body_bytes = 1 << 20;
  // Token buckets; over one: 429. Authenticated requests per repository they name:
  double requests_per_second = 10;
  int burst = 50;
  // Authenticated requests per sender address:
  double source_requests_per_second = 50;
  int source_burst = 200;
  // Refused requests (no or bad signature, too large) per sender address:
  double refused_requests_per_second = 1;
  int refused_burst = 30;
};

struct ServerConfig {
  // The public listener: webhooks (/hooks/*) only.
  std::string listen = "0.0.0.0:8080";
  // The admin listener: /healthz, /readyz, /metrics, /api/v1/status and the status page.
  // Loopback by default; in a pod it listens on the pod's address, not behind the Service.
  std::string admin_listen = "127.0.0.1:8081";
  // An extra address serving /metrics (and the health endpoints) only; "" for none.
  std::string metrics_listen;
  // Limits of every listener (see server::Listener). A whole request, headers and body,
  // must arrive within request_timeout; a kept-alive connection may idle idle_timeout.
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  // Open connections per listener; when full, the longest idle one is closed to make room.
  int max_connections = 512;
  // Open connections per client IP address per listener (behind a proxy, the proxy's).
  int max_connections_per_client = 64;
};

struct Config {
  std::vector<RepositoryConfig> repositories;
  AwsConfig aws;
  ServerConfig server;
  WebhookConfig webhooks;
  int concurrency = 4;  // reconciles running at once
  // Repositories checked at once. A git host that hangs holds one poller, not all of them.
  int poll_concurrency = 4;
  // DetectStackDrift per stack every so often; 0 turns drift detection off.
  std::chrono::milliseconds drift_interval{0};
  // The top-level `images:`: every project's default (see ProjectConfig::images).
  reconcile::ImageSettings images;
  // Slack, Teams and webhook notifications (config/notifications.h).
  NotificationsConfig notifications;
  // The operator API's tokens (config/api.h).
  ApiConfig api;
  CoordinationConfig coordination;  // replicas sharing the projects; off when absent
  std::string cache_dir;            // git cache; default: $XDG_CACHE_HOME/ecsync/git
  // Where the status UI is reached ("https://ecsync.example.com", no trailing '/'); links
  // in commit statuses point below it. "" for none.
  std::string external_url;
  std::string path;  // the file this came from
};

// Reads a file given a path; nullopt when it does not exist. Lets tests avoid the disk.
using ReadFileFn = std::function<base::Result<std::optional<std::string>>(const std::string&)>;

// Parses and validates `text` (from `path`, for messages). Secret references
// (`{env: NAME}` or `{file: /path}`) are resolved through `env` and `read_file`. Errors are
// kInvalid with "<path>:<line>: <key>: <what is wrong and what to do>" and a "did you mean"
// for misspelt keys.
base::Result<Config> ParseConfig(const std::string& text, const std::string& path,
                                 const base::EnvLookup& env, const ReadFileFn& read_file);

// Reads `path` from disk and parses it.
base::Result<Config> LoadConfig(const std::string& path, const base::EnvLookup& env);

// Matches a repository-relative path against a `glob` pattern (see ProjectConfig::glob).
// Both are split at '/'. A '**' segment matches any number of segments, zero included; in
// other segments '*' matches any run of characters and '?' one character, never a '/'.
// Everything else is literal (no [...] classes, no escapes); a leading '.' is not special.
bool GlobMatch(const std::string& pattern, const std::string& path);

// The project name a compose file gives: the last segment of the file's folder, sanitized
// to [a-z0-9_-] (lower-cased, other characters become '-'), joined to a non-empty `prefix`
// with '-'. A file at the repository root gives `prefix`, or `repository` when the prefix is
// empty. ParseConfig uses it for a `files` project without a name (prefix ""); expanding a
// `glob` uses it with the entry's name as the prefix.
std::string ProjectNameForFile(const std::string& prefix, const std::string& file,
                               const std::string& repository);

}  // namespace ecsync::config
