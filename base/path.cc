#include "base/path.h"

#include <filesystem>
#include <iterator>

namespace ecsync::base {

namespace fs = std::filesystem;

std::string NormalizePath(std::string_view path) {
  std::string out = fs::path(path).lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "." : out;
}

std::string JoinPath(const std::string& base, const std::string& path) {
  if (base.empty() || fs::path(path).is_absolute()) return NormalizePath(path);
  return NormalizePath((fs::path(base) / path).string());
}

std::string DirName(const std::string& path) { return fs::path(path).parent_path().string(); }

bool IsInside(const std::string& root, const std::string& path) {
  fs::path normal_root = fs::path(root.empty() ? "." : root).lexically_normal();
  fs::path normal_path = fs::path(path).lexically_normal();
  if (normal_root.is_absolute() != normal_path.is_absolute()) return false;
  if (normal_root.is_relative()) {
    // Both relative to the same unknown folder: anchor them under a made-up absolute folder
    // deep enough that no "../" of either can climb past its top, so "../.." contains "x".
    fs::path anchor = "/";
    const size_t depth = static_cast<size_t>(std::distance(normal_root.begin(), normal_root.end()) +
                                             std::distance(normal_path.begin(), normal_path.end()));
    for (size_t i = 0; i < depth; ++i) anchor /= "d";
    normal_root = (anchor / normal_root).lexically_normal();
    normal_path = (anchor / normal_path).lexically_normal();
  }
  const fs::path relative = normal_path.lexically_relative(normal_root);
  if (relative.empty()) return false;
  return relative.begin()->string() != "..";
}

Result<std::string> NormalizeRepositoryPath(std::string_view path) {
  const std::string quoted = "\"" + std::string(path) + "\"";
  if (!path.empty() && path[0] == '/') {
    return InvalidError(quoted + " is absolute; write it relative to the repository root");
  }
  std::string normal = NormalizePath(path);
  if (normal == ".." || normal.starts_with("../")) {
    return InvalidError(quoted +
                        " climbs out of the repository with \"..\"; write a path inside the "
                        "repository");
  }
  if (normal == ".") normal.clear();
  return normal;
}

}  // namespace ecsync::base
