#pragma once

// Internal to git/: libgit2's credential and certificate callbacks for one remote operation.

#include <git2.h>

#include <string>

#include "base/result.h"
#include "git/credentials.h"
#include "git/url.h"

namespace ecsync::git::internal {

// The state behind the callbacks of one operation (one connect, ls and/or fetch) on one
// remote. Not thread-safe: each operation makes its own. Must outlive every libgit2 call
// made with the callbacks it installed.
//
// Credentials: libgit2 asks again after the server refused what the callback gave, so each
// method (HTTPS user name and password, SSH key) is offered at most once per connection; the
// next request fails the operation with kInvalid "authentication failed" instead of looping.
//
// Host keys: with Credentials::known_hosts_path set, an SSH server's key must be in that
// file (see KnownHosts); otherwise libgit2 checks it against ~/.ssh/known_hosts. HTTPS
// certificates are always left to libgit2 (the system's CA store).
class RemoteAuth {
 public:
  RemoteAuth(RemoteUrl url, Credentials credentials);
  RemoteAuth(const RemoteAuth&) = delete;
  RemoteAuth& operator=(const RemoteAuth&) = delete;

  // Points `callbacks`' credentials, certificate_check and payload at this object.
  void Install(git_remote_callbacks* callbacks);

  // Forgets which credentials were offered, for a new connection in the same operation.
  void ResetAttempts();

  // The Status for a libgit2 call that failed with `code` while `doing` ("fetching",
  // "listing the refs of"): the reason a callback recorded (authentication, host key) as
  // kInvalid when there is one, else libgit2's error classified like FetchError. Never
  // contains a password, token or passphrase.
  base::Status Error(int code, const std::string& doing) const;

 private:
  static int AcquireCredential(git_credential** out, const char* url, const char* username_from_url,
                               unsigned int allowed_types, void* payload);
  static int CheckCertificate(git_cert* cert, int valid, const char* host, void* payload);

  int Acquire(git_credential** out, const char* username_from_url, unsigned int allowed_types);
  int CheckHostKey(const git_cert_hostkey& cert, int valid, const char* host);
  std::string SshUser(const char* username_from_url) const;

  RemoteUrl url_;
  Credentials credentials_;
  bool offered_password_ = false;
  bool offered_ssh_key_ = false;
  // Why the operation failed, when a callback knows better than libgit2's message.
  std::string failure_;
};

}  // namespace ecsync::git::internal
