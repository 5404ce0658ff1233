#include "artifacts/ustar.h"

#include <algorithm>
#include <cstring>

#include "base/path.h"

namespace ecsync::artifacts {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kNameSize = 100;
constexpr size_t kPrefixSize = 155;
constexpr uint32_t kMaxId = 07777777;               // 7 octal digits
constexpr uint64_t kMaxFileSize = 077777777777ULL;  // 11 octal digits

// Writes `value` as `width - 1` zero-padded octal digits and a NUL, as ustar wants.
// REQUIRES: `value` fits (callers check sizes; modes and IDs are masked or small).
void Octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

// Splits `name` into ustar's prefix and name fields; false when it cannot fit.
bool SplitName(const std::string& name, std::string* prefix, std::string* rest) {
  if (name.size() <= kNameSize) {
    prefix->clear();
    *rest = name;
    return true;
  }
  // The split must fall on a '/', which neither field keeps.
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    if (slash <= kPrefixSize && name.size() - slash - 1 <= kNameSize && slash + 1 < name.size()) {
      *prefix = name.substr(0, slash);
      *rest = name.substr(slash + 1);
      return true;
    }
  }
  return false;
}

base::Status AppendHeader(const TarEntry& entry, std::string* out) {
  const std::string name = entry.directory ? entry.path + "/" : entry.path;
  std::string prefix;
  std::string rest;
  if (!SplitName(name, &prefix, &rest)) {
    return base::InvalidError("the path " + entry.path +
                              " is too long for a tar archive (ustar: 100 bytes of name after "
                              "at most 155 bytes of directories)");
  }
  char header[kBlock];
  std::memset(header, 0, sizeof(header));
  // ustar fields are fixed-width, NUL-padded only when shorter (the memset above): copies
  // into them are not strings.
  std::copy_n(rest.data(), rest.size(), header);
  Octal(header + 100, 8, entry.mode & 07777);
  Octal(header + 108, 8, entry.uid);
  Octal(header + 116, 8, entry.gid);
  Octal(header + 124, 12, entry.directory ? 0 : entry.content.size());
  Octal(header + 136, 12, 0);  // mtime: fixed, so the archive depends on content alone
  header[156] = entry.directory ? '5' : '0';
  std::memcpy(header + 257, "ustar", 6);  // magic with its NUL
  std::copy_n("00", 2, header + 263);     // version, without a NUL
  std::copy_n(prefix.data(), prefix.size(), header + 345);
  // The checksum is computed with its own field read as spaces.
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  Octal(header + 148, 7, sum);  // six digits and a NUL; the eighth byte stays a space
  out->append(header, sizeof(header));
  return base::Status::Ok();
}

}  // namespace

base::Result<std::string> WriteUstar(std::vector<TarEntry> entries) {
  // Sorting by path puts "a" before "a/b": tar then creates a directory before its content.
  std::sort(entries.begin(), entries.end(),
            [](const TarEntry& a, const TarEntry& b) { return a.path < b.path; });
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TarEntry& entry = entries[i];
    if (entry.path.empty() || entry.path.front() == '/' ||
        base::NormalizePath(entry.path) != entry.path || entry.path == "." ||
        entry.path.rfind("../", 0) == 0 || entry.path == "..") {
      return base::InvalidError("\"" + entry.path +
                                "\" is not a relative, normalized path for a tar entry");
    }
    if (i > 0 && entries[i - 1].path == entry.path) {
      return base::InvalidError(entry.path + " appears twice in one tar archive");
    }
    if (entry.directory && !entry.content.empty()) {
      return base::InvalidError("the directory " + entry.path + " cannot have content");
    }
    if (entry.uid > kMaxId || entry.gid > kMaxId) {
      return base::InvalidError(entry.path +
                                ": uid and gid must be below 2097152 in a tar archive");
    }
    if (entry.content.size() > kMaxFileSize) {
      return base::InvalidError(entry.path + " is too large for a tar archive");
    }
    ECSYNC_RETURN_IF_ERROR(AppendHeader(entry, &out));
    if (!entry.directory) {
      out += entry.content;
      out.append((kBlock - entry.content.size() % kBlock) % kBlock, '\0');
    }
  }
  out.append(2 * kBlock, '\0');
  return out;
}

}  // namespace ecsync::artifacts
