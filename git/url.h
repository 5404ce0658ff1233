#pragma once

#include <optional>
#include <string>

#include "base/result.h"

namespace ecsync::git {

// A repository URL as the cache and libgit2 see it.
struct RemoteUrl {
  // What libgit2 is given, and what identifies the cache entry: "file://" plus an absolute,
  // lexically normalized path for local repositories; the URL itself (trailing '/' removed)
  // otherwise. Two spellings of one local repository share a key.
  std::string normalized;
  // Safe to show in messages and logs: `normalized` with any password replaced by "***".
  std::string display;
  bool local = false;  // file:// or a plain path
};

// Accepts "file:///abs/path", a plain path (absolute, or relative to the working directory),
// "http://", "https://", "ssh://", "git://" URLs with a host, and scp-like
// "user@host:path". kInvalid for anything else (empty, whitespace or control characters,
// unknown schemes, a missing host, "file://host/...").
base::Result<RemoteUrl> ParseRemoteUrl(const std::string& url);

// Where an SSH remote listens. `host` is lower-cased and without the brackets of an IPv6
// literal; `port` is 22 unless the URL names another.
struct SshEndpoint {
  std::string host;
  int port = 22;
};

// The endpoint of an "ssh://", "git+ssh://", "ssh+git://" or scp-like "[user@]host:path" URL
// (as ParseRemoteUrl normalizes it); nullopt for other schemes and local paths.
std::optional<SshEndpoint> SshEndpointOf(const std::string& normalized_url);

// `url` with the password of its userinfo (if any) replaced by "***". Never fails; a string
// that is not a URL comes back unchanged.
std::string RedactUrl(const std::string& url);

}  // namespace ecsync::git
