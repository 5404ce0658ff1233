#pragma once

// Path arithmetic for the loader. Paths are the ones the FileReader understands: relative to
// the process's directory (disk) or to the repository root (git), or absolute. Purely lexical:
// nothing here touches the filesystem. Joining, directory names and containment are base's
// (base/path.h); the loader names them unqualified.

#include <string>

#include "base/path.h"

namespace ecsync::compose {

using base::DirName;
using base::IsInside;
using base::JoinPath;

// "~" and "~/x" become `home` and `home`/x; other paths are returned unchanged. Unchanged also
// when `home` is empty.
std::string ExpandHome(const std::string& path, const std::string& home);

}  // namespace ecsync::compose
