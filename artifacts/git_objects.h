#pragma once

// The git object IDs of paths at one commit: what the image tag hashes instead of the files
// themselves, so that a tag is known without reading a single blob.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::artifacts {

struct GitObject {
  std::string id;        // 40 hex digits (SHA-1 repositories)
  bool is_tree = false;  // a directory; otherwise a blob (file or symbolic link) or submodule
};

// The object at repository-relative, '/'-separated, normalized `path` ("" is the root tree)
// in one fixed commit; nullopt when nothing is there. Errors are the reader's (kTransient for
// local I/O, kNotFound for a commit that is not there). Must be callable from the thread that
// uses it; need not be thread-safe.
using GitObjectLookup =
    std::function<base::Result<std::optional<GitObject>>(const std::string& path)>;

// A lookup over the repository at `repository_dir` (a work tree or a bare repository, e.g.
// a GitSource cache entry) and `commit` (40 hex digits), read with libgit2. The repository
// is opened once and kept by the returned function. Symbolic links are not followed: a link
// is a blob, so its target text (not what it points to) is hashed. kNotFound when the
// repository cannot be opened or the commit is not in it; kInvalid for a malformed commit.
base::Result<GitObjectLookup> OpenGitObjects(const std::string& repository_dir,
                                             const std::string& commit);

}  // namespace ecsync::artifacts
