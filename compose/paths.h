#pragma once

// Path arithmetic for the loader. Paths are the ones the FileReader understands: relative to
// the process's directory (disk) or to the repository root (git), or absolute. Purely lexical:
// nothing here touches the filesystem.

#include <string>

#include "base/result.h"

namespace ecsync::compose {

// `path` joined to `base` and lexically normalized ("a/b" + "../c" -> "a/c"); an absolute
// `path` is returned normalized. An empty result becomes ".".
std::string JoinPath(const std::string& base, const std::string& path);

// The directory part of `path` ("a/b.yaml" -> "a", "b.yaml" -> "").
std::string DirName(const std::string& path);

// True when the normalized `path` is `root` or lies below it. Relative paths are only ever
// inside a relative (or empty) root, both taken from the same folder: a root "" or "."
// contains every relative path that does not climb with "..", a root "../.." contains "x"
// and "../../y" but not "../../../z".
bool IsInside(const std::string& root, const std::string& path);

// "~" and "~/x" become `home` and `home`/x; other paths are returned unchanged. Unchanged also
// when `home` is empty.
std::string ExpandHome(const std::string& path, const std::string& home);

}  // namespace ecsync::compose
