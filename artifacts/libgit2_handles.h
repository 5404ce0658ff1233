#pragma once

// libgit2 set-up and handle ownership shared by the files of artifacts/ that read git
// objects (git_objects, context_archive).

#include <git2.h>

#include <memory>
#include <string>

namespace ecsync::artifacts {

// Initializes libgit2 once per process and never shuts it down: other folders keep libgit2
// handles for the life of the process. Thread-safe.
void InitLibGit2Once();

// The message of libgit2's last error on this thread, or "libgit2 error <code>".
std::string LastGitError(int code);

// Lower-case hex of an object ID.
std::string OidHex(const git_oid* oid);

struct GitRepositoryDeleter {
  void operator()(git_repository* r) const { git_repository_free(r); }
};
struct GitTreeDeleter {
  void operator()(git_tree* t) const { git_tree_free(t); }
};
struct GitBlobDeleter {
  void operator()(git_blob* b) const { git_blob_free(b); }
};
using GitRepositoryPtr = std::unique_ptr<git_repository, GitRepositoryDeleter>;
using GitTreePtr = std::unique_ptr<git_tree, GitTreeDeleter>;
using GitBlobPtr = std::unique_ptr<git_blob, GitBlobDeleter>;

}  // namespace ecsync::artifacts
