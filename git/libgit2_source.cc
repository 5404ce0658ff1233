#include "git/libgit2_source.h"

#include <git2.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include "base/hash.h"
#include "base/path.h"
#include "base/strings.h"
#include "git/cache_entry.h"
#include "git/cache_refs.h"
#include "git/commit_tree.h"
#include "git/libgit2_util.h"
#include "git/remote_auth.h"
#include "git/remote_refs.h"
#include "git/url.h"

namespace ecsync::git {

namespace {

namespace fs = std::filesystem;
using internal::BlobPtr;
using internal::CheckCommitReadable;
using internal::CheckLocalRepositoryExists;
using internal::CommitPtr;
using internal::CommitTree;
using internal::DiffPtr;
using internal::EntryMutex;
using internal::FetchAll;
using internal::FetchOutcome;
using internal::GitError;
using internal::InMemoryRemote;
using internal::IsFullSha;
using internal::ListTreeFiles;
using internal::LookupCommit;
using internal::OidHex;
using internal::OpenOrCreate;
using internal::ReadTreeFiles;
using internal::RecordOrigin;
using internal::RemoteAuth;
using internal::RemotePtr;
using internal::RemoveEntry;
using internal::RepositoryPtr;
using internal::ResolvePath;
using internal::ResolveRef;
using internal::TreeObject;
using internal::TreePtr;
using internal::ValidateRef;

constexpr size_t kCacheKeyHexDigits = 16;

}  // namespace

base::Result<std::string> DefaultCacheDir(const base::EnvLookup& env) {
  std::optional<std::string> xdg = env("XDG_CACHE_HOME");
  if (xdg && !xdg->empty() && (*xdg)[0] == '/') return (fs::path(*xdg) / "ecsync" / "git").string();
  std::optional<std::string> home = env("HOME");
  if (home && !home->empty() && (*home)[0] == '/') {
    return (fs::path(*home) / ".cache" / "ecsync" / "git").string();
  }
  return base::InvalidError(
      "cannot choose a git cache directory: neither XDG_CACHE_HOME nor HOME is set to an "
      "absolute path; set one of them or pass a cache directory explicitly");
}

LibGit2Source::LibGit2Source(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {
  internal::EnsureLibGit2Initialized();
}

LibGit2Source::LibGit2Source(std::string cache_dir, std::string cache_owner,
                             Credentials credentials)
    : cache_dir_(std::move(cache_dir)),
      cache_owner_(std::move(cache_owner)),
      own_credentials_(std::move(credentials)) {
  internal::EnsureLibGit2Initialized();
}

base::Result<std::string> LibGit2Source::CacheEntryDir(const std::string& url) const {
  ECSYNC_ASSIGN_OR_RETURN(RemoteUrl remote, ParseRemoteUrl(url));
  // A normalized URL has no newline, so no owner can make one entry's key another's.
  std::string identity = remote.normalized;
  if (!cache_owner_.empty()) identity += "\n" + cache_owner_;
  std::string key = base::Sha256Hex(identity).substr(0, kCacheKeyHexDigits);
  return (fs::path(cache_dir_) / key).string();
}

base::Result<std::string> LibGit2Source::Fetch(const std::string& url, const std::string& ref) {
  ECSYNC_ASSIGN_OR_RETURN(RemoteUrl remote_url, ParseRemoteUrl(url));
  ECSYNC_RETURN_IF_ERROR(ValidateRef(ref));
  ECSYNC_RETURN_IF_ERROR(CheckLocalRepositoryExists(remote_url));
  ECSYNC_ASSIGN_OR_RETURN(std::string dir, CacheEntryDir(url));
  std::lock_guard<std::mutex> lock(EntryMutex(dir));

  // At most two attempts: the second from an empty entry, when the first may have failed
  // because the cached copy is damaged.
  for (int attempt = 0;; ++attempt) {
    bool created = false;
    ECSYNC_ASSIGN_OR_RETURN(RepositoryPtr repo, OpenOrCreate(dir, &created));
    if (created) ECSYNC_RETURN_IF_ERROR(RecordOrigin(repo.get(), remote_url.normalized));
    ECSYNC_ASSIGN_OR_RETURN(RemotePtr remote, InMemoryRemote(repo.get(), remote_url.normalized));
    RemoteAuth auth(remote_url, CredentialsFor(remote_url.normalized));
    FetchOutcome outcome = FetchAll(remote.get(), auth);
    if (outcome.status.ok()) {
      base::Result<std::string> sha =
          ResolveRef(repo.get(), ref, outcome.default_branch, remote_url.display);
      if (!sha.ok()) return sha;
      // Refs can survive objects lost from a damaged cache; check what the caller reads next.
      base::Status readable = CheckCommitReadable(repo.get(), *sha);
      if (readable.ok()) return sha;
      if (created || attempt > 0) return readable;
    } else if (created || attempt > 0 || !outcome.may_be_local_fault) {
      return outcome.status;
    }
    remote.reset();
    repo.reset();
    ECSYNC_RETURN_IF_ERROR(RemoveEntry(dir));
  }
}

void LibGit2Source::SetCredentials(const std::string& url, Credentials credentials) {
  base::Result<RemoteUrl> parsed = ParseRemoteUrl(url);
  std::string key = parsed.ok() ? parsed->normalized : url;
  std::lock_guard<std::mutex> lock(credentials_mutex_);
  if (credentials.empty() && credentials.known_hosts_path.empty()) {
    credentials_.erase(key);
  } else {
    credentials_[key] = std::move(credentials);
  }
}

Credentials LibGit2Source::CredentialsFor(const std::string& normalized_url) const {
  std::lock_guard<std::mutex> lock(credentials_mutex_);
  auto it = credentials_.find(normalized_url);
  return it == credentials_.end() ? own_credentials_ : it->second;
}

base::Result<std::string> LibGit2Source::RemoteHead(const std::string& url,
                                                    const std::string& ref) {
  ECSYNC_ASSIGN_OR_RETURN(RemoteUrl remote_url, ParseRemoteUrl(url));
  ECSYNC_RETURN_IF_ERROR(ValidateRef(ref));
  if (IsFullSha(ref)) {
    return base::AsciiLower(ref);
  }
  ECSYNC_RETURN_IF_ERROR(CheckLocalRepositoryExists(remote_url));
  // No repository: listing refs needs none, and so takes no cache lock.
  ECSYNC_ASSIGN_OR_RETURN(RemotePtr remote, InMemoryRemote(nullptr, remote_url.normalized));
  RemoteAuth auth(remote_url, CredentialsFor(remote_url.normalized));
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  auth.Install(&callbacks);
  int rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
  std::vector<AdvertisedRef> refs;
  std::optional<std::string> default_branch;
  if (rc == 0) {
    const git_remote_head** heads = nullptr;
    size_t count = 0;
    rc = git_remote_ls(&heads, &count, remote.get());
    if (rc == 0) {
      refs.reserve(count);
      for (size_t i = 0; i < count; ++i) refs.push_back({heads[i]->name, OidHex(heads[i]->oid)});
      if (ref.empty() || ref == "HEAD") {
        git_buf head = GIT_BUF_INIT;
        if (git_remote_default_branch(&head, remote.get()) == 0 && head.ptr != nullptr) {
          default_branch = std::string(head.ptr, head.size);
        }
        git_buf_dispose(&head);
      }
    }
  }
  base::Status failed = rc == 0 ? base::Status::Ok() : auth.Error(rc, "listing the refs of");
  git_remote_disconnect(remote.get());
  if (!failed.ok()) return failed;
  return ResolveAdvertisedRef(refs, default_branch, ref, remote_url.display);
}

namespace {

// An opened cache entry, locked for the lifetime of this object.
struct OpenEntry {
  RemoteUrl url;
  std::unique_lock<std::mutex> lock;
  RepositoryPtr repo;
};

// Locks and opens the cache entry of `url` for reading; kNotFound when there is none.
base::Result<std::unique_ptr<OpenEntry>> OpenForRead(const LibGit2Source& source,
                                                     const std::string& url,
                                                     const std::string& commit) {
  auto entry = std::make_unique<OpenEntry>();
  ECSYNC_ASSIGN_OR_RETURN(entry->url, ParseRemoteUrl(url));
  ECSYNC_ASSIGN_OR_RETURN(std::string dir, source.CacheEntryDir(url));
  entry->lock = std::unique_lock<std::mutex>(EntryMutex(dir));
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  entry->repo.reset(raw);
  if (rc != 0) {
    return base::NotFoundError("commit " + commit + " of " + entry->url.display +
                               " is not in the git cache; fetch it first");
  }
  return entry;
}

}  // namespace

base::Result<std::optional<std::string>> LibGit2Source::ReadFile(const std::string& url,
                                                                 const std::string& commit,
                                                                 const std::string& path) {
  ECSYNC_ASSIGN_OR_RETURN(std::string normal, base::NormalizeRepositoryPath(path));
  if (normal.empty())
    return base::InvalidError("path '" + path + "' names the repository root, not a file");
  ECSYNC_ASSIGN_OR_RETURN(std::unique_ptr<OpenEntry> entry, OpenForRead(*this, url, commit));
  git_repository* repo = entry->repo.get();
  ECSYNC_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(repo, commit, entry->url.display));
  ECSYNC_ASSIGN_OR_RETURN(TreePtr tree, CommitTree(c.get()));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<TreeObject> found, ResolvePath(repo, tree.get(), normal));
  if (!found) return std::optional<std::string>();
  if (found->type != GIT_OBJECT_BLOB) {
    return base::InvalidError("'" + normal + "' is a directory at commit " + commit + " of " +
                              entry->url.display + ", not a file");
  }
  git_blob* raw = nullptr;
  int rc = git_blob_lookup(&raw, repo, &found->oid);
  BlobPtr blob(raw);
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot read '" + normal + "'", rc);
  return std::optional<std::string>(
      std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                  static_cast<size_t>(git_blob_rawsize(blob.get()))));
}

base::Result<CommitSummary> LibGit2Source::DescribeCommit(const std::string& url,
                                                          const std::string& commit) {
  ECSYNC_ASSIGN_OR_RETURN(std::unique_ptr<OpenEntry> entry, OpenForRead(*this, url, commit));
  ECSYNC_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(entry->repo.get(), commit, entry->url.display));
  CommitSummary summary;
  const char* message = git_commit_message(c.get());
  if (message != nullptr) {
    std::string text(message);
    summary.subject = text.substr(0, text.find('\n'));
  }
  const git_signature* author = git_commit_author(c.get());
  if (author != nullptr && author->name != nullptr) summary.author = author->name;
  return summary;
}

base::Result<std::vector<std::string>> LibGit2Source::ListFiles(const std::string& url,
                                                                const std::string& commit,
                                                                const std::string& dir) {
  ECSYNC_ASSIGN_OR_RETURN(std::string normal, base::NormalizeRepositoryPath(dir));
  ECSYNC_ASSIGN_OR_RETURN(std::unique_ptr<OpenEntry> entry, OpenForRead(*this, url, commit));
  git_repository* repo = entry->repo.get();
  ECSYNC_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(repo, commit, entry->url.display));
  ECSYNC_ASSIGN_OR_RETURN(TreePtr root, CommitTree(c.get()));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<TreeObject> found, ResolvePath(repo, root.get(), normal));
  std::vector<std::string> files;
  if (!found) return files;
  if (found->type != GIT_OBJECT_TREE) {
    return base::InvalidError("'" + normal + "' is a file at commit " + commit +
                              ", not a directory");
  }
  git_tree* raw = nullptr;
  int rc = git_tree_lookup(&raw, repo, &found->oid);
  TreePtr tree(raw);
  if (rc != 0)
    return GitError(base::ErrorKind::kInternal, "cannot read directory '" + normal + "'", rc);
  ECSYNC_ASSIGN_OR_RETURN(files, ListTreeFiles(tree.get(), normal));
  if (!normal.empty()) {
    for (std::string& file : files) file = normal + "/" + file;
  }
  std::sort(files.begin(), files.end());
  return files;
}

base::Result<std::optional<std::vector<TreeFile>>> LibGit2Source::ReadTree(
    const std::string& url, const std::string& commit, const std::string& path, size_t max_bytes) {
  ECSYNC_ASSIGN_OR_RETURN(std::string normal, base::NormalizeRepositoryPath(path));
  ECSYNC_ASSIGN_OR_RETURN(std::unique_ptr<OpenEntry> entry, OpenForRead(*this, url, commit));
  git_repository* repo = entry->repo.get();
  ECSYNC_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(repo, commit, entry->url.display));
  ECSYNC_ASSIGN_OR_RETURN(TreePtr root, CommitTree(c.get()));
  return ReadTreeFiles(repo, root.get(), normal, max_bytes);
}

base::Result<std::vector<std::string>> LibGit2Source::ChangedPaths(const std::string& url,
                                                                   const std::string& from_commit,
                                                                   const std::string& to_commit) {
  ECSYNC_ASSIGN_OR_RETURN(std::unique_ptr<OpenEntry> entry, OpenForRead(*this, url, to_commit));
  git_repository* repo = entry->repo.get();
  TreePtr from_tree;
  if (!from_commit.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(CommitPtr from, LookupCommit(repo, from_commit, entry->url.display));
    ECSYNC_ASSIGN_OR_RETURN(from_tree, CommitTree(from.get()));
  }
  ECSYNC_ASSIGN_OR_RETURN(CommitPtr to, LookupCommit(repo, to_commit, entry->url.display));
  ECSYNC_ASSIGN_OR_RETURN(TreePtr to_tree, CommitTree(to.get()));
  git_diff_options options;
  git_diff_options_init(&options, GIT_DIFF_OPTIONS_VERSION);
  git_diff* raw = nullptr;
  int rc = git_diff_tree_to_tree(&raw, repo, from_tree.get(), to_tree.get(), &options);
  DiffPtr diff(raw);
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot compare commits", rc);
  std::set<std::string> paths;
  size_t count = git_diff_num_deltas(diff.get());
  for (size_t i = 0; i < count; ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
    if (delta->old_file.path != nullptr && delta->status != GIT_DELTA_ADDED) {
      paths.insert(delta->old_file.path);
    }
    if (delta->new_file.path != nullptr && delta->status != GIT_DELTA_DELETED) {
      paths.insert(delta->new_file.path);
    }
  }
  return std::vector<std::string>(paths.begin(), paths.end());
}

}  // namespace ecsync::git
