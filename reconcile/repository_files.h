#pragma once

// Repository files for the containers (docs/files.md): what each service's bind mounts of
// paths inside the repository and its configs (file, content, environment) hold at the
// deployed commit, gathered into one deterministic bundle per service and arranged into the
// volumes cfn/task_files.h mounts. Nothing here calls AWS; errors are kInvalid and name the
// compose file, line and key.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cfn/convert.h"
#include "compose/model.h"
#include "git/tree_files.h"

namespace ecsync::reconcile {

// Reads a repository-relative path at the commit being rendered, as GitSource::ReadTree
// does: the file or directory with everything below it, links inside the repository followed;
// nullopt when nothing is there; kInvalid past `max_bytes` of content.
using RepositoryTreeReader = std::function<base::Result<std::optional<std::vector<git::TreeFile>>>(
    const std::string& path, size_t max_bytes)>;

// A reader over the HEAD commit of the git work tree that holds `dir` (for `ecsync convert`,
// which reads compose files from disk: the files delivered are the committed ones, as a
// deployment of that commit would deliver). The work tree is looked up on the first read;
// kInvalid then when `dir` is in no work tree.
RepositoryTreeReader WorkTreeReader(const std::string& dir);

// Service name -> its repository files, for cfn::ConvertOptions::files; services without any
// are absent, and `read` is not called at all when no service has any. A bind mount counts
// when its source lies inside project.root_dir; other bind mounts (host paths) are left to
// compose's ECS check. `environment` gives the values of `environment:` configs. kInvalid
// for a source missing at the commit, a link leading outside the repository, a config without
// its value, targets that collide, or a bundle too large: over cfn::kMaxBundleBytes, or, unless
// `through_s3` (a template bucket will carry it), over what travels inline.
base::Result<std::map<std::string, cfn::ServiceFiles>> RepositoryFilesFor(
    const compose::Project& project, const std::map<std::string, std::string>& environment,
    const RepositoryTreeReader& read, bool through_s3 = false);

}  // namespace ecsync::reconcile
