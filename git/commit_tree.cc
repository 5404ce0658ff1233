#include "git/commit_tree.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "base/strings.h"
#include "git/cache_refs.h"

namespace ecsync::git::internal {

namespace {

constexpr int kMaxSymlinkHops = 40;

int CollectFile(const char* root, const git_tree_entry* entry, void* payload) {
  git_filemode_t mode = git_tree_entry_filemode(entry);
  if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
      mode == GIT_FILEMODE_LINK) {
    static_cast<std::vector<std::string>*>(payload)->push_back(std::string(root) +
                                                               git_tree_entry_name(entry));
  }
  return 0;
}

}  // namespace

base::Result<CommitPtr> LookupCommit(git_repository* repo, const std::string& commit,
                                     const std::string& display_url) {
  if (!IsFullSha(commit)) {
    return base::InvalidError("'" + commit + "' is not a full commit SHA (40 hex digits)");
  }
  git_oid oid;
  git_oid_fromstr(&oid, commit.c_str());
  git_commit* raw = nullptr;
  int rc = git_commit_lookup(&raw, repo, &oid);
  CommitPtr out(raw);
  if (rc == GIT_ENOTFOUND) {
    return base::NotFoundError("commit " + commit + " of " + display_url +
                               " is not in the git cache; fetch it first");
  }
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read commit " + commit, rc);
  return out;
}

base::Result<TreePtr> CommitTree(git_commit* commit) {
  git_tree* raw = nullptr;
  int rc = git_commit_tree(&raw, commit);
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read the tree of a commit", rc);
  return TreePtr(raw);
}

base::Result<std::optional<TreeObject>> ResolvePath(git_repository* repo, const git_tree* root,
                                                    const std::string& path) {
  std::deque<std::string> remaining;
  if (!path.empty()) {
    for (std::string& part : base::Split(path, '/')) remaining.push_back(std::move(part));
  }
  // The directories entered below the root, innermost last.
  std::vector<TreePtr> stack;
  auto current = [&]() -> const git_tree* { return stack.empty() ? root : stack.back().get(); };
  int hops = 0;
  while (!remaining.empty()) {
    std::string name = std::move(remaining.front());
    remaining.pop_front();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      if (stack.empty())
        return base::InvalidError("'" + path + "' leads above the repository root");
      stack.pop_back();
      continue;
    }
    const git_tree_entry* entry = git_tree_entry_byname(current(), name.c_str());
    if (entry == nullptr) return std::optional<TreeObject>();
    git_filemode_t mode = git_tree_entry_filemode(entry);
    const git_oid* oid = git_tree_entry_id(entry);
    if (mode == GIT_FILEMODE_LINK) {
      if (++hops > kMaxSymlinkHops) {
        return base::InvalidError("too many symbolic links while resolving '" + path + "'");
      }
      git_blob* raw_blob = nullptr;
      int rc = git_blob_lookup(&raw_blob, repo, oid);
      if (rc != 0)
        return GitError(base::ErrorKind::kInternal, "reading symbolic link '" + name + "'", rc);
      BlobPtr blob(raw_blob);
      std::string target(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                         static_cast<size_t>(git_blob_rawsize(blob.get())));
      if (target.empty() || target[0] == '/') {
        return base::InvalidError("symbolic link '" + name + "' in '" + path +
                                  "' points outside the repository ('" + target + "')");
      }
      std::vector<std::string> parts = base::Split(target, '/');
      remaining.insert(remaining.begin(), parts.begin(), parts.end());
      continue;
    }
    if (mode == GIT_FILEMODE_COMMIT) {
      return base::InvalidError("'" + path + "' is inside a submodule ('" + name +
                                "'); submodules are not read");
    }
    if (mode == GIT_FILEMODE_TREE) {
      if (remaining.empty())
        return std::optional<TreeObject>(TreeObject{GIT_OBJECT_TREE, *oid, GIT_FILEMODE_TREE});
      git_tree* raw_tree = nullptr;
      int rc = git_tree_lookup(&raw_tree, repo, oid);
      if (rc != 0)
        return GitError(base::ErrorKind::kInternal, "reading directory '" + name + "'", rc);
      stack.emplace_back(raw_tree);
      continue;
    }
    // A regular or executable file.
    bool last = std::all_of(remaining.begin(), remaining.end(),
                            [](const std::string& p) { return p.empty() || p == "."; });
    if (!last) return std::optional<TreeObject>();
    return std::optional<TreeObject>(TreeObject{GIT_OBJECT_BLOB, *oid, mode});
  }
  return std::optional<TreeObject>(
      TreeObject{GIT_OBJECT_TREE, *git_tree_id(current()), GIT_FILEMODE_TREE});
}

base::Result<std::vector<std::string>> ListTreeFiles(git_tree* tree, const std::string& what) {
  std::vector<std::string> files;
  const int rc = git_tree_walk(tree, GIT_TREEWALK_PRE, CollectFile, &files);
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot list '" + what + "'", rc);
  return files;
}

}  // namespace ecsync::git::internal
