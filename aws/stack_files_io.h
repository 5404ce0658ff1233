#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::aws {

// File primitives for the stack-files target. Errors are kInternal and name the path.

// Replaces `path` with `content` atomically: writes a hidden temporary file in the same
// folder (".<name>.tmp-<random>"), fsyncs it, renames it over `path` and fsyncs the folder.
// Readers see the old file or the new one, never a mix; a crash leaves at most a stray
// temporary file, which readers ignore. Creates the folder when missing.
base::Status WriteFileAtomically(const std::string& path, const std::string& content);

// The file's content, or nullopt when it does not exist.
base::Result<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Removes `path`; a missing file is not an error.
base::Status RemoveFileIfExists(const std::string& path);

// Names (not paths) of the regular files in `dir` ending with `suffix` and not starting
// with "." (so temporary files are skipped), sorted. A missing folder has none.
base::Result<std::vector<std::string>> ListFiles(const std::string& dir, const std::string& suffix);

}  // namespace ecsync::aws
