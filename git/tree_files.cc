#include "git/tree_files.h"

#include <algorithm>
#include <utility>

#include "base/path.h"
#include "git/commit_tree.h"

namespace ecsync::git {

namespace internal {
namespace {

constexpr size_t kMaxEntries = 10000;
// Deeper than any real tree; reached only by a link that points at a directory above it.
constexpr int kMaxDepth = 64;

class TreeReader {
 public:
  TreeReader(git_repository* repo, const git_tree* root, size_t max_bytes)
      : repo_(repo), root_(root), max_bytes_(max_bytes) {}

  base::Result<std::optional<std::vector<TreeFile>>> Read(const std::string& path) {
    ECSYNC_ASSIGN_OR_RETURN(std::optional<TreeObject> found, ResolvePath(repo_, root_, path));
    if (!found) return std::optional<std::vector<TreeFile>>();
    ECSYNC_RETURN_IF_ERROR(Add(*found, path, "", 0));
    std::sort(files_.begin(), files_.end(),
              [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
    return std::optional<std::vector<TreeFile>>(std::move(files_));
  }

 private:
  // Adds `object`, found at repository path `at`, as `relative`; a tree with all below it.
  base::Status Add(const TreeObject& object, const std::string& at, const std::string& relative,
                   int depth) {
    if (files_.size() >= kMaxEntries) {
      return base::InvalidError("more than " + std::to_string(kMaxEntries) + " entries below '" +
                                at + "'");
    }
    if (object.type == GIT_OBJECT_BLOB) {
      git_blob* raw = nullptr;
      const int rc = git_blob_lookup(&raw, repo_, &object.oid);
      BlobPtr blob(raw);
      if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read '" + at + "'", rc);
      const auto size = static_cast<size_t>(git_blob_rawsize(blob.get()));
      bytes_ += size;
      if (bytes_ > max_bytes_) {
        return base::InvalidError("the files at '" + at + "' and before it add up to more than " +
                                  std::to_string(max_bytes_) + " bytes");
      }
      TreeFile file;
      file.path = relative;
      file.executable = object.mode == GIT_FILEMODE_BLOB_EXECUTABLE;
      file.content.assign(static_cast<const char*>(git_blob_rawcontent(blob.get())), size);
      files_.push_back(std::move(file));
      return base::Status::Ok();
    }
    if (depth > kMaxDepth) {
      return base::InvalidError("'" + at + "' is nested more than " + std::to_string(kMaxDepth) +
                                " directories deep; is there a symbolic link to a directory "
                                "above it?");
    }
    TreeFile directory;
    directory.path = relative;
    directory.directory = true;
    files_.push_back(std::move(directory));
    git_tree* raw = nullptr;
    const int rc = git_tree_lookup(&raw, repo_, &object.oid);
    TreePtr tree(raw);
    if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read '" + at + "'", rc);
    for (size_t i = 0; i < git_tree_entrycount(tree.get()); ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
      const std::string name = git_tree_entry_name(entry);
      const std::string child_at = at.empty() ? name : at + "/" + name;
      const std::string child = relative.empty() ? name : relative + "/" + name;
      const git_filemode_t mode = git_tree_entry_filemode(entry);
      if (mode == GIT_FILEMODE_COMMIT) {
        return base::InvalidError("'" + child_at + "' is a submodule; submodules are not read");
      }
      if (mode == GIT_FILEMODE_LINK) {
        // Resolved from the repository root, so the link may point anywhere inside it.
        ECSYNC_ASSIGN_OR_RETURN(std::optional<TreeObject> target,
                                ResolvePath(repo_, root_, child_at));
        if (!target) {
          return base::InvalidError("the symbolic link '" + child_at +
                                    "' points to nothing in the repository");
        }
        ECSYNC_RETURN_IF_ERROR(Add(*target, child_at, child, depth + 1));
        continue;
      }
      TreeObject object_below{mode == GIT_FILEMODE_TREE ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB,
                              *git_tree_entry_id(entry), mode};
      ECSYNC_RETURN_IF_ERROR(Add(object_below, child_at, child, depth + 1));
    }
    return base::Status::Ok();
  }

  git_repository* repo_;
  const git_tree* root_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::vector<TreeFile> files_;
};

}  // namespace

base::Result<std::optional<std::vector<TreeFile>>> ReadTreeFiles(git_repository* repo,
                                                                 const git_tree* root,
                                                                 const std::string& path,
                                                                 size_t max_bytes) {
  return TreeReader(repo, root, max_bytes).Read(path);
}

}  // namespace internal

base::Result<WorkTreeHead> FindWorkTreeHead(const std::string& dir) {
  internal::EnsureLibGit2Initialized();
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, dir.c_str(), 0, nullptr);
  internal::RepositoryPtr repo(raw);
  if (rc != 0) {
    return base::NotFoundError(dir +
                               " is not inside a git work tree: " + internal::LastErrorMessage(rc));
  }
  const char* workdir = git_repository_workdir(repo.get());
  if (workdir == nullptr) return base::NotFoundError(dir + " is inside a bare repository");
  git_oid head;
  rc = git_reference_name_to_id(&head, repo.get(), "HEAD");
  if (rc != 0) {
    return base::InvalidError("the git repository at " + std::string(workdir) +
                              " has no commit yet (HEAD: " + internal::LastErrorMessage(rc) + ")");
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &head);
  WorkTreeHead found{workdir, hex, {}};
  if (found.root.size() > 1 && found.root.back() == '/') found.root.pop_back();
  git_status_options options;
  git_status_options_init(&options, GIT_STATUS_OPTIONS_VERSION);
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
  git_status_list* list = nullptr;
  rc = git_status_list_new(&list, repo.get(), &options);
  if (rc != 0) {
    return base::TransientError("reading the status of " + found.root + ": " +
                                internal::LastErrorMessage(rc));
  }
  for (size_t i = 0, n = git_status_list_entrycount(list); i < n; ++i) {
    const git_status_entry* entry = git_status_byindex(list, i);
    const git_diff_delta* delta =
        entry->head_to_index != nullptr ? entry->head_to_index : entry->index_to_workdir;
    if (delta != nullptr && delta->new_file.path != nullptr) {
      found.uncommitted.emplace_back(delta->new_file.path);
    }
  }
  git_status_list_free(list);
  return found;
}

base::Result<std::optional<std::vector<TreeFile>>> ReadRepositoryFiles(
    const std::string& repository_dir, const std::string& commit, const std::string& path,
    size_t max_bytes) {
  internal::EnsureLibGit2Initialized();
  ECSYNC_ASSIGN_OR_RETURN(std::string normal, base::NormalizeRepositoryPath(path));
  git_repository* raw = nullptr;
  const int rc =
      git_repository_open_ext(&raw, repository_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  internal::RepositoryPtr repo(raw);
  if (rc != 0) {
    return base::NotFoundError("opening the git repository " + repository_dir + ": " +
                               internal::LastErrorMessage(rc));
  }
  ECSYNC_ASSIGN_OR_RETURN(internal::CommitPtr found,
                          internal::LookupCommit(repo.get(), commit, repository_dir));
  ECSYNC_ASSIGN_OR_RETURN(internal::TreePtr tree, internal::CommitTree(found.get()));
  return internal::ReadTreeFiles(repo.get(), tree.get(), normal, max_bytes);
}

}  // namespace ecsync::git
