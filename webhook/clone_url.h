#pragma once

#include <string>

namespace ecsync::webhook {

// A normalized identity for a git repository URL, to match the URLs a webhook payload
// names against the configured repositories: two URLs of one repository give one key.
//
//   https://github.com/Acme/Shop.git, http://github.com/acme/shop,
//   git@github.com:acme/shop.git, ssh://git@github.com:22/acme/shop,
//   git://github.com/acme/shop/, https://user:pw@github.com/acme/shop
//                                              -> "github.com/acme/shop"
//   file:///srv/git/shop.git, /srv/git/shop/   -> "file:///srv/git/shop"
//
// Network URLs (any scheme, or scp-like user@host:path): scheme, user, password, port,
// query and fragment are dropped, the host and the path are lower-cased, repeated "/" are
// collapsed, and trailing "/" and one ".git" are removed. The path is lower-cased because
// GitHub, GitLab, Gitea and Bitbucket resolve owner and repository names case-insensitively;
// on a server that does not, two repositories differing only in case would share a key.
// Ports are dropped because payloads give SSH URLs with the SSH port (":7999") next to
// HTTPS ones without; two servers on one host but different ports would share a key.
// Servers whose HTTPS and SSH paths differ (Bitbucket's "/scm/" prefix) give different keys
// per form; payloads list every form, so one of them matches the configured URL.
// Local paths and file:// URLs keep their case (file systems are case-sensitive) and give
// "file://" + the absolute path. Anything else is trimmed of trailing "/" and ".git" and
// returned as is. Never fails; "" gives "".
std::string CloneUrlKey(const std::string& url);

}  // namespace ecsync::webhook
