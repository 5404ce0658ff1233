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

std::string TagValue(const std::map<std::string, std::string>& tags, const char* key,
                     const std::string& fallback) {
  auto it = tags.find(key);
  return it == tags.end() ? fallback : it->second;
}

std::optional<std::string> SourcePathIn(const std::map<std::string, std::string>& tags,
                                        const std::string& repo_url) {
  const std::string prefix = SourceId(repo_url, "");
  auto tag = tags.find(kTagSource);
  if (tag == tags.end() || !tag->second.starts_with(prefix)) return std::nullopt;
  return tag->second.substr(prefix.size());
}

std::string ShortRevision(const std::string& revision) { return revision.substr(0, 12); }

bool IsManaged(const std::map<std::string, std::string>& tags) {
  auto it = tags.find(kTagManagedBy);
  return it != tags.end() && it->second == kManagedByValue;
}

}  // namespace ecsync::reconcile
