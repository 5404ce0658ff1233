#pragma once

// A POSIX ustar archive writer, for the file bundles an init container unpacks with
// `tar -x` (busybox). Only what a bundle needs: regular files and directories, no links,
// no compression. The output is a pure function of the entries: the same entries give the
// same bytes (entries sorted by path, mtime 0, no user or group names), so an archive can
// be compared, hashed and embedded in a template without causing spurious changes.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::artifacts {

struct TarEntry {
  // '/'-separated, relative, normalized ("0/conf.d/default.conf"); no "." or ".." segments.
  std::string path;
  bool directory = false;
  uint32_t mode = 0644;  // permission bits (07777 is kept, the rest is dropped)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string content;  // regular files only
};

// The archive: the entries sorted by path (a directory before what it holds), then the two
// zero blocks that end an archive. kInvalid for an empty, absolute or non-normalized path,
// a path that does not fit ustar's 100-byte name and 155-byte prefix, the same path twice,
// a directory with content, a uid or gid over 2097151, or a file over 8 GiB.
base::Result<std::string> WriteUstar(std::vector<TarEntry> entries);

}  // namespace ecsync::artifacts
