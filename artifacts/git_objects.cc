#include "artifacts/git_objects.h"

#include <git2.h>

#include <memory>

#include "artifacts/libgit2_handles.h"

namespace ecsync::artifacts {
namespace {

bool IsHex40(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// Shared by every copy of the lookup function; frees libgit2 handles with the last copy.
struct OpenCommit {
  git_repository* repository = nullptr;
  git_tree* tree = nullptr;
  ~OpenCommit() {
    if (tree != nullptr) git_tree_free(tree);
    if (repository != nullptr) git_repository_free(repository);
  }
};

}  // namespace

base::Result<GitObjectLookup> OpenGitObjects(const std::string& repository_dir,
                                             const std::string& commit) {
  InitLibGit2Once();
  if (!IsHex40(commit)) {
    return base::InvalidError("commit \"" + commit + "\" is not 40 hex digits");
  }
  auto open = std::make_shared<OpenCommit>();
  if (int rc = git_repository_open(&open->repository, repository_dir.c_str()); rc != 0) {
    return base::NotFoundError("opening the git repository " + repository_dir + ": " +
                               LastGitError(rc));
  }
  git_oid oid;
  if (git_oid_fromstr(&oid, commit.c_str()) != 0) {
    return base::InvalidError("commit \"" + commit + "\" is not an object ID");
  }
  git_commit* found = nullptr;
  if (int rc = git_commit_lookup(&found, open->repository, &oid); rc != 0) {
    return base::NotFoundError("commit " + commit + " in " + repository_dir + ": " +
                               LastGitError(rc));
  }
  int rc = git_commit_tree(&open->tree, found);
  git_commit_free(found);
  if (rc != 0) {
    return base::TransientError("reading the tree of commit " + commit + ": " + LastGitError(rc));
  }
  return GitObjectLookup([open](const std::string& path) -> base::Result<std::optional<GitObject>> {
    if (path.empty()) {
      return std::optional<GitObject>(GitObject{OidHex(git_tree_id(open->tree)), true});
    }
    git_tree_entry* entry = nullptr;
    int rc = git_tree_entry_bypath(&entry, open->tree, path.c_str());
    if (rc == GIT_ENOTFOUND) return std::optional<GitObject>();
    if (rc != 0) {
      return base::TransientError("reading " + path + " from the tree: " + LastGitError(rc));
    }
    GitObject object{OidHex(git_tree_entry_id(entry)),
                     git_tree_entry_type(entry) == GIT_OBJECT_TREE};
    git_tree_entry_free(entry);
    return std::optional<GitObject>(std::move(object));
  });
}

}  // namespace ecsync::artifacts
