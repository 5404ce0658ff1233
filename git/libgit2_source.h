#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "git/credentials.h"
#include "git/source.h"

namespace ecsync::git {

// The default cache directory: $XDG_CACHE_HOME/ecsync/git when XDG_CACHE_HOME is set to an
// absolute path, else $HOME/.cache/ecsync/git. kInvalid when neither is usable.
base::Result<std::string> DefaultCacheDir(const base::EnvLookup& env);

// GitSource over libgit2. Keeps one bare repository per URL under
// `cache_dir`/<first 16 hex digits of SHA-256 of the normalized URL>/ (of the normalized URL,
// a newline and the cache owner, for a source with one; see below), with a remote
// "origin" whose branches are fetched to refs/remotes/origin/* and whose tags to
// refs/tags/* (forced, pruned). Nothing is ever checked out: files are read from the tree of
// a commit.
//
// The cache is disposable: an entry that libgit2 cannot open or fetch into is deleted and
// cloned again. Local I/O failures (the cache directory cannot be created, ...) are
// kTransient. One process should own a cache directory at a time.
//
// Authentication (HTTPS user name and password or token, SSH key, SSH known_hosts) comes
// from the source's own credentials or SetCredentials; see Credentials and docs/git.md.
//
// Sources with different owners never share a cache entry, so a commit one of them fetched
// with its credentials cannot be read through another (ReadFile answers kNotFound until that
// source's own Fetch succeeds). The controller gives each configured repository entry with
// credentials a source of its own, owned by the entry's name.
//
// Thread-safe. Fetches and reads for the same URL (from any LibGit2Source in this process)
// are serialized; calls for different URLs, and RemoteHead calls, run in parallel.
class LibGit2Source final : public GitSource {
 public:
  // `cache_dir` is created on first use. Anonymous unless SetCredentials says otherwise;
  // cache entries are shared with every other source without an owner.
  explicit LibGit2Source(std::string cache_dir);
  // A source that reaches every remote with `credentials` (SetCredentials may still set
  // others per URL) and keeps its cache entries apart from those of any source with another
  // `cache_owner` (an empty owner shares them with the sources without one). `cache_owner`
  // names the holder of the credentials, e.g. a configuration entry; it is not a secret.
  LibGit2Source(std::string cache_dir, std::string cache_owner, Credentials credentials);

  // `ref` may be:
  //   - "" or "HEAD": the remote's default branch (what its HEAD points to);
  //   - a full 40-hex commit SHA (which must exist in the remote after the fetch);
  //   - a branch name ("main", "release/1.2") or "refs/heads/<name>";
  //   - a tag name ("v1.0", annotated or lightweight, peeled to its commit) or
  //     "refs/tags/<name>".
  // A bare name is tried as a branch first, then as a tag.
  // Errors: kInvalid for a malformed URL or ref name, a ref that does not name a commit, or
  // failed authentication; kNotFound when the repository or ref does not exist; kTransient
  // for network and transport errors (libgit2's message included).
  base::Result<std::string> Fetch(const std::string& url, const std::string& ref) override;

  // Connects to `url` and reads the refs it advertises (what `git ls-remote` shows), without
  // fetching objects or touching the cache; resolves `ref` like Fetch. A full commit SHA is
  // returned (lower-cased) without any network traffic, and is not checked. One connection
  // per call; on a successful call nothing is written to disk. Error kinds as for Fetch.
  base::Result<std::string> RemoteHead(const std::string& url, const std::string& ref) override;

  // Uses `credentials` for every later Fetch and RemoteHead of `url` through this source
  // (matched after normalization, see ParseRemoteUrl; an unparsable URL is stored as given),
  // instead of the source's own. Empty credentials remove the entry. The values are kept in
  // memory only and never logged.
  void SetCredentials(const std::string& url, Credentials credentials);

  // Reads the blob at `path` in `commit`'s tree. "." segments are ignored, ".." climbs
  // (kInvalid above the root). Symbolic links inside the repository are followed (kInvalid
  // when one points outside it or the chain is longer than 40). kInvalid when `path` is a
  // directory or a submodule, or `commit` is not 40 hex digits; kNotFound when the commit is
  // not in the cache (Fetch it first).
  base::Result<std::optional<std::string>> ReadFile(const std::string& url,
                                                    const std::string& commit,
                                                    const std::string& path) override;

  // See GitSource. Listed paths spell `dir` as normalized from the argument (symbolic links
  // in it are followed but not expanded); symbolic links inside it are listed, not followed.
  // kInvalid when `dir` is a file.
  base::Result<std::vector<std::string>> ListFiles(const std::string& url,
                                                   const std::string& commit,
                                                   const std::string& dir) override;

  // See GitSource. No rename detection: a rename lists both the old and the new path.
  base::Result<std::vector<std::string>> ChangedPaths(const std::string& url,
                                                      const std::string& from_commit,
                                                      const std::string& to_commit) override;

  // See GitSource.
  base::Result<CommitSummary> DescribeCommit(const std::string& url,
                                             const std::string& commit) override;

  // See GitSource.
  base::Result<std::optional<std::vector<TreeFile>>> ReadTree(const std::string& url,
                                                              const std::string& commit,
                                                              const std::string& path,
                                                              size_t max_bytes) override;

  // The cache entry directory this source uses for `url`. kInvalid for a malformed URL.
  base::Result<std::string> CacheEntryDir(const std::string& url) const;
  // See GitSource: the cache entry (CacheEntryDir).
  base::Result<std::string> LocalRepository(const std::string& url) override {
    return CacheEntryDir(url);
  }

  const std::string& cache_dir() const { return cache_dir_; }

 private:
  Credentials CredentialsFor(const std::string& normalized_url) const;

  std::string cache_dir_;
  std::string cache_owner_;
  Credentials own_credentials_;
  mutable std::mutex credentials_mutex_;
  std::map<std::string, Credentials> credentials_;  // by normalized URL
};

}  // namespace ecsync::git
