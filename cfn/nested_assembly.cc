// The nested-stack split's assembly: the child and parent templates of a packed split.
#include <algorithm>

#include "cfn/nested_internal.h"

namespace ecsync::cfn::nested_internal {
namespace {

constexpr char kStackType[] = "AWS::CloudFormation::Stack";
// What a TemplateURL may take in the parent while the split is measured; the real URLs
// replace it once the children are final.
constexpr size_t kUrlAllowance = 1024;

}  // namespace

Json Splitter::Assemble(const StackDraft& draft) const {
  auto local = [&](const std::string& target) {
    auto it = index_.find(target);
    return it != index_.end() && stack_of_[it->second] == stack_of_[draft.members.front()];
  };
  // Build made the name of every reference that crosses stacks.
  auto name_of = [&](const Reference& ref) { return parameter_names_.at(ref); };
  Json resources = Json::object();
  resources.get_ref<Json::object_t&>().reserve(draft.members.size());
  for (size_t i : draft.members) {
    const ResourceInfo& info = resources_[i];
    Json entry = *info.entry;
    if (entry.contains("DependsOn")) {
      std::vector<std::string> kept;
      for (const std::string& dependency : DependsOnOf(entry)) {
        if (index_.count(dependency) == 0 || local(dependency)) kept.push_back(dependency);
      }
      if (kept.empty()) {
        entry.erase("DependsOn");
      } else if (entry["DependsOn"].is_array()) {
        entry["DependsOn"] = kept;
      }
    }
    Rewrite(
        entry,
        [&](const Reference& ref) -> std::optional<Json> {
          if (ref.attribute.empty() || index_.count(ref.target) == 0 || local(ref.target)) {
            return std::nullopt;
          }
          return Ref(name_of(ref));
        },
        name_of);
    AppendMember(resources, info.id, std::move(entry));
  }
  Obj out;
  out.Add("AWSTemplateFormatVersion", tmpl_.value("AWSTemplateFormatVersion", "2010-09-09"));
  if (!draft.parameters.empty()) {
    Json parameters = Json::object();
    for (const auto& [name, definition] : draft.parameters) {
      AppendMember(parameters, name, definition);
    }
    out.Add("Parameters", std::move(parameters));
  }
  if (!draft.mappings.empty()) {
    Json mappings = Json::object();
    for (const std::string& name : draft.mappings) {
      AppendMember(mappings, name, tmpl_["Mappings"][name]);
    }
    out.Add("Mappings", std::move(mappings));
  }
  if (!draft.conditions.empty()) {
    Json conditions = Json::object();
    for (auto it = tmpl_["Conditions"].begin(); it != tmpl_["Conditions"].end(); ++it) {
      if (draft.conditions.count(it.key()) != 0) AppendMember(conditions, it.key(), it.value());
    }
    out.Add("Conditions", std::move(conditions));
  }
  out.Add("Resources", std::move(resources));
  if (!draft.outputs.empty()) {
    Json outputs = Json::object();
    for (const auto& [name, value] : draft.outputs) {
      AppendMember(outputs, name, Obj().Add("Value", value).Take());
    }
    out.Add("Outputs", std::move(outputs));
  }
  return std::move(out).Take();
}

Json Splitter::AssembleParent() {
  const StackDraft& parent = drafts_[0];
  auto name_of = [&](const Reference& ref) { return ParameterName(ref); };
  Json resources = Json::object();
  for (size_t i : parent.members) {
    const ResourceInfo& info = resources_[i];
    Json entry = *info.entry;
    if (entry.contains("DependsOn")) {
      std::vector<std::string> kept;
      for (const std::string& dependency : DependsOnOf(entry)) {
        auto it = index_.find(dependency);
        std::string node = it == index_.end() || stack_of_[it->second] == 0
                               ? dependency
                               : StackIdOf(stack_of_[it->second]);
        if (std::find(kept.begin(), kept.end(), node) == kept.end()) kept.push_back(node);
      }
      if (entry["DependsOn"].is_array()) {
        entry["DependsOn"] = kept;
      } else {
        entry["DependsOn"] = kept.front();
      }
    }
    Rewrite(
        entry,
        [&](const Reference& ref) -> std::optional<Json> {
          auto r = index_.find(ref.target);
          if (r == index_.end() || stack_of_[r->second] == 0) return std::nullopt;
          return GetAtt(StackIdOf(stack_of_[r->second]), "Outputs." + ParameterName(ref));
        },
        name_of);
    AppendMember(resources, info.id, std::move(entry));
  }
  for (size_t k = 1; k < drafts_.size(); ++k) {
    const StackDraft& draft = drafts_[k];
    Obj properties;
    properties.Add("TemplateURL", std::string(kUrlAllowance, 'x'));
    if (!draft.passed.empty()) {
      Json passed = Json::object();
      for (const auto& [name, value] : draft.passed) AppendMember(passed, name, value);
      properties.Add("Parameters", std::move(passed));
    }
    Obj entry;
    entry.Add("Type", kStackType);
    if (!draft.depends_on.empty()) {
      entry.Add("DependsOn",
                Json(std::vector<std::string>(draft.depends_on.begin(), draft.depends_on.end())));
    }
    entry.Add("Properties", std::move(properties).Take());
    AppendMember(resources, draft.id, std::move(entry).Take());
  }
  Json out = Json::object();
  for (auto it = tmpl_.begin(); it != tmpl_.end(); ++it) {
    if (it.key() == "Resources") {
      // NOLINTNEXTLINE(bugprone-use-after-move): an object's keys are unique, so this runs once.
      AppendMember(out, "Resources", std::move(resources));
    } else if (it.key() == "Outputs") {
      AppendMember(out, "Outputs", parent_outputs_);
    } else if (it.key() == "Conditions" && it->is_object()) {
      Json conditions = Json::object();
      for (auto c = it->begin(); c != it->end(); ++c) {
        if (parent.conditions.count(c.key()) != 0) AppendMember(conditions, c.key(), c.value());
      }
      if (!conditions.empty()) AppendMember(out, "Conditions", std::move(conditions));
    } else {
      AppendMember(out, it.key(), it.value());
    }
  }
  return out;
}

}  // namespace ecsync::cfn::nested_internal
