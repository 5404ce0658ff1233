#pragma once

// Internal to git/: the bare-clone cache on disk, one entry (a bare repository) per URL, and
// fetching into an entry. Nothing here throws.

#include <git2.h>

#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "git/libgit2_util.h"
#include "git/remote_auth.h"
#include "git/url.h"

namespace ecsync::git::internal {

// Where fetched branches go in a cache entry ("origin" as a clone would name it).
inline constexpr char kBranchRefspec[] = "+refs/heads/*:refs/remotes/origin/*";
inline constexpr char kTagRefspec[] = "+refs/tags/*:refs/tags/*";

// One mutex per cache entry directory, for the whole process, so that two sources sharing a
// cache directory still serialize. Never destroyed: threads may hold a lock during exit.
std::mutex& EntryMutex(const std::string& entry_dir);

// kNotFound when `url` is a local (file://) repository that does not exist; ok otherwise.
base::Status CheckLocalRepositoryExists(const RemoteUrl& url);

// Deletes the entry at `dir` (kTransient when that fails).
base::Status RemoveEntry(const std::string& dir);

// Opens the bare repository at `dir`, or (when absent or unreadable) creates it afresh and
// sets `*created`.
base::Result<RepositoryPtr> OpenOrCreate(const std::string& dir, bool* created);

// Records the remote as "origin" in the entry's config, so that the git CLI can inspect and
// fetch into the cache like into any clone. ecsync itself does not read it back.
base::Status RecordOrigin(git_repository* repo, const std::string& url);

// An in-memory remote for `url` in `repo` (which may be null for listing refs only). Not the
// configured "origin": looking that up (and creating a remote that applies url.*.insteadOf)
// leaks memory inside libgit2 1.5's regex matching on every call, which a long-running poller
// cannot afford. A consequence is that url.<base>.insteadOf settings in git config files are
// not applied.
base::Result<RemotePtr> InMemoryRemote(git_repository* repo, const std::string& url);

// Result of one fetch attempt.
struct FetchOutcome {
  base::Status status;
  bool may_be_local_fault = false;
  // The remote's default branch ("refs/heads/main"), when its HEAD names one.
  std::optional<std::string> default_branch;
};

// Connects, learns the remote's default branch while connected, then fetches all branches and
// tags with pruning.
FetchOutcome FetchAll(git_remote* remote, RemoteAuth& auth);

}  // namespace ecsync::git::internal
