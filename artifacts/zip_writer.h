#pragma once

// A deterministic ZIP archive writer (PKWARE APPNOTE 6.3), for the build contexts ecsync
// hands to AWS CodeBuild. The bytes are a pure function of the entries, their order and the
// compression level (with one zlib version): every entry carries the fixed DOS time
// 1980-01-01 00:00, no extra fields, no comments and Unix permissions in its external
// attributes, so two archives of the same files are identical and can be named by their hash.
//
// Entries are regular files (deflated, or stored when deflating does not make them smaller)
// and symbolic links (stored; the content is the link's target, as Info-ZIP writes them).
// No directory entries: extractors create the directories a path needs. More than 65,535
// entries use the ZIP64 end records; an archive may not exceed 4 GiB, because entries carry
// 32-bit offsets.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ecsync::artifacts {

enum class ZipEntryType { kFile, kSymlink };

class ZipWriter {
 public:
  // `level` is zlib's: 0 (store) to 9, or -1 for zlib's default (6).
  explicit ZipWriter(int level = -1);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Appends one entry. `path` is relative and '/'-separated; `permissions` are the Unix
  // permission bits (e.g. 0644, 0755; 0777 for links). The caller orders the entries
  // (sorted by path for a canonical archive) and never adds a path twice.
  // kInvalid for an empty path or one over 65,535 bytes, a file over 4 GiB, or when the
  // archive would pass 4 GiB; kInternal when zlib fails. After an error the archive is
  // incomplete: discard the writer.
  base::Status Add(std::string_view path, ZipEntryType type, uint32_t permissions,
                   std::string_view content);

  // Writes the central directory and end records and returns the archive. The writer is
  // empty afterwards.
  std::string Finish();

  uint64_t entries() const { return entries_; }

 private:
  struct Stream;  // zlib's deflate state, reused across entries

  std::unique_ptr<Stream> stream_;
  std::string out_;
  std::string central_;  // central directory records, appended after the last entry
  uint64_t entries_ = 0;
};

}  // namespace ecsync::artifacts
