#include "controller/repository_source.h"

#include "git/libgit2_source.h"

namespace ecsync::controller {

std::shared_ptr<git::GitSource> MakeRepositoryGitSource(const std::string& cache_dir,
                                                        const config::RepositoryConfig& repo) {
  // A known_hosts file alone grants nothing, so such an entry may share the anonymous cache.
  const std::string owner = repo.auth.empty() ? "" : "repository:" + repo.name;
  return std::make_shared<git::LibGit2Source>(cache_dir, owner, repo.auth);
}

}  // namespace ecsync::controller
