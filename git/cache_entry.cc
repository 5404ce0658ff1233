#include "git/cache_entry.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string_view>
#include <system_error>

namespace ecsync::git::internal {

namespace {

namespace fs = std::filesystem;

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

}  // namespace

std::mutex& EntryMutex(const std::string& entry_dir) {
  static auto* guard = new std::mutex;
  static auto* mutexes = new std::map<std::string, std::unique_ptr<std::mutex>>;
  std::lock_guard<std::mutex> lock(*guard);
  std::unique_ptr<std::mutex>& slot = (*mutexes)[entry_dir];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

base::Status CheckLocalRepositoryExists(const RemoteUrl& url) {
  if (!url.local) return base::Status::Ok();
  const std::string path = url.normalized.substr(std::string_view("file://").size());
  std::error_code ec;
  if (!fs::exists(path, ec)) return base::NotFoundError("no git repository at " + url.display);
  return base::Status::Ok();
}

base::Status RemoveEntry(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec)
    return base::TransientError("cannot remove broken git cache entry " + dir + ": " +
                                ec.message());
  return base::Status::Ok();
}

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

base::Status RecordOrigin(git_repository* repo, const std::string& url) {
  git_config* raw = nullptr;
  int rc = git_repository_config(&raw, repo);
  ConfigPtr config(raw);
  if (rc == 0) rc = git_config_set_string(config.get(), "remote.origin.url", url.c_str());
  if (rc == 0) rc = git_config_set_string(config.get(), "remote.origin.fetch", kBranchRefspec);
  if (rc != 0)
    return GitError(base::ErrorKind::kTransient, "cannot write the git cache config", rc);
  return base::Status::Ok();
}

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

FetchOutcome FetchAll(git_remote* remote, RemoteAuth& auth) {
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

}  // namespace ecsync::git::internal
