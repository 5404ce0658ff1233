#include "reconcile/stack_tags.h"

#include "base/hash.h"

namespace ecsync::reconcile {

std::string SourceId(const std::string& repo_url, const std::string& compose_path) {
  std::string id = repo_url + "#" + compose_path;
  constexpr size_t kMaxTagValue = 256;
  if (id.size() <= kMaxTagValue) return id;
  std::string hash = base::Sha256Hex(id).substr(0, 16);
  return id.substr(0, kMaxTagValue - hash.size() - 1) + "~" + hash;
}

std::string RequestToken(const std::string& stack, const std::string& revision,
                         const std::string& operation) {
  // "ecsync-<op>-" + 40 hex characters; operation names are short lower-case words.
  return "ecsync-" + operation + "-" +
         base::Sha256Hex(stack + "\n" + revision + "\n" + operation).substr(0, 40);
}

bool IsManaged(const std::map<std::string, std::string>& tags) {
  auto it = tags.find(kTagManagedBy);
  return it != tags.end() && it->second == kManagedByValue;
}

}  // namespace ecsync::reconcile
