#include "artifacts/libgit2_handles.h"

#include <mutex>

namespace ecsync::artifacts {

void InitLibGit2Once() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string LastGitError(int code) {
  const git_error* e = git_error_last();
  if (e != nullptr && e->message != nullptr) return e->message;
  return "libgit2 error " + std::to_string(code);
}

std::string OidHex(const git_oid* oid) {
  char buffer[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buffer, sizeof(buffer), oid);
  return buffer;
}

}  // namespace ecsync::artifacts
