#include "reconcile/git_file_reader.h"

#include <vector>

#include "base/path.h"

namespace ecsync::reconcile {

base::Result<std::string> GitFileReader::Read(const std::string& path) {
  ECSYNC_ASSIGN_OR_RETURN(std::string normalized, base::NormalizeRepositoryPath(path));
  ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> content,
                          source_.ReadFile(url_, commit_, normalized));
  if (!content) {
    return base::NotFoundError(normalized + " does not exist at commit " + commit_.substr(0, 12));
  }
  return std::move(*content);
}

}  // namespace ecsync::reconcile
