#pragma once

// Files of a commit with what a copy of them needs (content and the executable bit), for
// delivering repository files into containers (reconcile/repository_files.h). Read with
// libgit2 from the commit's tree, never from a checkout, so what is delivered is exactly
// what the commit holds.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::git {

// One file or directory read from a commit.
struct TreeFile {
  // Relative to the path that was read, '/'-separated; "" for that path itself.
  std::string path;
  bool directory = false;
  bool executable = false;  // a file committed with mode 100755
  std::string content;      // files only
};

// The git work tree at or above `dir` and the commit its HEAD names.
struct WorkTreeHead {
  std::string root;    // the work tree's top directory, absolute
  std::string commit;  // 40 hex digits
  // Paths (repository-relative) that differ from HEAD: modified, staged, or untracked and
  // not ignored. What is read from the work tree is HEAD's content, so these are in no image
  // tag and no file bundle; callers warn about them.
  std::vector<std::string> uncommitted;
};

// Finds the work tree that holds `dir` (a path on disk) and resolves its HEAD. kNotFound
// when `dir` is in no git work tree; kInvalid when HEAD names no commit (an empty
// repository).
base::Result<WorkTreeHead> FindWorkTreeHead(const std::string& dir);

// ReadTreeFiles (see GitSource::ReadTree) from the repository at `repository_dir` (a work
// tree or a bare repository) at `commit`. kNotFound when the repository or the commit is not
// there.
base::Result<std::optional<std::vector<TreeFile>>> ReadRepositoryFiles(
    const std::string& repository_dir, const std::string& commit, const std::string& path,
    size_t max_bytes);

}  // namespace ecsync::git
