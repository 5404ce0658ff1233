#include "reconcile/git_file_reader.h"

#include <vector>

namespace ecsync::reconcile {

base::Result<std::string> NormalizeRepoPath(const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    return base::InvalidError("'" + path +
                              "' is an absolute path; files must be inside the repository");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) {
        return base::InvalidError("'" + path +
                                  "' points outside the repository; files must be inside it");
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

base::Result<std::string> GitFileReader::Read(const std::string& path) {
  ECSYNC_ASSIGN_OR_RETURN(std::string normalized, NormalizeRepoPath(path));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> content,
                          source_.ReadFile(url_, commit_, normalized));
  if (!content) {
    return base::NotFoundError(normalized + " does not exist at commit " + commit_.substr(0, 12));
  }
  return std::move(*content);
}

}  // namespace ecsync::reconcile
