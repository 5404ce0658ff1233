#pragma once

// Internal to git/: ref names as ecsync accepts them, and resolving them to commits among the
// refs fetched into a cache entry.

#include <git2.h>

#include <optional>
#include <string>

#include "base/result.h"

namespace ecsync::git::internal {

inline constexpr char kBranchPrefix[] = "refs/heads/";
inline constexpr char kTagPrefix[] = "refs/tags/";
// Where a cache entry keeps the remote's branches (see kBranchRefspec).
inline constexpr char kRemoteBranchPrefix[] = "refs/remotes/origin/";

// 40 hex digits, either case.
bool IsFullSha(const std::string& s);

// The object id as 40 lower-case hex digits.
std::string OidHex(const git_oid& oid);

// Checks `ref` before any network traffic: "", "HEAD", a full SHA, a branch or tag name
// ("main", "refs/heads/main", "refs/tags/v1") that git accepts. kInvalid otherwise.
base::Status ValidateRef(const std::string& ref);

// The commit `ref` names among the refs fetched into `repo`: "" / "HEAD" through
// `default_branch` ("refs/heads/<name>" as the remote advertised it); a full SHA as that
// object, peeled to a commit; "refs/tags/<t>" as that tag; "refs/heads/<b>" as that branch
// only; a bare name as a branch, then as a tag. kNotFound names what is missing in
// `display_url`; kInvalid when the ref does not lead to a commit.
base::Result<std::string> ResolveRef(git_repository* repo, const std::string& ref,
                                     const std::optional<std::string>& default_branch,
                                     const std::string& display_url);

// kInternal unless the commit `sha` and its root tree are in `repo`.
base::Status CheckCommitReadable(git_repository* repo, const std::string& sha);

}  // namespace ecsync::git::internal
