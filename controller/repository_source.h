#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "git/source.h"

namespace ecsync::controller {

// The git source of one configured repository entry, over the git cache in `cache_dir`.
//
// Credentials belong to the entry, not to its URL: two entries for the same URL with
// different `auth` each reach the remote with their own (or none). An entry with credentials
// also keeps its own cache entry (owned by its name), so a commit it fetched cannot be read
// by an entry whose credentials were refused, or that has none. Entries without credentials
// share one cache entry per URL: what they fetch, anyone may. Thread-safe, like
// LibGit2Source.
std::shared_ptr<git::GitSource> MakeRepositoryGitSource(const std::string& cache_dir,
                                                        const config::RepositoryConfig& repo);

}  // namespace ecsync::controller
