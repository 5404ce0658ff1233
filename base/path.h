#pragma once

// Lexical path arithmetic on '/'-separated paths. Nothing here touches the filesystem.

#include <string>
#include <string_view>

#include "base/result.h"

namespace ecsync::base {

// `path` with "." segments, repeated '/' and a trailing '/' removed and each "name/.."
// folded ("a/./b/../c/" -> "a/c"). A relative path keeps the ".." it starts with
// ("../x"); "/.." is "/". An empty result is ".".
std::string NormalizePath(std::string_view path);

// `path` joined to `base` and normalized ("a/b" + "../c" -> "a/c"); an absolute `path`, or
// any `path` when `base` is empty, is only normalized.
std::string JoinPath(const std::string& base, const std::string& path);

// The directory part of `path` ("a/b.yaml" -> "a", "b.yaml" -> "").
std::string DirName(const std::string& path);

// True when the normalized `path` is `root` or lies below it. Relative paths are only ever
// inside a relative (or empty) root, both taken from the same folder: a root "" or "."
// contains every relative path that does not climb with "..", a root "../.." contains "x"
// and "../../y" but not "../../../z".
bool IsInside(const std::string& root, const std::string& path);

// A path inside a repository, relative to its root, normalized as NormalizePath does; the
// root itself is "". This is the one spelling git trees, the loader and the configuration
// use for repository files. kInvalid when `path` starts with '/' or climbs above the root
// with "..", naming the path and what to write instead.
Result<std::string> NormalizeRepositoryPath(std::string_view path);

}  // namespace ecsync::base
