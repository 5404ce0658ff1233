#include "compose/paths.h"

namespace ecsync::compose {

std::string ExpandHome(const std::string& path, const std::string& home) {
  if (home.empty() || path.empty() || path[0] != '~') return path;
  if (path.size() == 1) return home;
  if (path[1] == '/') return JoinPath(home, path.substr(2));
  return path;
}

}  // namespace ecsync::compose
