#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "git/signature.h"
#include "git/tree_files.h"

namespace ecsync::git {

// Who made a commit and what it says, for the status UI.
struct CommitSummary {
  std::string subject;  // the message's first line
  std::string author;   // the author's name
};

// Reads revisions of remote repositories. Implemented with libgit2 over a local cache
// (a bare clone per URL); tests may substitute another implementation. Thread-safe for
// different URLs; calls for the same URL are serialized internally.
class GitSource {
 public:
  virtual ~GitSource() = default;
  // Clones or fetches `url` and resolves `ref` (a branch, tag or full commit SHA) to a
  // commit SHA (40 hex). kNotFound when the ref does not exist; kTransient for network errors;
  // kInvalid for a malformed URL.
  virtual base::Result<std::string> Fetch(const std::string& url, const std::string& ref) = 0;
  // The commit `ref` names in `url` right now, resolved as Fetch resolves it, ideally without
  // downloading anything (a poller calls this every interval and Fetch only when the answer
  // changed). Same error kinds as Fetch. The default implementation calls Fetch.
  virtual base::Result<std::string> RemoteHead(const std::string& url, const std::string& ref);
  // The contents of `path` (relative to the repository root, '/'-separated) at `commit`,
  // which must have been returned by Fetch for this url. nullopt when the file is absent.
  virtual base::Result<std::optional<std::string>> ReadFile(const std::string& url,
                                                            const std::string& commit,
                                                            const std::string& path) = 0;

  // The repository-relative paths of every file below directory `dir` ("" for the whole
  // tree) at `commit`, sorted. Empty when `dir` does not exist. Same preconditions as
  // ReadFile. The default implementation reports kInternal ("not supported").
  virtual base::Result<std::vector<std::string>> ListFiles(const std::string& url,
                                                           const std::string& commit,
                                                           const std::string& dir);
  // The repository-relative paths of the files that differ between `from_commit` and
  // `to_commit` (added, deleted, modified or changed type), sorted and without duplicates.
  // An empty `from_commit` means "nothing before": every file of `to_commit` is listed.
  // Same preconditions as ReadFile. The default implementation reports kInternal.
  virtual base::Result<std::vector<std::string>> ChangedPaths(const std::string& url,
                                                              const std::string& from_commit,
                                                              const std::string& to_commit);
  // The folder of a local repository (bare or not) that holds every commit Fetch returned
  // for `url`, for a reader that opens it itself (artifacts::OpenGitObjects reads the object
  // IDs an image tag hashes). Only read from it. The default implementation reports
  // kInternal.
  virtual base::Result<std::string> LocalRepository(const std::string& url);
  // The subject and author of `commit`. Same preconditions as ReadFile. The default
  // implementation reports kInternal.
  virtual base::Result<CommitSummary> DescribeCommit(const std::string& url,
                                                     const std::string& commit);

  // Applies `policy` (a repository's `verify:`) to `commit`, which Fetch returned for `url`;
  // `previous` is the commit deployed before it ("" for none, see SignaturePolicy's modes).
  // A refusal is a Verdict with ok false, not an error; errors mean the check could not run
  // (kNotFound: unknown commit). The default implementation verifies in LocalRepository(url).
  virtual base::Result<Verdict> VerifyRevision(const std::string& url, const std::string& commit,
                                               const std::string& previous,
                                               const SignaturePolicy& policy);

  // What `path` (repository-relative) holds at `commit`: the file itself (one TreeFile with
  // path ""), or the directory and every directory and file below it, sorted by path, with
  // symbolic links inside the repository followed. nullopt when nothing is there. kInvalid
  // for a link that leads outside the repository or to nothing, a submodule, or more than
  // `max_bytes` of content in total. Same preconditions as ReadFile. The default
  // implementation reports kInternal.
  virtual base::Result<std::optional<std::vector<TreeFile>>> ReadTree(const std::string& url,
                                                                      const std::string& commit,
                                                                      const std::string& path,
                                                                      size_t max_bytes);
};

}  // namespace ecsync::git
