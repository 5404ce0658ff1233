#include "git/cache_refs.h"

#include <algorithm>
#include <utility>

#include "git/libgit2_util.h"

namespace ecsync::git::internal {

namespace {

bool IsValidRefName(const std::string& name) {
  int valid = 0;
  return git_reference_name_is_valid(&valid, name.c_str()) == 0 && valid != 0;
}

base::Result<std::string> PeelToCommit(git_reference* ref, const std::string& what) {
  git_object* raw = nullptr;
  int rc = git_reference_peel(&raw, ref, GIT_OBJECT_COMMIT);
  ObjectPtr commit(raw);
  if (rc != 0) return GitError(base::ErrorKind::kInvalid, what + " does not point to a commit", rc);
  return OidHex(*git_object_id(commit.get()));
}

// Looks up `name` and peels it to a commit; nullopt when the reference does not exist.
base::Result<std::optional<std::string>> LookupRef(git_repository* repo, const std::string& name,
                                                   const std::string& what) {
  git_reference* raw = nullptr;
  int rc = git_reference_lookup(&raw, repo, name.c_str());
  ReferencePtr ref(raw);
  if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read " + name, rc);
  ECSYNC_ASSIGN_OR_RETURN(std::string sha, PeelToCommit(ref.get(), what));
  return std::optional<std::string>(std::move(sha));
}

}  // namespace

bool IsFullSha(const std::string& s) {
  return s.size() == GIT_OID_HEXSZ && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string OidHex(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &oid);
  return hex;
}

base::Status ValidateRef(const std::string& ref) {
  if (ref.empty() || ref == "HEAD" || IsFullSha(ref)) return base::Status::Ok();
  std::string full = ref.starts_with("refs/") ? ref : kBranchPrefix + ref;
  if (!full.starts_with(kBranchPrefix) && !full.starts_with(kTagPrefix)) {
    return base::InvalidError("ref '" + ref + "' must be a branch, a tag or a full commit SHA");
  }
  if (!IsValidRefName(full))
    return base::InvalidError("'" + ref + "' is not a valid branch or tag name");
  return base::Status::Ok();
}

base::Result<std::string> ResolveRef(git_repository* repo, const std::string& ref,
                                     const std::optional<std::string>& default_branch,
                                     const std::string& display_url) {
  if (ref.empty() || ref == "HEAD") {
    if (!default_branch || !default_branch->starts_with(kBranchPrefix)) {
      return base::NotFoundError("the HEAD of " + display_url +
                                 " names no branch (is the repository empty?); name a branch");
    }
    std::string branch = default_branch->substr(sizeof(kBranchPrefix) - 1);
    ECSYNC_ASSIGN_OR_RETURN(
        std::optional<std::string> sha,
        LookupRef(repo, kRemoteBranchPrefix + branch, "default branch '" + branch + "'"));
    if (!sha) {
      return base::NotFoundError("default branch '" + branch + "' not found in " + display_url);
    }
    return *sha;
  }
  if (IsFullSha(ref)) {
    git_oid oid;
    if (git_oid_fromstr(&oid, ref.c_str()) != 0) {
      return base::InvalidError("'" + ref + "' is not a commit SHA");
    }
    git_object* raw = nullptr;
    int rc = git_object_lookup(&raw, repo, &oid, GIT_OBJECT_ANY);
    ObjectPtr object(raw);
    if (rc == GIT_ENOTFOUND) {
      return base::NotFoundError(
          "commit " + ref + " not found in " + display_url +
          " (only commits reachable from its branches and tags are fetched)");
    }
    if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read " + ref, rc);
    git_object* raw_commit = nullptr;
    rc = git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT);
    ObjectPtr commit(raw_commit);
    if (rc != 0)
      return base::InvalidError("object " + ref + " in " + display_url + " is not a commit");
    return OidHex(*git_object_id(commit.get()));
  }
  if (ref.starts_with(kTagPrefix)) {
    std::string tag = ref.substr(sizeof(kTagPrefix) - 1);
    ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> sha,
                            LookupRef(repo, ref, "tag '" + tag + "'"));
    if (!sha) return base::NotFoundError("tag '" + tag + "' not found in " + display_url);
    return *sha;
  }
  bool branch_only = ref.starts_with(kBranchPrefix);
  std::string branch = branch_only ? ref.substr(sizeof(kBranchPrefix) - 1) : ref;
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> sha,
                          LookupRef(repo, kRemoteBranchPrefix + branch, "branch '" + branch + "'"));
  if (sha) return *sha;
  if (!branch_only) {
    ECSYNC_ASSIGN_OR_RETURN(sha, LookupRef(repo, kTagPrefix + branch, "tag '" + branch + "'"));
    if (sha) return *sha;
    return base::NotFoundError("branch '" + branch + "' not found in " + display_url +
                               " (no tag of that name either)");
  }
  return base::NotFoundError("branch '" + branch + "' not found in " + display_url);
}

base::Status CheckCommitReadable(git_repository* repo, const std::string& sha) {
  git_oid oid;
  git_oid_fromstr(&oid, sha.c_str());
  git_commit* raw_commit = nullptr;
  int rc = git_commit_lookup(&raw_commit, repo, &oid);
  CommitPtr commit(raw_commit);
  git_tree* raw_tree = nullptr;
  if (rc == 0) rc = git_commit_tree(&raw_tree, commit.get());
  TreePtr tree(raw_tree);
  if (rc != 0)
    return GitError(base::ErrorKind::kInternal, "git cache is missing objects of " + sha, rc);
  return base::Status::Ok();
}

}  // namespace ecsync::git::internal
