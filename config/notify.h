#pragma once

// What ecsync tells git hosts about deploys: the `notify:` mapping of a repository and of a
// project (commit statuses), and the top-level `external_url:` their links point to. The
// settings are resolved while loading (the host's API, the repository's path on it, the
// token), so notify/ only builds requests. Used by config.cc and projects.cc.

#include <optional>
#include <string>

#include "base/result.h"
#include "config/reader.h"

namespace ecsync::config {

struct Sources;  // config/projects.h

// The git host APIs ecsync posts commit statuses to. `provider: bitbucket` is Bitbucket Cloud
// when its api_url is https://api.bitbucket.org (the default), Bitbucket Server or Data
// Center otherwise.
enum class GitHostApi { kGitHub, kGitLab, kGitea, kBitbucketCloud, kBitbucketServer };

// `notify.commit_status` of one repository, resolved. Holds a secret: never log it.
struct CommitStatusConfig {
  GitHostApi api = GitHostApi::kGitHub;
  // The API's base, without a trailing '/' and without the version path ecsync appends:
  // "https://api.github.com" (GitHub Enterprise: "https://ghe.example.com/api/v3"),
  // "https://gitlab.com", "https://gitea.example.com", "https://api.bitbucket.org",
  // "https://bitbucket.example.com" (Server, with its context path if any).
  std::string api_url;
  // The repository on the host: "owner/repo" (GitHub, Gitea), "group/sub/project" or a
  // numeric id (GitLab), "workspace/repo" (Bitbucket Cloud), "PROJECT/repo" (Bitbucket Server;
  // "" there means the commit-only build-status endpoint). From `repository:` or the URL.
  std::string repository;
  std::string token;     // bearer token, or the app password when `username` is set
  std::string username;  // Bitbucket only: basic authentication with `token` as the password
  // The status's name on the host; "" for the default "ecsync/{stack}". May hold the
  // placeholders {stack}, {project} and {repository}.
  std::string context;
  bool deployments = true;  // GitHub only: also the deployments API (environment = stack)
  int line = 0;             // where `commit_status` starts, for messages
};

// `notify:` of a repository.
struct RepositoryNotifyConfig {
  std::optional<CommitStatusConfig> commit_status;
};

// `notify:` of a project: overrides of its repository's settings.
struct ProjectNotifyConfig {
  std::string commit_status_context;  // "" keeps the repository's context
};

// Reads `repo_map`'s `notify:` (if any) for the repository cloned from `url`. Refuses an
// unknown provider, an api_url that is not http(s), a missing token, a repository path that
// cannot be derived from `url` (asking for `repository:`), and an absent api_url when `url`
// is on another host than the provider's public one (so a token is never sent to a host the
// user did not name).
base::Status ParseRepositoryNotify(const ConfigMapping& repo_map, const Sources& sources,
                                   const std::string& url, RepositoryNotifyConfig* out);

// Reads `project_map`'s `notify:` (only commit_status.context). A glob entry without a name
// cannot carry a context of its own (its projects' names cannot be told apart from others).
base::Status ParseProjectNotify(const ConfigMapping& project_map, ProjectNotifyConfig* out);

// Reads the top-level `external_url:` (the http(s) address the status UI is reached at)
// without a trailing '/'.
base::Status ParseExternalUrl(const ConfigMapping& top, std::string* out);

// A repository URL's host (lower-case, without user, password or port) and path (without
// leading and trailing '/' and one trailing ".git"): https, http, ssh, git URLs and scp-like
// "[user@]host:path". nullopt for local paths, file:// URLs and anything without a path.
struct HostAndPath {
  std::string host;
  std::string path;
};
std::optional<HostAndPath> SplitRepositoryUrl(const std::string& url);

// The repository's path on the host `api` names, derived from its clone URL (see
// CommitStatusConfig::repository); `api_path` is the path of the API's base URL (GitLab or
// Bitbucket Server under a context path such as "/gitlab"), removed from the front. nullopt
// when the URL does not say.
std::optional<std::string> RepositoryPathFromUrl(GitHostApi api, const std::string& url,
                                                 const std::string& api_path);

// Checks a commit status context: one line of printable characters, placeholders limited to
// {stack}, {project} and {repository}, at most 255 bytes.
base::Status CheckStatusContext(const std::string& context);

}  // namespace ecsync::config
