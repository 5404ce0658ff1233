#pragma once

#include <string>

namespace ecsync::controller {

// The web page of `commit` on the git host that serves `repository_url` (redacted or not),
// or "" when the host is not one whose commit pages we know. Known: github.com (and hosts
// named github.*), gitlab.com and hosts named gitlab.*, gitea.*, forgejo.* and codeberg.org,
// and bitbucket.org. Accepts https://host/owner/repo(.git), ssh://[user@]host[:port]/owner/repo
// and the scp form user@host:owner/repo. The link is always https:// and names only the host
// and the path, so no credential of the URL reaches it. `commit` must be hex; else "".
std::string CommitLink(const std::string& repository_url, const std::string& commit);

}  // namespace ecsync::controller
