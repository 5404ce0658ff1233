#pragma once

// Internal to git/: reading a commit's tree in a cache entry, without a checkout.

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "git/libgit2_util.h"
#include "git/tree_files.h"

namespace ecsync::git::internal {

// What a repository path names in a commit's tree.
struct TreeObject {
  git_object_t type = GIT_OBJECT_INVALID;  // GIT_OBJECT_BLOB or GIT_OBJECT_TREE
  git_oid oid{};
  // GIT_FILEMODE_BLOB or GIT_FILEMODE_BLOB_EXECUTABLE for a file, GIT_FILEMODE_TREE otherwise.
  git_filemode_t mode = GIT_FILEMODE_TREE;
};

// The commit `commit` (40 hex digits, else kInvalid) of `repo`; kNotFound when the cache does
// not hold it (fetch it first).
base::Result<CommitPtr> LookupCommit(git_repository* repo, const std::string& commit,
                                     const std::string& display_url);

// The root tree of `commit`.
base::Result<TreePtr> CommitTree(git_commit* commit);

// Finds `path` (normalized, "" for the root) below `root`, following symbolic links inside the
// repository (kInvalid for one that leads outside it, or a chain longer than 40). nullopt
// when some component does not exist (or a file is used as a directory).
base::Result<std::optional<TreeObject>> ResolvePath(git_repository* repo, const git_tree* root,
                                                    const std::string& path);

// The file at `path` (normalized, "" for the root) below `root`, or, for a directory, the
// directory itself (path "") and every directory and file below it, sorted by path; symbolic
// links inside the repository are followed (see ResolvePath), so a link reads as what it
// points to. nullopt when nothing is there. kInvalid for a link that leads outside or to
// nothing, a submodule, a loop of links, more than `max_bytes` of content in total, or more
// than 10,000 entries. See TreeFile.
base::Result<std::optional<std::vector<TreeFile>>> ReadTreeFiles(git_repository* repo,
                                                                 const git_tree* root,
                                                                 const std::string& path,
                                                                 size_t max_bytes);

// Every file and symbolic link below `tree`, relative to it ("a/b.yaml"), in walk order.
base::Result<std::vector<std::string>> ListTreeFiles(git_tree* tree, const std::string& what);

}  // namespace ecsync::git::internal
