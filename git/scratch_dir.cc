#include "git/scratch_dir.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace ecsync::git::internal {

base::Result<std::unique_ptr<ScratchDir>> ScratchDir::Create(const std::string& prefix) {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) {
    return base::Status(base::ErrorKind::kTransient,
                        "no temporary folder for signature checks: " + error.message());
  }
  std::string name = (base / (prefix + "XXXXXX")).string();
  if (mkdtemp(name.data()) == nullptr) {
    return base::Status(base::ErrorKind::kTransient,
                        "cannot make a temporary folder for signature checks: " +
                            std::string(std::strerror(errno)));
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(std::move(name)));
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

base::Result<std::string> ScratchDir::Write(const std::string& name,
                                            const std::string& content) const {
  const std::string file = path_ + "/" + name;
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return base::Status(base::ErrorKind::kTransient,
                        "cannot write " + file + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      close(fd);
      return base::Status(base::ErrorKind::kTransient,
                          "cannot write " + file + ": " + std::strerror(saved));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return file;
}

}  // namespace ecsync::git::internal
