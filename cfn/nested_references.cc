// The nested-stack split's references: what resources use, and parameters/outputs across stacks.
#include <algorithm>

#include "cfn/nested_internal.h"

namespace ecsync::cfn::nested_internal {
namespace {

// Attributes whose value is a list: they travel between stacks joined by commas.
constexpr std::string_view kListAttributes[] = {"SecurityGroups",        "Ipv6CidrBlocks",
                                                "CidrBlockAssociations", "DnsEntries",
                                                "NetworkInterfaceIds",   "NameServers"};

std::string AlnumOnly(std::string_view text) {
  std::string out;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<Reference> GetAttOf(const Json& argument) {
  if (argument.is_string()) {
    const std::string& text = argument.get_ref<const std::string&>();
    size_t dot = text.find('.');
    if (dot == std::string::npos) return std::nullopt;
    return Reference{text.substr(0, dot), text.substr(dot + 1)};
  }
  if (argument.is_array() && argument.size() == 2 && argument[0].is_string() &&
      argument[1].is_string()) {
    return Reference{argument[0].get<std::string>(), argument[1].get<std::string>()};
  }
  return std::nullopt;
}

Reference SubReference(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

void CollectUses(const Json& value, const Declared& declared, Uses* uses) {
  if (value.is_array()) {
    for (const Json& item : value) CollectUses(item, declared, uses);
    return;
  }
  if (!value.is_object()) return;
  if (value.size() == 1) {
    const auto it = value.begin();
    const std::string& key = it.key();
    const Json& arg = it.value();
    if (key == "Ref" && arg.is_string()) {
      const std::string& target = arg.get_ref<const std::string&>();
      if (declared.Referable(target)) uses->refs.insert({target, ""});
      return;
    }
    if (key == "Fn::GetAtt") {
      std::optional<Reference> ref = GetAttOf(arg);
      if (ref && declared.Referable(ref->target)) uses->refs.insert(*ref);
      if (!ref) CollectUses(arg, declared, uses);
      return;
    }
    if (key == "Fn::Sub") {
      const Json* text = &arg;
      const Json* variables = nullptr;
      if (arg.is_array() && arg.size() == 2) {
        text = &arg[0];
        variables = &arg[1];
        CollectUses(*variables, declared, uses);
      }
      if (!text->is_string()) return CollectUses(*text, declared, uses);
      ForEachSubName(
          text->get_ref<const std::string&>(), [&](size_t, size_t, const std::string& name) {
            if (variables != nullptr && variables->is_object() && variables->contains(name)) {
              return;
            }
            Reference ref = SubReference(name);
            if (declared.Referable(ref.target)) uses->refs.insert(std::move(ref));
          });
      return;
    }
    if (key == "Fn::If" && arg.is_array() && !arg.empty() && arg[0].is_string()) {
      uses->conditions.insert(arg[0].get<std::string>());
      for (size_t i = 1; i < arg.size(); ++i) CollectUses(arg[i], declared, uses);
      return;
    }
    if (key == "Fn::FindInMap" && arg.is_array() && !arg.empty() && arg[0].is_string() &&
        declared.mappings.count(arg[0].get<std::string>()) != 0) {
      uses->mappings.insert(arg[0].get<std::string>());
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    // A resource's or output's Condition, or {"Condition": name} inside a condition.
    // IAM's Condition is an object, not a name.
    if (it.key() == "Condition" && it.value().is_string()) {
      const std::string& name = it.value().get_ref<const std::string&>();
      if (declared.conditions.count(name) != 0) uses->conditions.insert(name);
      continue;
    }
    if (it.key() == "DependsOn") continue;  // read on its own
    CollectUses(it.value(), declared, uses);
  }
}

std::vector<std::string> DependsOnOf(const Json& entry) {
  std::vector<std::string> out;
  auto it = entry.find("DependsOn");
  if (it == entry.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const Json& item : *it) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

bool Splitter::IsList(const Reference& ref) const {
  if (ref.attribute.empty()) {
    if (declared_.parameters.count(ref.target) == 0) return false;
    const std::string type = tmpl_["Parameters"][ref.target].value("Type", "");
    return type.starts_with("List<") || type == "CommaDelimitedList";
  }
  return std::find(std::begin(kListAttributes), std::end(kListAttributes), ref.attribute) !=
         std::end(kListAttributes);
}

const std::string& Splitter::ParameterName(const Reference& ref) {
  auto it = parameter_names_.find(ref);
  if (it != parameter_names_.end()) return it->second;
  std::string name = ref.target;
  if (!ref.attribute.empty()) {
    std::string base = ref.target + AlnumOnly(ref.attribute);
    name = base;
    for (int n = 2; taken_names_.count(name) != 0; ++n) name = base + "Value" + std::to_string(n);
    taken_names_.insert(name);
  }
  return parameter_names_.emplace(ref, std::move(name)).first->second;
}

Json Splitter::ValueAtHome(const Reference& ref) const {
  Json value = ref.attribute.empty() ? Ref(ref.target) : GetAtt(ref.target, ref.attribute);
  if (IsList(ref)) value = Join(",", std::move(value));
  auto it = index_.find(ref.target);
  if (it != index_.end() && !resources_[it->second].condition.empty()) {
    value = Obj().Add("Fn::If", Arr(resources_[it->second].condition, std::move(value), ""));
  }
  return value;
}

// The value of `ref` as the parent passes it; `home` holds its target (0: the parent).
Json Splitter::PassedValue(const Reference& ref, int home) {
  if (home == 0) {
    if (auto it = index_.find(ref.target); it != index_.end()) {
      if (!resources_[it->second].condition.empty()) {
        drafts_[0].conditions.insert(resources_[it->second].condition);
      }
    }
    return ValueAtHome(ref);
  }
  const std::string& name = ParameterName(ref);
  drafts_[home].outputs.emplace(name, ValueAtHome(ref));
  return GetAtt(StackIdOf(home), "Outputs." + name);
}

std::set<std::string> Splitter::ConditionClosure(std::set<std::string> conditions,
                                                 std::set<std::string>* parameters) const {
  std::vector<std::string> todo(conditions.begin(), conditions.end());
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    auto it = condition_uses_.find(name);
    if (it == condition_uses_.end()) continue;
    for (const std::string& next : it->second.conditions) {
      if (conditions.insert(next).second) todo.push_back(next);
    }
    for (const Reference& ref : it->second.refs) {
      if (declared_.parameters.count(ref.target) != 0) parameters->insert(ref.target);
    }
  }
  return conditions;
}

base::Status Splitter::Build(const std::vector<int>& child_of_unit) {
  int children = 0;
  for (int child : child_of_unit) children = std::max(children, child);
  stack_of_.assign(resources_.size(), 0);
  drafts_.assign(children + 1, StackDraft{});
  for (size_t i = 0; i < resources_.size(); ++i) {
    if (resources_[i].unit >= 0) stack_of_[i] = child_of_unit[resources_[i].unit];
    drafts_[stack_of_[i]].members.push_back(i);
  }
  for (int k = 1; k <= children; ++k) {
    drafts_[k].id = StackIdOf(k);
    if (declared_.resources.count(drafts_[k].id) != 0) {
      return base::InvalidError("the template already has a resource " + drafts_[k].id +
                                ", the name of a nested stack; rename it");
    }
  }
  for (int k = 1; k <= children; ++k) {
    StackDraft& draft = drafts_[k];
    std::set<std::string> parameters;  // template parameters the child copies
    for (size_t i : draft.members) {
      const ResourceInfo& info = resources_[i];
      draft.conditions.insert(info.uses.conditions.begin(), info.uses.conditions.end());
      draft.mappings.insert(info.uses.mappings.begin(), info.uses.mappings.end());
      for (const std::string& dependency : info.depends_on) {
        const int home = stack_of_[index_[dependency]];
        if (home == k) continue;
        draft.depends_on.insert(home == 0 ? dependency : StackIdOf(home));
      }
      for (const Reference& ref : info.uses.refs) {
        auto it = index_.find(ref.target);
        if (it == index_.end()) {
          parameters.insert(ref.target);
          continue;
        }
        const int home = stack_of_[it->second];
        if (home == k) continue;
        const std::string& name = ParameterName(ref);
        if (draft.parameters.count(name) != 0) continue;
        Obj definition;
        definition.Add("Type", IsList(ref) ? "CommaDelimitedList" : "String");
        if (!resources_[it->second].condition.empty()) definition.Add("Default", "");
        draft.parameters.emplace(name, std::move(definition).Take());
        draft.passed.emplace(name, PassedValue(ref, home));
      }
    }
    draft.conditions = ConditionClosure(std::move(draft.conditions), &parameters);
    for (const std::string& parameter : parameters) {
      draft.parameters.emplace(parameter, tmpl_["Parameters"][parameter]);
      draft.passed.emplace(parameter, ValueAtHome({parameter, ""}));
    }
  }
  // What the parent's own resources and outputs read from children.
  for (size_t i : drafts_[0].members) {
    const ResourceInfo& info = resources_[i];
    drafts_[0].conditions.insert(info.uses.conditions.begin(), info.uses.conditions.end());
    for (const Reference& ref : info.uses.refs) {
      auto it = index_.find(ref.target);
      if (it != index_.end() && stack_of_[it->second] != 0) {
        PassedValue(ref, stack_of_[it->second]);
      }
    }
  }
  parent_outputs_ = Json();
  if (auto it = tmpl_.find("Outputs"); it != tmpl_.end() && it->is_object()) {
    Uses uses;
    CollectUses(*it, declared_, &uses);
    drafts_[0].conditions.insert(uses.conditions.begin(), uses.conditions.end());
    for (const Reference& ref : uses.refs) {
      auto r = index_.find(ref.target);
      if (r != index_.end() && stack_of_[r->second] != 0) PassedValue(ref, stack_of_[r->second]);
    }
    parent_outputs_ = *it;
    Rewrite(
        parent_outputs_,
        [&](const Reference& ref) -> std::optional<Json> {
          auto r = index_.find(ref.target);
          if (r == index_.end() || stack_of_[r->second] == 0) return std::nullopt;
          return GetAtt(StackIdOf(stack_of_[r->second]), "Outputs." + ParameterName(ref));
        },
        [&](const Reference& ref) { return ParameterName(ref); });
  }
  for (int k = 1; k <= children; ++k) {
    for (const auto& [name, value] : drafts_[k].passed) {
      Uses uses;
      CollectUses(value, declared_, &uses);
      drafts_[0].conditions.insert(uses.conditions.begin(), uses.conditions.end());
    }
  }
  // Outputs with a value under a condition name it in their Fn::If only.
  for (int k = 1; k <= children; ++k) {
    for (const auto& [name, value] : drafts_[k].outputs) {
      Uses uses;
      CollectUses(value, declared_, &uses);
      drafts_[k].conditions.insert(uses.conditions.begin(), uses.conditions.end());
    }
  }
  std::set<std::string> unused;
  drafts_[0].conditions = ConditionClosure(std::move(drafts_[0].conditions), &unused);
  return CheckNoCycle();
}

base::Status Splitter::CheckNoCycle() const {
  // Nodes: parent resources by ID, children by stack ID.
  std::map<std::string, std::set<std::string>> edges;
  auto node_of = [&](const std::string& target) -> std::string {
    auto it = index_.find(target);
    if (it == index_.end()) return "";
    const int home = stack_of_[it->second];
    return home == 0 ? target : StackIdOf(home);
  };
  for (size_t k = 0; k < drafts_.size(); ++k) {
    for (size_t i : drafts_[k].members) {
      const std::string from = k == 0 ? resources_[i].id : drafts_[k].id;
      auto& out = edges[from];
      for (const Reference& ref : resources_[i].uses.refs) out.insert(node_of(ref.target));
      for (const std::string& dependency : resources_[i].depends_on) {
        out.insert(node_of(dependency));
      }
      out.erase("");
      out.erase(from);
    }
  }
  enum Mark { kNone, kVisiting, kDone };
  std::map<std::string, Mark> marks;
  std::vector<std::string> path;
  std::string cycle;
  // Recursive; the depth is bounded by the number of parent resources and children.
  auto visit = [&](auto&& self, const std::string& node) -> bool {
    Mark& mark = marks[node];
    if (mark == kDone) return false;
    if (mark == kVisiting) {
      for (auto it = std::find(path.begin(), path.end(), node); it != path.end(); ++it) {
        cycle += *it + " -> ";
      }
      cycle += node;
      return true;
    }
    mark = kVisiting;
    path.push_back(node);
    for (const std::string& next : edges[node]) {
      if (self(self, next)) return true;
    }
    path.pop_back();
    marks[node] = kDone;
    return false;
  };
  for (const auto& [node, out] : edges) {
    if (visit(visit, node)) {
      return base::InvalidError("the template cannot be split into nested stacks: " + cycle +
                                " would wait for each other across stacks");
    }
  }
  return base::Status::Ok();
}

}  // namespace ecsync::cfn::nested_internal
