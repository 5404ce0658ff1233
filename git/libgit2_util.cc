#include "git/libgit2_util.h"

#include <mutex>

namespace ecsync::git::internal {

void EnsureLibGit2Initialized() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string LastErrorMessage(int code) {
  const git_error* error = git_error_last();
  if (error == nullptr || error->message == nullptr || error->message[0] == '\0') {
    return "libgit2 error " + std::to_string(code);
  }
  return error->message;
}

base::Status GitError(base::ErrorKind kind, const std::string& context, int code) {
  return base::Status(kind, context + ": " + LastErrorMessage(code));
}

base::Status FetchError(const std::string& display_url, int code, const std::string& doing) {
  const git_error* error = git_error_last();
  int klass = error != nullptr ? error->klass : GIT_ERROR_NONE;
  std::string message = LastErrorMessage(code);
  if (code == GIT_EAUTH) {
    return base::InvalidError("authentication failed for " + display_url +
                              "; configure credentials for it: " + message);
  }
  if (code == GIT_ECERTIFICATE) {
    return base::InvalidError("the server certificate of " + display_url +
                              " is not trusted: " + message);
  }
  if (code == GIT_EOWNER) {
    return base::InvalidError(
        "the repository at " + display_url +
        " is owned by another user, which libgit2 refuses to read: " + message);
  }
  if (code == GIT_ENOTFOUND &&
      (klass == GIT_ERROR_REPOSITORY || klass == GIT_ERROR_OS || klass == GIT_ERROR_NONE)) {
    return base::NotFoundError("no git repository at " + display_url + ": " + message);
  }
  return base::TransientError(doing + " " + display_url + " failed: " + message);
}

}  // namespace ecsync::git::internal
