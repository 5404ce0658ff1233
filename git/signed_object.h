#pragma once

// Internal to git/: the signed parts of commits and tags, read with libgit2, and the history
// strict verification walks.

#include <git2.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::git::internal {

// A commit or annotated tag split as `git verify-commit` / `git verify-tag` split it.
struct SignedObject {
  std::string sha;           // the object's id (40 hex)
  std::string name;          // for messages: "commit 1a2b3c4" or "tag v1.2"
  std::string signature;     // the armored signature; "" when the object is unsigned
  std::string payload;       // the bytes the signature covers
  std::string signer_email;  // the committer's (a tag's tagger's) e-mail
};

// The first 12 hex digits, as ecsync shortens revisions everywhere.
std::string ShortSha(const std::string& sha);

enum class SignatureFormat { kOpenPgp, kSsh, kOther };
SignatureFormat DetectSignatureFormat(const std::string& signature);

// The commit `sha` (40 hex). kNotFound when it is not in the repository.
base::Result<SignedObject> ReadSignedCommit(git_repository* repo, const std::string& sha);

// Every annotated tag under refs/tags whose target, peeled, is the commit `sha`, in ref-name
// order. Lightweight tags are skipped: they cannot be signed.
base::Result<std::vector<SignedObject>> ReadSignedTagsAt(git_repository* repo,
                                                         const std::string& sha);

// The first-parent chain from `head` back to `previous`, exclusive, newest first; it also
// stops at a commit `previous` already contains (a merge brought it in). `*descends` tells
// whether `head` descends from `previous`; when it does not (or `previous` is "" or unknown),
// the chain is `head` alone. kInvalid past `limit` commits.
base::Result<std::vector<std::string>> FirstParentChain(git_repository* repo,
                                                        const std::string& head,
                                                        const std::string& previous, size_t limit,
                                                        bool* descends);

}  // namespace ecsync::git::internal
