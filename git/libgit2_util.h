#pragma once

// Internal to git/: owning handles for libgit2 objects and translation of libgit2 errors
// into base::Status. Nothing here throws.

#include <git2.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace ecsync::git::internal {

// Calls git_libgit2_init exactly once per process (thread-safe) and never shuts libgit2
// down, so handles may outlive any particular source object.
void EnsureLibGit2Initialized();

template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, GitFree<T, Free>>;

using RepositoryPtr = Owned<git_repository, git_repository_free>;
using RemotePtr = Owned<git_remote, git_remote_free>;
using ReferencePtr = Owned<git_reference, git_reference_free>;
using ObjectPtr = Owned<git_object, git_object_free>;
using CommitPtr = Owned<git_commit, git_commit_free>;
using TreePtr = Owned<git_tree, git_tree_free>;
using TreeEntryPtr = Owned<git_tree_entry, git_tree_entry_free>;
using BlobPtr = Owned<git_blob, git_blob_free>;
using DiffPtr = Owned<git_diff, git_diff_free>;
using ConfigPtr = Owned<git_config, git_config_free>;

// The message of the calling thread's last libgit2 error, or "libgit2 error <code>" when
// libgit2 recorded none.
std::string LastErrorMessage(int code);

// A Status of `kind` whose message is "<context>: <libgit2 message>".
base::Status GitError(base::ErrorKind kind, const std::string& context, int code);

// Classifies a failed fetch or ls (return `code`) by libgit2's error class: authentication
// and certificate failures and a local repository owned by another user are kInvalid
// (configuration must change), a repository that does not exist is kNotFound, transport
// and everything else kTransient. `doing` starts the transient message ("fetching").
base::Status FetchError(const std::string& display_url, int code,
                        const std::string& doing = "fetching");

}  // namespace ecsync::git::internal
