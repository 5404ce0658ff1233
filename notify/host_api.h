#pragma once

// The git hosts' commit status APIs as requests and answers: what each host calls a state,
// how long a description may be, the request for a status (and GitHub's deployments), and
// what an answer means for the caller (done, retry later, or give up). Pure functions; the
// sink in commit_status.h sends the requests.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "base/result.h"
#include "config/notify.h"

namespace ecsync::notify {

// What ecsync says about a commit, before a host's vocabulary.
enum class DeployState { kPending, kSuccess, kFailure, kError };

// The host a sink posts to. Holds the token: never log it.
struct HostTarget {
  config::GitHostApi api = config::GitHostApi::kGitHub;
  std::string api_url;     // see config::CommitStatusConfig::api_url
  std::string repository;  // see config::CommitStatusConfig::repository
  std::string token;
  std::string username;    // Bitbucket basic authentication; "" for a bearer token
  std::string user_agent;  // "ecsync/<version>"
};

// One commit status as it goes to the host, already resolved.
struct StatusPost {
  std::string sha;
  DeployState state = DeployState::kPending;
  std::string context;
  std::string description;  // one line, within DescriptionLimit
  std::string target_url;   // "" for none (Bitbucket needs one: see FallbackTargetUrl)
};

// "github", "gitlab", "gitea", "bitbucket", "bitbucket-server": for names and messages.
const char* HostName(config::GitHostApi api);

// The host's word for `state`: GitHub pending/success/failure/error; GitLab
// running/success/failed/failed; Gitea pending/success/failure/error; Bitbucket
// INPROGRESS/SUCCESSFUL/FAILED/FAILED.
const char* StateWord(config::GitHostApi api, DeployState state);

// How many characters (code points) a description may have on the host.
size_t DescriptionLimit(config::GitHostApi api);

// `text` as one line of valid UTF-8: control characters become spaces, runs of blanks one
// space, ends trimmed; at most `max_chars` code points, the last of them "…" when cut.
std::string OneLineOfCodePoints(std::string_view text, size_t max_chars);

// Bitbucket's build status key: `context` when it has at most 40 bytes, else the first 40
// hex digits of its SHA-256 (the full context goes in `name`).
std::string BitbucketKey(const std::string& context);

// The commit's page on the host, for Bitbucket statuses that need a URL when no
// external_url is configured.
std::string FallbackTargetUrl(const HostTarget& target, const std::string& sha);

// The request that posts `post` on `target`'s host.
aws::HttpRequest StatusRequest(const HostTarget& target, const StatusPost& post);

// GitHub: creates a deployment of `sha` to `environment` (no auto-merge, no required
// contexts).
aws::HttpRequest CreateDeploymentRequest(const HostTarget& target, const std::string& sha,
                                         const std::string& environment,
                                         const std::string& description);

// GitHub: a status of deployment `id`: in_progress, success, failure or error, with
// log_url and environment_url set to `url` when it is not empty.
aws::HttpRequest DeploymentStatusRequest(const HostTarget& target, int64_t id, DeployState state,
                                         const std::string& description, const std::string& url);

// What an answer means. ok: done. kThrottled (429, or 403 with X-RateLimit-Remaining: 0 or
// Retry-After), with `retry_at` when the answer says until when; kTransient (5xx, no answer);
// kInvalid for any other status, naming the host, the request, the status and the API's
// message. A GitLab 400 refusing to "transition" a status to the state it has is ok.
// Messages never hold `target.token`.
struct ApiOutcome {
  base::Status status;
  std::optional<std::chrono::system_clock::time_point> retry_at;
};
ApiOutcome Classify(const HostTarget& target, const aws::HttpRequest& request,
                    const base::Result<aws::HttpResponse>& answer,
                    std::chrono::system_clock::time_point now);

// The "id" of a created GitHub deployment, from a 201 answer's body.
base::Result<int64_t> DeploymentId(const HostTarget& target, const aws::HttpResponse& response);

}  // namespace ecsync::notify
