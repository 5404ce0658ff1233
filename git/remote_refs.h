#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::git {

// One ref as a server advertises it (git ls-remote): a name such as "refs/heads/main",
// "HEAD" or "refs/tags/v1^{}" (the peeled target of an annotated tag), and its object id.
struct AdvertisedRef {
  std::string name;
  std::string oid;  // 40 lower-case hex digits
};

// Resolves `ref` against a server's advertisement the way LibGit2Source::Fetch resolves it
// against the refs it fetched: "" / "HEAD" through `default_branch` ("refs/heads/<name>",
// nullopt when the server's HEAD names no branch); "refs/heads/<b>" as that branch only;
// "refs/tags/<t>" as that tag, peeled; a bare name as a branch, then as a tag.
// REQUIRES: `ref` is not a full commit SHA and passed Fetch's ref validation.
// kNotFound (with Fetch's messages) when the ref is not advertised. A lightweight tag is
// returned as the object it names, which Fetch would reject when that is not a commit.
base::Result<std::string> ResolveAdvertisedRef(const std::vector<AdvertisedRef>& refs,
                                               const std::optional<std::string>& default_branch,
                                               const std::string& ref,
                                               const std::string& display_url);

}  // namespace ecsync::git
