#include "base/file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ecsync::base {

Result<std::string> ReadWholeFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) return NotFoundError("no such file");
  if (error) return InvalidError(error.message());
  if (status.type() == fs::file_type::directory) {
    return InvalidError("it is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidError(std::string("cannot open it: ") + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return InvalidError("read failed");
  return content.str();
}

}  // namespace ecsync::base
