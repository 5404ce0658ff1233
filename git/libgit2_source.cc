#include "git/libgit2_source.h"

#include <git2.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/hash.h"
#include "base/path.h"
#include "base/strings.h"
#include "git/libgit2_util.h"
#include "git/remote_auth.h"
#include "git/remote_refs.h"
#include "git/url.h"

namespace ecsync::git {

namespace {

namespace fs = std::filesystem;
using internal::BlobPtr;
using internal::CommitPtr;
using internal::DiffPtr;
using internal::GitError;
using internal::ObjectPtr;
using internal::ReferencePtr;
using internal::RemotePtr;
using internal::RepositoryPtr;
using internal::TreePtr;

constexpr char kBranchRefspec[] = "+refs/heads/*:refs/remotes/origin/*";
constexpr char kTagRefspec[] = "+refs/tags/*:refs/tags/*";
constexpr char kBranchPrefix[] = "refs/heads/";
constexpr char kTagPrefix[] = "refs/tags/";
constexpr char kRemoteBranchPrefix[] = "refs/remotes/origin/";
constexpr int kMaxSymlinkHops = 40;
constexpr size_t kCacheKeyHexDigits = 16;

// One mutex per cache entry directory, for the whole process, so that two sources sharing a
// cache directory still serialize. Never destroyed: threads may hold a lock during exit.
std::mutex& EntryMutex(const std::string& entry_dir) {
  static auto* guard = new std::mutex;
  static auto* mutexes = new std::map<std::string, std::unique_ptr<std::mutex>>;
  std::lock_guard<std::mutex> lock(*guard);
  std::unique_ptr<std::mutex>& slot = (*mutexes)[entry_dir];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

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

bool IsValidRefName(const std::string& name) {
  int valid = 0;
  return git_reference_name_is_valid(&valid, name.c_str()) == 0 && valid != 0;
}

// What a repository path names in a commit's tree.
struct TreeObject {
  git_object_t type = GIT_OBJECT_INVALID;  // GIT_OBJECT_BLOB or GIT_OBJECT_TREE
  git_oid oid{};
};

// Finds `path` (normalized) below `root`, following symbolic links. nullopt when some
// component does not exist (or a file is used as a directory).
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
      if (remaining.empty()) return std::optional<TreeObject>(TreeObject{GIT_OBJECT_TREE, *oid});
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
    return std::optional<TreeObject>(TreeObject{GIT_OBJECT_BLOB, *oid});
  }
  return std::optional<TreeObject>(TreeObject{GIT_OBJECT_TREE, *git_tree_id(current())});
}

// Whether a failed fetch may be the fault of the local cache entry (and so worth one
// retry from an empty entry) rather than of the network or remote side.
bool MayBeLocalFault(int code) {
  if (code == GIT_EAUTH || code == GIT_ECERTIFICATE) return false;
  const git_error* error = git_error_last();
  if (error == nullptr) return true;
  switch (error->klass) {
    case GIT_ERROR_NET:
    case GIT_ERROR_HTTP:
    case GIT_ERROR_SSH:
    case GIT_ERROR_SSL:
    case GIT_ERROR_CALLBACK:
      return false;
    default:
      return true;
  }
}

base::Status RemoveEntry(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec)
    return base::TransientError("cannot remove broken git cache entry " + dir + ": " +
                                ec.message());
  return base::Status::Ok();
}

// Opens the bare repository at `dir`, or (when absent or unreadable) creates it afresh.
base::Result<RepositoryPtr> OpenOrCreate(const std::string& dir, bool* created) {
  *created = false;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    git_repository* raw = nullptr;
    int rc = git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    RepositoryPtr repo(raw);
    if (rc == 0 && git_repository_is_bare(repo.get())) return repo;
    ECSYNC_RETURN_IF_ERROR(RemoveEntry(dir));
  }
  fs::create_directories(fs::path(dir).parent_path(), ec);
  if (ec) {
    return base::TransientError("cannot create git cache directory " +
                                fs::path(dir).parent_path().string() + ": " + ec.message());
  }
  git_repository* raw = nullptr;
  int rc = git_repository_init(&raw, dir.c_str(), /*is_bare=*/1);
  RepositoryPtr repo(raw);
  if (rc != 0)
    return GitError(base::ErrorKind::kTransient, "cannot create git cache entry " + dir, rc);
  *created = true;
  return repo;
}

// Records the remote as "origin" in the entry's config, so that the git CLI can inspect and
// fetch into the cache like into any clone. ecsync itself does not read it back.
base::Status RecordOrigin(git_repository* repo, const std::string& url) {
  git_config* raw = nullptr;
  int rc = git_repository_config(&raw, repo);
  internal::ConfigPtr config(raw);
  if (rc == 0) rc = git_config_set_string(config.get(), "remote.origin.url", url.c_str());
  if (rc == 0) rc = git_config_set_string(config.get(), "remote.origin.fetch", kBranchRefspec);
  if (rc != 0)
    return GitError(base::ErrorKind::kTransient, "cannot write the git cache config", rc);
  return base::Status::Ok();
}

// An in-memory remote for `url` in `repo`. Not the configured "origin": looking that up (and
// creating a remote that applies url.*.insteadOf) leaks memory inside libgit2 1.5's regex
// matching on every call, which a long-running poller cannot afford. A consequence is that
// url.<base>.insteadOf settings in git config files are not applied.
base::Result<RemotePtr> InMemoryRemote(git_repository* repo, const std::string& url) {
  git_remote_create_options options;
  git_remote_create_options_init(&options, GIT_REMOTE_CREATE_OPTIONS_VERSION);
  options.repository = repo;
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* raw = nullptr;
  int rc = git_remote_create_with_opts(&raw, url.c_str(), &options);
  RemotePtr remote(raw);
  if (rc != 0) {
    return GitError(base::ErrorKind::kInvalid, "cannot use repository URL '" + RedactUrl(url) + "'",
                    rc);
  }
  return remote;
}

// Result of one fetch attempt.
struct FetchOutcome {
  base::Status status;
  bool may_be_local_fault = false;
  // The remote's default branch ("refs/heads/main"), when its HEAD names one.
  std::optional<std::string> default_branch;
};

// Connects, learns the remote's default branch while connected, then fetches all branches and
// tags with pruning.
FetchOutcome FetchAll(git_remote* remote, internal::RemoteAuth& auth) {
  FetchOutcome out;
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  auth.Install(&callbacks);
  int rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
  if (rc == 0) {
    git_buf head = GIT_BUF_INIT;
    if (git_remote_default_branch(&head, remote) == 0 && head.ptr != nullptr) {
      out.default_branch = std::string(head.ptr, head.size);
    }
    git_buf_dispose(&head);

    git_fetch_options options;
    git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
    options.prune = GIT_FETCH_PRUNE;
    options.update_fetchhead = 0;
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    options.callbacks = callbacks;
    std::string branches = kBranchRefspec;
    std::string tags = kTagRefspec;
    char* specs[] = {branches.data(), tags.data()};
    git_strarray refspecs = {specs, 2};
    rc = git_remote_fetch(remote, &refspecs, &options, "ecsync: fetch");
  }
  if (rc != 0) {
    out.may_be_local_fault = MayBeLocalFault(rc);
    out.status = auth.Error(rc, "fetching");
  }
  git_remote_disconnect(remote);
  return out;
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

// kInternal unless the commit `sha` and its root tree are in `repo`.
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

// Checks `ref` before any network traffic.
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

// An opened cache entry, locked for the lifetime of this object.
struct OpenEntry {
  RemoteUrl url;
  std::unique_lock<std::mutex> lock;
  RepositoryPtr repo;
};

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
  if (remote_url.local) {
    std::string path = remote_url.normalized.substr(std::string_view("file://").size());
    std::error_code ec;
    if (!fs::exists(path, ec))
      return base::NotFoundError("no git repository at " + remote_url.display);
  }
  ECSYNC_ASSIGN_OR_RETURN(std::string dir, CacheEntryDir(url));
  std::lock_guard<std::mutex> lock(EntryMutex(dir));

  // At most two attempts: the second from an empty entry, when the first may have failed
  // because the cached copy is damaged.
  for (int attempt = 0;; ++attempt) {
    bool created = false;
    ECSYNC_ASSIGN_OR_RETURN(RepositoryPtr repo, OpenOrCreate(dir, &created));
    if (created) ECSYNC_RETURN_IF_ERROR(RecordOrigin(repo.get(), remote_url.normalized));
    ECSYNC_ASSIGN_OR_RETURN(RemotePtr remote, InMemoryRemote(repo.get(), remote_url.normalized));
    internal::RemoteAuth auth(remote_url, CredentialsFor(remote_url.normalized));
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
    std::string lower = ref;
    lower = base::AsciiLower(lower);
    return lower;
  }
  if (remote_url.local) {
    std::string path = remote_url.normalized.substr(std::string_view("file://").size());
    std::error_code ec;
    if (!fs::exists(path, ec))
      return base::NotFoundError("no git repository at " + remote_url.display);
  }
  // No repository: listing refs needs none, and so takes no cache lock.
  ECSYNC_ASSIGN_OR_RETURN(RemotePtr remote, InMemoryRemote(nullptr, remote_url.normalized));
  internal::RemoteAuth auth(remote_url, CredentialsFor(remote_url.normalized));
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
  rc = git_tree_walk(tree.get(), GIT_TREEWALK_PRE, CollectFile, &files);
  if (rc != 0) return GitError(base::ErrorKind::kInternal, "cannot list '" + normal + "'", rc);
  if (!normal.empty()) {
    for (std::string& file : files) file = normal + "/" + file;
  }
  std::sort(files.begin(), files.end());
  return files;
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
