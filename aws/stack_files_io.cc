#include "aws/stack_files_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "base/file.h"

namespace ecsync::aws {
namespace {

namespace fs = std::filesystem;

base::Status ErrnoError(const std::string& what, const std::string& path) {
  return base::InternalError(what + " " + path + ": " + std::strerror(errno));
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  uint64_t bits = rng();
  for (int i = 0; i < 12; ++i, bits >>= 4) out.push_back(kHex[bits & 0xf]);
  return out;
}

base::Status WriteAll(int fd, const std::string& content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return base::Status::Ok();
}

// Makes a rename in `dir` durable.
base::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open folder", dir);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return ErrnoError("cannot sync folder", dir);
  return base::Status::Ok();
}

}  // namespace

base::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  fs::path target(path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return base::InternalError("cannot create folder " + dir.string() + ": " + ec.message());
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" + RandomSuffix())).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  base::Status written = WriteAll(fd, content, tmp);
  if (written.ok() && ::fsync(fd) != 0) written = ErrnoError("cannot sync", tmp);
  if (::close(fd) != 0 && written.ok()) written = ErrnoError("cannot close", tmp);
  if (written.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    written = ErrnoError("cannot rename " + tmp + " to", path);
  }
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  return SyncDir(dir.string());
}

base::Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  base::Result<std::string> content = base::ReadWholeFile(path);
  if (content.ok()) return std::optional<std::string>(*std::move(content));
  if (content.status().kind() == base::ErrorKind::kNotFound) return std::optional<std::string>();
  return base::InternalError("cannot read " + path + ": " + content.status().message());
}

base::Status RemoveFileIfExists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("cannot remove", path);
  return base::Status::Ok();
}

base::Result<std::vector<std::string>> ListFiles(const std::string& dir,
                                                 const std::string& suffix) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return names;
    return base::InternalError("cannot list folder " + dir + ": " + ec.message());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return base::InternalError("cannot list folder " + dir + ": " + ec.message());
    std::string name = it->path().filename().string();
    if (name.empty() || name.front() == '.' || !name.ends_with(suffix)) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    names.push_back(std::move(name));
  }
  if (ec) return base::InternalError("cannot list folder " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ecsync::aws
