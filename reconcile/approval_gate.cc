#include "reconcile/approval_gate.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include <nlohmann/json.hpp>

namespace ecsync::reconcile {

namespace {

constexpr size_t kMaxTagValue = 256;

bool TagCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view(" _.:/=+-@").find(c) != std::string_view::npos;
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

using ChangeKey = std::tuple<std::string, std::string, std::string>;

std::vector<ChangeKey> Keys(const std::vector<aws::ResourceChange>& changes) {
  std::vector<ChangeKey> keys;
  keys.reserve(changes.size());
  for (const aws::ResourceChange& c : changes) {
    keys.emplace_back(c.action, c.logical_id, c.replacement);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

std::string ApprovalIdentity(const std::string& action, const std::string& revision,
                             const std::string& template_sha) {
  std::string identity = "ecsync-" + revision.substr(0, 12) + "-" + action;
  if (!template_sha.empty()) identity += "-" + template_sha.substr(0, 8);
  return identity;
}

std::string ApprovedChangeSetName(const std::string& reviewed) { return reviewed + "-approved"; }

std::string TagSafe(const std::string& value) {
  std::string out = value.substr(0, kMaxTagValue);
  for (char& c : out) {
    if (!TagCharacter(c)) c = '_';
  }
  return out;
}

std::map<std::string, std::string> WithApprovalTags(std::map<std::string, std::string> tags,
                                                    const ApprovalGate& gate) {
  tags[kTagApprovedBy] = TagSafe(gate.approved_by.empty() ? "unknown" : gate.approved_by);
  tags[kTagApprovedAt] = Rfc3339(gate.approved_at);
  tags[kTagApprovedChangeSet] = TagSafe(gate.change_set);
  return tags;
}

std::vector<aws::ResourceChange> TemplateResourcesAs(const std::string& template_body,
                                                     const std::string& action) {
  std::vector<aws::ResourceChange> changes;
  auto tmpl = nlohmann::json::parse(template_body, nullptr, false);
  if (tmpl.is_discarded() || !tmpl.contains("Resources") || !tmpl["Resources"].is_object()) {
    return changes;
  }
  for (auto it = tmpl["Resources"].begin(); it != tmpl["Resources"].end(); ++it) {
    aws::ResourceChange change;
    change.action = action;
    change.logical_id = it.key();
    if (it.value().is_object()) change.resource_type = it.value().value("Type", "");
    changes.push_back(change);
  }
  return changes;
}

base::Result<std::vector<aws::ResourceChange>> RemovalChanges(
    aws::CloudFormation& cfn, const std::vector<aws::Stack>& stacks) {
  std::vector<aws::ResourceChange> changes;
  for (const aws::Stack& stack : stacks) {
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackResource> resources,
                            cfn.DescribeStackResources(stack.id.empty() ? stack.name : stack.id));
    for (const aws::StackResource& r : resources) {
      changes.push_back({"Remove", r.logical_id, r.physical_id, r.resource_type, "", {}, {}});
    }
  }
  return changes;
}

bool SameChanges(const std::vector<aws::ResourceChange>& reviewed,
                 const std::vector<aws::ResourceChange>& applied) {
  return Keys(reviewed) == Keys(applied);
}

}  // namespace ecsync::reconcile
