#include "git/remote_refs.h"

namespace ecsync::git {

namespace {

constexpr std::string_view kBranchPrefix = "refs/heads/";
constexpr std::string_view kTagPrefix = "refs/tags/";

const AdvertisedRef* Find(const std::vector<AdvertisedRef>& refs, const std::string& name) {
  for (const AdvertisedRef& r : refs) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// The commit a tag names: the peeled entry of an annotated tag, else the tag's own id.
std::optional<std::string> FindTag(const std::vector<AdvertisedRef>& refs,
                                   const std::string& full_name) {
  if (const AdvertisedRef* peeled = Find(refs, full_name + "^{}")) return peeled->oid;
  if (const AdvertisedRef* tag = Find(refs, full_name)) return tag->oid;
  return std::nullopt;
}

}  // namespace

base::Result<std::string> ResolveAdvertisedRef(const std::vector<AdvertisedRef>& refs,
                                               const std::optional<std::string>& default_branch,
                                               const std::string& ref,
                                               const std::string& display_url) {
  if (ref.empty() || ref == "HEAD") {
    if (!default_branch || !default_branch->starts_with(kBranchPrefix)) {
      return base::NotFoundError("the HEAD of " + display_url +
                                 " names no branch (is the repository empty?); name a branch");
    }
    std::string branch = default_branch->substr(kBranchPrefix.size());
    if (const AdvertisedRef* head = Find(refs, *default_branch)) return head->oid;
    return base::NotFoundError("default branch '" + branch + "' not found in " + display_url);
  }
  if (ref.starts_with(kTagPrefix)) {
    if (std::optional<std::string> oid = FindTag(refs, ref)) return *oid;
    return base::NotFoundError("tag '" + ref.substr(kTagPrefix.size()) + "' not found in " +
                               display_url);
  }
  bool branch_only = ref.starts_with(kBranchPrefix);
  std::string branch = branch_only ? ref.substr(kBranchPrefix.size()) : ref;
  if (const AdvertisedRef* head = Find(refs, std::string(kBranchPrefix) + branch)) {
    return head->oid;
  }
  if (branch_only) {
    return base::NotFoundError("branch '" + branch + "' not found in " + display_url);
  }
  if (std::optional<std::string> oid = FindTag(refs, std::string(kTagPrefix) + branch)) {
    return *oid;
  }
  return base::NotFoundError("branch '" + branch + "' not found in " + display_url +
                             " (no tag of that name either)");
}

}  // namespace ecsync::git
