#include "artifacts/context_archive.h"

#include <git2.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "artifacts/dockerignore.h"
#include "artifacts/libgit2_handles.h"
#include "artifacts/zip_writer.h"
#include "base/hash.h"
#include "base/path.h"

namespace ecsync::artifacts {
namespace {

// A file or link the archive will hold; its content is read only after the walk.
struct Member {
  std::string path;  // relative to the context
  git_oid id;
  git_filemode_t mode;
};

// Everything one walk of the context needs, so the recursion passes one pointer.
struct Walk {
  git_repository* repository = nullptr;
  const DockerIgnore* ignore = nullptr;
  std::string context_dir;  // repository-relative, for messages
  std::string label;        // "build context <dir>", for messages
  std::string dockerfile;   // relative to the context; always sent
  std::string ignore_file;  // relative to the context, "" when none; always sent
  uint64_t max_files = 0;
  std::vector<Member> members;
};

bool AlwaysSent(const Walk& walk, const std::string& path) {
  return path == walk.dockerfile || (!walk.ignore_file.empty() && path == walk.ignore_file);
}

// True when `dir` holds the Dockerfile or the ignore file, which are sent even when their
// directory is excluded.
bool HoldsAlwaysSent(const Walk& walk, const std::string& dir) {
  const std::string prefix = dir + "/";
  return walk.dockerfile.starts_with(prefix) ||
         (!walk.ignore_file.empty() && walk.ignore_file.starts_with(prefix));
}

std::string RepositoryPath(const Walk& walk, const std::string& path) {
  return walk.context_dir.empty() ? path : walk.context_dir + "/" + path;
}

base::Status CollectTree(Walk* walk, const git_tree* tree, const std::string& prefix) {
  for (size_t i = 0, n = git_tree_entrycount(tree); i < n; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
    const std::string name = git_tree_entry_name(entry);
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    const git_filemode_t mode = git_tree_entry_filemode(entry);
    switch (mode) {
      case GIT_FILEMODE_TREE: {
        if (walk->ignore->ExcludesEverythingBelow(path) && !HoldsAlwaysSent(*walk, path)) break;
        git_tree* raw = nullptr;
        if (int rc = git_tree_lookup(&raw, walk->repository, git_tree_entry_id(entry)); rc != 0) {
          return base::TransientError(walk->label + ": reading the directory " +
                                      RepositoryPath(*walk, path) + ": " + LastGitError(rc));
        }
        GitTreePtr subtree(raw);
        ECSYNC_RETURN_IF_ERROR(CollectTree(walk, subtree.get(), path));
        break;
      }
      case GIT_FILEMODE_BLOB:
      case GIT_FILEMODE_BLOB_EXECUTABLE:
      case GIT_FILEMODE_LINK:
        if (!AlwaysSent(*walk, path) && walk->ignore->Excluded(path)) break;
        if (walk->members.size() >= walk->max_files) {
          return base::InvalidError(walk->label + " has more than " +
                                    std::to_string(walk->max_files) +
                                    " files to send; exclude some in its .dockerignore");
        }
        walk->members.push_back(Member{path, *git_tree_entry_id(entry), mode});
        break;
      case GIT_FILEMODE_COMMIT:
        if (walk->ignore->Excluded(path)) break;
        return base::InvalidError(
            walk->label + ": " + RepositoryPath(*walk, path) +
            " is a git submodule, whose files are not in this repository; exclude it in the "
            "context's .dockerignore or commit its files as a directory");
      default:
        break;  // nothing else can be in a tree
    }
  }
  return base::Status::Ok();
}

// The blob at context-relative `path` when it is a regular file, else nullopt.
base::Result<std::optional<std::string>> ReadRegularFile(git_repository* repository,
                                                         const git_tree* context,
                                                         const std::string& path) {
  git_tree_entry* raw = nullptr;
  int rc = git_tree_entry_bypath(&raw, context, path.c_str());
  if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
  if (rc != 0) return base::TransientError("reading " + path + ": " + LastGitError(rc));
  std::unique_ptr<git_tree_entry, decltype(&git_tree_entry_free)> entry(raw, &git_tree_entry_free);
  const git_filemode_t mode = git_tree_entry_filemode(entry.get());
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
    return std::optional<std::string>();
  }
  git_blob* blob = nullptr;
  if (rc = git_blob_lookup(&blob, repository, git_tree_entry_id(entry.get())); rc != 0) {
    return base::TransientError("reading " + path + ": " + LastGitError(rc));
  }
  GitBlobPtr owned(blob);
  return std::optional<std::string>(
      std::string(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob)));
}

base::Status TooManyBytes(const Walk& walk, uint64_t max_bytes) {
  return base::InvalidError(walk.label + " holds more than " + std::to_string(max_bytes) +
                            " bytes to send; exclude some in its .dockerignore");
}

// Sums the members' sizes from the object headers (a pack stores each object's size in its
// header, so nothing is inflated), to refuse an oversized context before compressing any of it.
base::Status CheckTotalSize(const Walk& walk, uint64_t max_bytes) {
  git_odb* raw_odb = nullptr;
  if (int rc = git_repository_odb(&raw_odb, walk.repository); rc != 0) {
    return base::TransientError(walk.label + ": opening the object database: " + LastGitError(rc));
  }
  std::unique_ptr<git_odb, decltype(&git_odb_free)> odb(raw_odb, &git_odb_free);
  uint64_t total = 0;
  for (const Member& member : walk.members) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (int rc = git_odb_read_header(&size, &type, odb.get(), &member.id); rc != 0) {
      return base::TransientError(walk.label + ": reading " + RepositoryPath(walk, member.path) +
                                  ": " + LastGitError(rc));
    }
    total += size;
    if (total > max_bytes) return TooManyBytes(walk, max_bytes);
  }
  return base::Status::Ok();
}

uint32_t Permissions(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      return 0755;
    case GIT_FILEMODE_LINK:
      return 0777;
    default:
      return 0644;
  }
}

// Opens the repository into `*repository` and returns the tree of `walk->context_dir` at
// `commit`.
base::Result<GitTreePtr> OpenContextTree(const std::string& repository_path,
                                         const std::string& commit, const Walk& walk,
                                         GitRepositoryPtr* repository) {
  git_oid commit_id;
  if (commit.size() != GIT_OID_HEXSZ || git_oid_fromstr(&commit_id, commit.c_str()) != 0) {
    return base::InvalidError("commit \"" + commit + "\" is not 40 hex digits");
  }
  git_repository* raw_repository = nullptr;
  if (int rc = git_repository_open(&raw_repository, repository_path.c_str()); rc != 0) {
    return base::NotFoundError("opening the git repository " + repository_path + ": " +
                               LastGitError(rc));
  }
  repository->reset(raw_repository);
  git_commit* raw_commit = nullptr;
  if (int rc = git_commit_lookup(&raw_commit, raw_repository, &commit_id); rc != 0) {
    return base::NotFoundError("commit " + commit + " in " + repository_path + ": " +
                               LastGitError(rc));
  }
  git_tree* raw_root = nullptr;
  int rc = git_commit_tree(&raw_root, raw_commit);
  git_commit_free(raw_commit);
  if (rc != 0) {
    return base::TransientError("reading the tree of commit " + commit + ": " + LastGitError(rc));
  }
  GitTreePtr root(raw_root);
  if (walk.context_dir.empty()) return root;
  git_tree_entry* raw_entry = nullptr;
  rc = git_tree_entry_bypath(&raw_entry, root.get(), walk.context_dir.c_str());
  if (rc == GIT_ENOTFOUND) return base::InvalidError(walk.label + " is not in commit " + commit);
  if (rc != 0) return base::TransientError(walk.label + ": " + LastGitError(rc));
  std::unique_ptr<git_tree_entry, decltype(&git_tree_entry_free)> entry(raw_entry,
                                                                        &git_tree_entry_free);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
    return base::InvalidError(walk.label + " is not a directory in commit " + commit);
  }
  git_tree* raw_context = nullptr;
  if (rc = git_tree_lookup(&raw_context, raw_repository, git_tree_entry_id(entry.get())); rc != 0) {
    return base::TransientError(walk.label + ": " + LastGitError(rc));
  }
  return GitTreePtr(raw_context);
}

// The context's ignore file: BuildKit reads the Dockerfile's own (`<Dockerfile>.dockerignore`)
// in preference to the context's `.dockerignore`. Sets walk->ignore_file to the one read.
base::Result<DockerIgnore> ReadIgnoreFile(const git_tree* context, Walk* walk) {
  for (const std::string& candidate :
       {walk->dockerfile + ".dockerignore", std::string(".dockerignore")}) {
    ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> text,
                            ReadRegularFile(walk->repository, context, candidate));
    if (!text.has_value()) continue;
    walk->ignore_file = candidate;
    return DockerIgnore::Parse(*text, RepositoryPath(*walk, candidate));
  }
  return DockerIgnore();
}

}  // namespace

base::Result<ContextArchive> ArchiveBuildContext(const std::string& repository_path,
                                                 const std::string& commit,
                                                 const std::string& context_dir,
                                                 const std::string& dockerfile,
                                                 const ContextArchiveLimits& limits) {
  InitLibGit2Once();
  Walk walk;
  base::Result<std::string> normalized = base::NormalizeRepositoryPath(context_dir);
  if (!normalized.ok()) return normalized.status().WithContext("build context " + context_dir);
  walk.context_dir = *normalized;
  walk.label = "build context " + (walk.context_dir.empty() ? "." : walk.context_dir);
  walk.dockerfile = base::NormalizePath(dockerfile.empty() ? "Dockerfile" : dockerfile);
  if (walk.dockerfile == "." || walk.dockerfile == ".." || walk.dockerfile.starts_with("../") ||
      walk.dockerfile.starts_with("/")) {
    return base::InvalidError(walk.label + ": the Dockerfile " + dockerfile +
                              " is not inside the context; move it into the context directory");
  }
  walk.max_files = limits.max_files;

  GitRepositoryPtr repository;
  ECSYNC_ASSIGN_OR_RETURN(GitTreePtr context,
                          OpenContextTree(repository_path, commit, walk, &repository));
  walk.repository = repository.get();
  ECSYNC_ASSIGN_OR_RETURN(const DockerIgnore ignore, ReadIgnoreFile(context.get(), &walk));
  walk.ignore = &ignore;
  ECSYNC_RETURN_IF_ERROR(CollectTree(&walk, context.get(), ""));

  // A depth-first walk in git's tree order is already nearly sorted; sorting makes byte
  // order a property of this function, not of the walk.
  std::sort(walk.members.begin(), walk.members.end(),
            [](const Member& a, const Member& b) { return a.path < b.path; });
  ECSYNC_RETURN_IF_ERROR(CheckTotalSize(walk, limits.max_bytes));

  ContextArchive archive;
  ZipWriter zip(limits.compression_level);
  for (const Member& member : walk.members) {
    git_blob* raw_blob = nullptr;
    if (int rc = git_blob_lookup(&raw_blob, walk.repository, &member.id); rc != 0) {
      return base::TransientError(walk.label + ": reading " + RepositoryPath(walk, member.path) +
                                  ": " + LastGitError(rc));
    }
    GitBlobPtr blob(raw_blob);
    const auto size = static_cast<uint64_t>(git_blob_rawsize(blob.get()));
    archive.bytes += size;
    if (archive.bytes > limits.max_bytes) return TooManyBytes(walk, limits.max_bytes);
    const std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())), size);
    const ZipEntryType type =
        member.mode == GIT_FILEMODE_LINK ? ZipEntryType::kSymlink : ZipEntryType::kFile;
    ECSYNC_RETURN_IF_ERROR(
        zip.Add(member.path, type, Permissions(member.mode), content).WithContext(walk.label));
  }
  archive.files = zip.entries();
  archive.zip = zip.Finish();
  archive.sha256 = base::Sha256Hex(archive.zip);
  return archive;
}

std::string ContextKey(const ContextArchive& archive) {
  return "ecsync/contexts/" + archive.sha256 + ".zip";
}

}  // namespace ecsync::artifacts
