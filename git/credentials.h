#pragma once

#include <string>

namespace ecsync::git {

// How to authenticate to one remote (a LibGit2Source's own, or SetCredentials). Values are secrets:
// never log or print them (the user name and the paths may be shown). All empty means
// anonymous access. Each method is offered to the server once per connection.
struct Credentials {
  // HTTPS: the user name sent with `password` (for a token, a placeholder the host accepts,
  // "x-access-token" by default). SSH: the remote user when the URL names none, "git" when
  // empty.
  std::string username;
  // HTTPS token or password. A user name and password written in the URL are tried first.
  std::string password;
  // SSH: a private key file, its optional public key file and passphrase.
  std::string ssh_private_key_path;
  std::string ssh_public_key_path;
  std::string ssh_passphrase;
  // SSH: an OpenSSH known_hosts file. When set, the server's host key must be listed in it
  // (plain or hashed entries, "[host]:port" for other ports than 22). When empty, libgit2
  // checks the key against the user's ~/.ssh/known_hosts instead; an unlisted host is
  // refused either way (kInvalid).
  std::string known_hosts_path;

  bool empty() const {
    return username.empty() && password.empty() && ssh_private_key_path.empty();
  }
  bool operator==(const Credentials&) const = default;
};

}  // namespace ecsync::git
