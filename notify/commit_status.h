#pragma once

// Commit statuses on a git host (GitHub, GitLab, Gitea/Forgejo, Bitbucket Cloud and Server)
// for one repository's deploys, and GitHub deployments with environment = stack.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/http.h"
#include "base/clock.h"
#include "config/config.h"
#include "notify/event.h"
#include "notify/host_api.h"

namespace ecsync::notify {

// One repository's commit status settings, resolved from the configuration.
struct CommitStatusSettings {
  std::string repository;  // the configured repository name: the sink's event filter
  HostTarget target;
  // The default context; may hold {stack}, {project} and {repository}.
  std::string context = "ecsync/{stack}";
  // Per project: a context for the project of that name (exact), or for every project whose
  // name starts with the prefix (a glob entry "<name>-"). Exact names win, then the longest
  // prefix, then `context`.
  std::map<std::string, std::string> project_contexts;
  std::map<std::string, std::string> prefix_contexts;
  bool deployments = false;  // GitHub deployments API, environment = stack
  std::string external_url;  // "" for no link to the project's page
};

// Posts a status for each deploy event of its repository: kDeployStarted pending,
// kDeploySucceeded success, kDeployFailed failure, kDeployError error (in the host's words).
// A status is posted only when its state or description changes for (commit, context); a
// repeat costs no request. While the host has asked for a pause (Retry-After,
// X-RateLimit-Reset) Deliver returns kThrottled without calling it. Errors: kThrottled,
// kTransient (retry later), kInvalid (dropped) naming the host and the API's message, never
// the token. Thread-safe; calls are serialized, and what was posted is remembered for the
// last few thousand commits.
class CommitStatusSink final : public Sink {
 public:
  CommitStatusSink(CommitStatusSettings settings, aws::HttpClient& http, base::Clock& clock);

  // "commit_status:<host>:<repository>"
  std::string name() const override;
  // The four deploy kinds of this sink's repository, with a revision and a stack.
  bool Wants(const Event& event) const override;
  base::Status Deliver(const Event& event) override;

  // The context `event`'s status is posted under.
  std::string ContextFor(const Event& event) const;
  // `external_url`/projects/<project key, URL-encoded>, or "" without an external_url.
  std::string TargetUrlFor(const Event& event) const;

 private:
  // Sends `request`; on a rate limit remembers until when. REQUIRES: mu_ held.
  base::Result<aws::HttpResponse> Send(const aws::HttpRequest& request);
  base::Status PostStatus(const StatusPost& post);
  base::Status PostDeployment(const Event& event, DeployState state, const std::string& description,
                              const std::string& url);

  // A map that forgets its oldest keys beyond a fixed size.
  class Recent {
   public:
    const std::string* Find(const std::string& key) const;
    void Put(const std::string& key, std::string value);

   private:
    std::map<std::string, std::string> values_;
    std::deque<std::string> order_;
  };

  const CommitStatusSettings settings_;
  aws::HttpClient& http_;
  base::Clock& clock_;

  std::mutex mu_;
  // No request before this time (the host asked for a pause).
  std::chrono::system_clock::time_point paused_until_{};
  Recent posted_;             // sha \0 context -> state \0 description
  Recent deployment_ids_;     // sha \0 environment -> GitHub deployment id
  Recent deployment_posted_;  // sha \0 environment -> state \0 description
};

// One sink per repository of `config` with notify.commit_status, posting with `http`
// ("User-Agent: ecsync/<version>"). Deliver them from the notification dispatcher.
std::vector<std::unique_ptr<Sink>> MakeCommitStatusSinks(const config::Config& config,
                                                         aws::HttpClient& http,
                                                         const std::string& version,
                                                         base::Clock& clock);

}  // namespace ecsync::notify
