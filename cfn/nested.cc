#include "cfn/nested.h"

#include <algorithm>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

constexpr char kStackType[] = "AWS::CloudFormation::Stack";
constexpr char kServiceTag[] = "com.docker.compose.service";
// What a TemplateURL may take in the parent while the split is measured; the real URLs
// replace it once the children are final.
constexpr size_t kUrlAllowance = 1024;
// Bytes of a child template estimated per parameter it declares and output it gives.
constexpr size_t kBytesPerParameter = 96;

// Suffixes cfn/names.h puts after a service's logical-ID part.
constexpr std::string_view kServiceSuffixes[] = {
    "Service",        "TaskDefinition", "TaskExecutionRole", "TaskRole", "ServiceDiscoveryEntry",
    "ScalableTarget", "ScalingPolicy",  "AutoScalingRole"};

// Attributes whose value is a list: they travel between stacks joined by commas.
constexpr std::string_view kListAttributes[] = {"SecurityGroups",        "Ipv6CidrBlocks",
                                                "CidrBlockAssociations", "DnsEntries",
                                                "NetworkInterfaceIds",   "NameServers"};

std::string Figure(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The size of `text` as a JSON string in nlohmann's serialization (ensure_ascii off).
// Text with bytes above 0x7F is serialized, so invalid UTF-8 counts as its replacement does.
size_t StringSize(const std::string& text) {
  size_t size = 2;
  for (unsigned char c : text) {
    if (c >= 0x80) return Compact(Json(text)).size();
    if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
      size += 2;
    } else {
      size += c <= 0x1F ? 6 : 1;
    }
  }
  return size;
}

// Compact(value).size() without building the text.
size_t CompactSize(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      size_t size = value.empty() ? 2 : 1 + value.size();  // braces and commas
      for (auto it = value.begin(); it != value.end(); ++it) {
        size += StringSize(it.key()) + 1 + CompactSize(it.value());
      }
      return size;
    }
    case Json::value_t::array: {
      size_t size = value.empty() ? 2 : 1 + value.size();
      for (const Json& item : value) size += CompactSize(item);
      return size;
    }
    case Json::value_t::string:
      return StringSize(value.get_ref<const std::string&>());
    case Json::value_t::boolean:
      return value.get<bool>() ? 4 : 5;
    case Json::value_t::null:
      return 4;
    case Json::value_t::number_integer:
      return std::to_string(value.get<int64_t>()).size();
    case Json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>()).size();
    default:
      return Compact(value).size();
  }
}

std::string AlnumOnly(std::string_view text) {
  std::string out;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    }
  }
  return out;
}

// "TCP80TargetGroup", "UDP53Listener", ...
bool IsPortSuffix(std::string_view rest) {
  for (std::string_view proto : {"TCPUDP", "TCP", "UDP"}) {
    if (rest.substr(0, proto.size()) != proto) continue;
    std::string_view tail = rest.substr(proto.size());
    size_t digits = 0;
    while (digits < tail.size() && tail[digits] >= '0' && tail[digits] <= '9') ++digits;
    if (digits == 0) continue;
    tail = tail.substr(digits);
    if (tail == "TargetGroup" || tail == "Listener") return true;
  }
  return false;
}

// A reference to a resource or template parameter; `attribute` is empty for Ref.
struct Reference {
  std::string target;
  std::string attribute;
  bool operator<(const Reference& o) const {
    return std::tie(target, attribute) < std::tie(o.target, o.attribute);
  }
};

// What a piece of template uses besides pseudo-parameters.
struct Uses {
  std::set<Reference> refs;
  std::set<std::string> conditions;
  std::set<std::string> mappings;
};

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

// Calls `visit(begin, end, name)` for each `${name}` of a Fn::Sub text (not `${!literal}`).
template <typename Visit>
void ForEachSubName(const std::string& text, Visit visit) {
  size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string::npos) {
    size_t close = text.find('}', pos + 2);
    if (close == std::string::npos) return;
    if (text[pos + 2] != '!') visit(pos, close + 1, text.substr(pos + 2, close - pos - 2));
    pos = close + 1;
  }
}

Reference SubReference(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// The logical names a template declares.
struct Declared {
  std::unordered_set<std::string> resources;
  std::unordered_set<std::string> parameters;
  std::unordered_set<std::string> conditions;
  std::unordered_set<std::string> mappings;

  bool Referable(const std::string& name) const {
    return resources.count(name) != 0 || parameters.count(name) != 0;
  }
};

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

// Replaces references for which `replace(ref)` gives a value. In Fn::Sub text a
// replacement {"Ref": name} becomes `${name}`; any other replacement becomes a variable
// of the Sub named after the reference's parameter name (`name_of(ref)`).
template <typename Replace, typename NameOf>
void Rewrite(Json& value, const Replace& replace, const NameOf& name_of) {
  if (value.is_array()) {
    for (Json& item : value) Rewrite(item, replace, name_of);
    return;
  }
  if (!value.is_object()) return;
  if (value.size() == 1) {
    auto it = value.begin();
    const std::string& key = it.key();
    Json& arg = it.value();
    if (key == "Ref" && arg.is_string()) {
      std::optional<Json> with = replace(Reference{arg.get<std::string>(), ""});
      if (with) value = std::move(*with);
      return;
    }
    if (key == "Fn::GetAtt") {
      std::optional<Reference> ref = GetAttOf(arg);
      if (!ref) return Rewrite(arg, replace, name_of);
      std::optional<Json> with = replace(*ref);
      if (with) value = std::move(*with);
      return;
    }
    if (key == "Fn::Sub") {
      Json* text = &arg;
      Json* variables = nullptr;
      if (arg.is_array() && arg.size() == 2) {
        text = &arg[0];
        variables = &arg[1];
        Rewrite(*variables, replace, name_of);
      }
      if (!text->is_string()) return Rewrite(*text, replace, name_of);
      const std::string original = text->get<std::string>();
      std::string out;
      std::vector<std::pair<std::string, Json>> added;
      size_t copied = 0;
      ForEachSubName(original, [&](size_t begin, size_t end, const std::string& name) {
        if (variables != nullptr && variables->is_object() && variables->contains(name)) return;
        Reference ref = SubReference(name);
        std::optional<Json> with = replace(ref);
        if (!with && ref.attribute.empty()) return;
        out.append(original, copied, begin - copied);
        copied = end;
        if (!with) {
          // Kept as is (a reference the target stack declares under its own name).
          out.append(original, begin, end - begin);
          return;
        }
        if (with->is_object() && with->size() == 1 && with->contains("Ref")) {
          out += "${" + (*with)["Ref"].get<std::string>() + "}";
          return;
        }
        const std::string variable = name_of(ref);
        out += "${" + variable + "}";
        added.emplace_back(variable, std::move(*with));
      });
      if (copied == 0) return;
      out.append(original, copied, std::string::npos);
      *text = std::move(out);
      if (!added.empty()) {
        if (variables == nullptr) {
          value = Obj().Add("Fn::Sub", Arr(std::move(*text), Json::object()));
          variables = &value["Fn::Sub"][1];
        }
        for (auto& [name, with] : added) {
          if (!variables->contains(name)) (*variables)[name] = std::move(with);
        }
      }
      return;
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "DependsOn" || it.key() == "Condition") continue;
    Rewrite(it.value(), replace, name_of);
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

// The Tags array of a resource entry's Properties, or null.
const Json* TagsOf(const Json& entry) {
  auto properties = entry.find("Properties");
  if (properties == entry.end() || !properties->is_object()) return nullptr;
  auto tags = properties->find("Tags");
  return tags != properties->end() && tags->is_array() ? &*tags : nullptr;
}

struct ResourceInfo {
  std::string id;
  const Json* entry = nullptr;
  Uses uses;
  std::vector<std::string> depends_on;
  std::string condition;  // the resource's own Condition
  size_t bytes = 0;       // of `"id":{...},` in compact JSON
  int unit = -1;          // -1: shared
  bool referred = false;  // another resource refers to it or depends on it
};

struct Unit {
  std::string name;             // what errors call it: `service "web"`, `resource "Back80Ingress"`
  std::vector<size_t> members;  // resource indexes, in template order
  size_t bytes = 0;
  std::set<std::string> externals;  // "target.attribute" of what it uses outside itself
  std::set<size_t> after;           // units it refers to
};

// One stack of the split while it is built.
struct StackDraft {
  std::string id;                          // the child's stack resource ID; empty for the parent
  std::vector<size_t> members;             // resource indexes in template order
  std::map<std::string, Json> parameters;  // name -> definition (children)
  std::map<std::string, Json> passed;      // name -> value the parent passes (children)
  std::set<std::string> depends_on;        // parent resources and stacks (children)
  std::map<std::string, Json> outputs;     // name -> value (children)
  std::set<std::string> conditions;
  std::set<std::string> mappings;
};

class Splitter {
 public:
  // `resource_bytes[i]`: the size of the i-th resource as in Sizes().
  Splitter(const Json& tmpl, const StackLimits& limits, std::vector<size_t> resource_bytes)
      : tmpl_(tmpl), limits_(limits), resource_bytes_(std::move(resource_bytes)) {}

  base::Result<NestedTemplates> Run(const TemplateUrlFunction& template_url);

 private:
  void Index();
  void Group();
  std::vector<size_t> UnitOrder() const;
  base::Status Pack(const std::vector<size_t>& order, size_t budget, std::vector<int>* child_of);
  base::Status Build(const std::vector<int>& child_of_unit);
  Json Assemble(const StackDraft& draft) const;
  Json AssembleParent();
  base::Status CheckNoCycle() const;

  bool IsList(const Reference& ref) const;
  const std::string& ParameterName(const Reference& ref);
  std::string StackIdOf(int stack) const { return "Services" + std::to_string(stack) + "Stack"; }
  // The value of `ref` as the stack holding its target sees it, for passing to another.
  Json ValueAtHome(const Reference& ref) const;
  Json PassedValue(const Reference& ref, int home);
  std::set<std::string> ConditionClosure(std::set<std::string> conditions,
                                         std::set<std::string>* parameters) const;

  const Json& tmpl_;
  const StackLimits& limits_;
  const std::vector<size_t> resource_bytes_;
  Declared declared_;
  std::vector<ResourceInfo> resources_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, Uses> condition_uses_;
  std::vector<Unit> units_;
  std::map<Reference, std::string> parameter_names_;
  std::unordered_set<std::string> taken_names_;

  // The current split: where each resource is (0 the parent, n ServicesNStack).
  std::vector<int> stack_of_;
  std::vector<StackDraft> drafts_;  // [0] the parent
  Json parent_outputs_;
};

void Splitter::Index() {
  for (const char* section : {"Parameters", "Conditions", "Mappings"}) {
    auto it = tmpl_.find(section);
    if (it == tmpl_.end() || !it->is_object()) continue;
    auto& names = section[0] == 'P'   ? declared_.parameters
                  : section[0] == 'C' ? declared_.conditions
                                      : declared_.mappings;
    for (auto member = it->begin(); member != it->end(); ++member) names.insert(member.key());
  }
  const Json& resources = tmpl_["Resources"];
  resources_.reserve(resources.size());
  for (auto it = resources.begin(); it != resources.end(); ++it) {
    declared_.resources.insert(it.key());
    index_.emplace(it.key(), resources_.size());
    ResourceInfo info;
    info.id = it.key();
    info.entry = &it.value();
    info.bytes = resource_bytes_[resources_.size()];
    resources_.push_back(std::move(info));
  }
  for (ResourceInfo& info : resources_) {
    CollectUses(*info.entry, declared_, &info.uses);
    info.uses.refs.erase({info.id, ""});
    for (const std::string& dependency : DependsOnOf(*info.entry)) {
      if (index_.count(dependency) != 0) info.depends_on.push_back(dependency);
    }
    if (auto c = info.entry->find("Condition"); c != info.entry->end() && c->is_string()) {
      info.condition = c->get<std::string>();
    }
  }
  for (ResourceInfo& info : resources_) {
    for (const Reference& ref : info.uses.refs) {
      auto it = index_.find(ref.target);
      if (it != index_.end() && it->second != index_[info.id])
        resources_[it->second].referred = true;
    }
    for (const std::string& dependency : info.depends_on) {
      resources_[index_[dependency]].referred = true;
    }
  }
  if (auto it = tmpl_.find("Conditions"); it != tmpl_.end() && it->is_object()) {
    for (auto c = it->begin(); c != it->end(); ++c) {
      CollectUses(c.value(), declared_, &condition_uses_[c.key()]);
    }
  }
}

void Splitter::Group() {
  // The services' logical-ID parts, longest first so that "Web2" wins over "Web".
  std::map<std::string, std::string> display;  // part -> service name
  for (const ResourceInfo& info : resources_) {
    if ((*info.entry).value("Type", "") != "AWS::ECS::Service") continue;
    if (info.id.size() <= 7 || !info.id.ends_with("Service")) continue;
    std::string part = info.id.substr(0, info.id.size() - 7);
    std::string name = part;
    const Json* tags = TagsOf(*info.entry);
    if (tags == nullptr) continue;
    for (const Json& tag : *tags) {
      if (tag.is_object() && tag.value("Key", "") == kServiceTag && tag["Value"].is_string()) {
        name = tag["Value"].get<std::string>();
      }
    }
    display.emplace(part, name);
  }
  std::vector<std::string> parts;
  parts.reserve(display.size());
  for (const auto& [part, name] : display) parts.push_back(part);
  std::stable_sort(parts.begin(), parts.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::map<std::string, int> unit_of_part;
  auto unit_for = [&](const std::string& part) {
    auto [it, inserted] = unit_of_part.emplace(part, static_cast<int>(units_.size()));
    if (inserted) units_.push_back(Unit{"service \"" + display[part] + "\"", {}, 0, {}, {}});
    return it->second;
  };
  for (ResourceInfo& info : resources_) {
    for (const std::string& part : parts) {
      if (!info.id.starts_with(part)) continue;
      std::string_view rest = std::string_view(info.id).substr(part.size());
      if (std::find(std::begin(kServiceSuffixes), std::end(kServiceSuffixes), rest) !=
              std::end(kServiceSuffixes) ||
          IsPortSuffix(rest)) {
        info.unit = unit_for(part);
        break;
      }
    }
    if (info.unit >= 0) continue;
    const Json* tags = TagsOf(*info.entry);
    if (tags == nullptr) continue;
    for (const Json& tag : *tags) {
      if (!tag.is_object() || tag.value("Key", "") != kServiceTag || !tag["Value"].is_string()) {
        continue;
      }
      std::string part = LogicalIdPart(tag["Value"].get<std::string>());
      if (display.count(part) != 0) info.unit = unit_for(part);
    }
  }
  // A shared resource that refers to one service's resources only goes with them.
  for (bool changed = true; changed;) {
    changed = false;
    for (ResourceInfo& info : resources_) {
      if (info.unit >= 0) continue;
      std::set<int> units;
      bool shared = false;
      auto note = [&](const std::string& target) {
        auto it = index_.find(target);
        if (it == index_.end()) return;
        if (resources_[it->second].unit < 0)
          shared = true;
        else
          units.insert(resources_[it->second].unit);
      };
      for (const Reference& ref : info.uses.refs) note(ref.target);
      for (const std::string& dependency : info.depends_on) note(dependency);
      if (units.size() == 1 && !shared) {
        info.unit = *units.begin();
        changed = true;
      }
    }
  }
  for (size_t i = 0; i < resources_.size(); ++i) {
    if (resources_[i].unit >= 0) units_[resources_[i].unit].members.push_back(i);
  }
}

std::vector<size_t> Splitter::UnitOrder() const {
  // Kahn's algorithm; among the ready units the one whose first resource comes first.
  std::vector<size_t> pending(units_.size(), 0);
  std::vector<std::vector<size_t>> dependents(units_.size());
  for (size_t u = 0; u < units_.size(); ++u) {
    for (size_t before : units_[u].after) {
      ++pending[u];
      dependents[before].push_back(u);
    }
  }
  auto first = [&](size_t u) { return units_[u].members.front(); };
  auto later = [&](size_t a, size_t b) { return first(a) > first(b); };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> ready(later);
  for (size_t u = 0; u < units_.size(); ++u) {
    if (pending[u] == 0) ready.push(u);
  }
  std::vector<size_t> order;
  std::vector<bool> placed(units_.size(), false);
  while (order.size() < units_.size()) {
    if (ready.empty()) {
      // A cycle: place the earliest unplaced unit; CheckNoCycle reports it if it matters.
      for (size_t u = 0; u < units_.size(); ++u) {
        if (!placed[u]) {
          pending[u] = 0;
          ready.push(u);
          break;
        }
      }
    }
    size_t u = ready.top();
    ready.pop();
    if (placed[u]) continue;
    placed[u] = true;
    order.push_back(u);
    for (size_t next : dependents[u]) {
      if (pending[next] > 0 && --pending[next] == 0) ready.push(next);
    }
  }
  return order;
}

base::Status Splitter::Pack(const std::vector<size_t>& order, size_t budget,
                            std::vector<int>* child_of) {
  child_of->assign(units_.size(), 0);
  int child = 0;
  size_t count = 0;
  size_t bytes = 0;
  std::set<std::string> keys;
  std::unordered_set<std::string> inside;
  auto new_keys = [&](const Unit& unit) {
    size_t n = 0;
    for (const std::string& key : unit.externals) {
      if (keys.count(key) == 0 && inside.count(key.substr(0, key.find('.'))) == 0) ++n;
    }
    return n;
  };
  for (size_t u : order) {
    const Unit& unit = units_[u];
    const size_t alone = unit.bytes + unit.externals.size() * kBytesPerParameter;
    if (unit.members.size() > limits_.max_resources || alone > budget ||
        unit.externals.size() > limits_.max_parameters) {
      return base::InvalidError(
          unit.name + " cannot be deployed: its " + Figure(unit.members.size()) +
          " resources (about " + Figure(alone) + " bytes of template, " +
          Figure(unit.externals.size()) +
          " values from other stacks) do not fit in one nested stack, which takes at most " +
          Figure(limits_.max_resources) + " resources, " + Figure(limits_.max_template_bytes) +
          " bytes and " + Figure(limits_.max_parameters) +
          " parameters; split the service or declare less for it (ports, roles, scaling)");
    }
    const size_t added = new_keys(unit);
    const bool fits = child > 0 && count + unit.members.size() <= limits_.max_resources &&
                      bytes + unit.bytes + added * kBytesPerParameter <= budget &&
                      keys.size() + added <= limits_.max_parameters;
    if (!fits) {
      ++child;
      count = 0;
      bytes = 0;
      keys.clear();
      inside.clear();
    }
    for (const std::string& key : unit.externals) {
      if (inside.count(key.substr(0, key.find('.'))) == 0) keys.insert(key);
    }
    for (size_t i : unit.members) inside.insert(resources_[i].id);
    count += unit.members.size();
    bytes += unit.bytes + unit.externals.size() * kBytesPerParameter;
    (*child_of)[u] = child;
  }
  return base::Status::Ok();
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

base::Result<NestedTemplates> Splitter::Run(const TemplateUrlFunction& template_url) {
  Index();
  Group();
  // Shared resources nothing refers to, last first: what moves out when the parent is full.
  std::vector<size_t> leaves;
  for (size_t i = resources_.size(); i-- > 0;) {
    if (resources_[i].unit < 0 && !resources_[i].referred) leaves.push_back(i);
  }
  size_t moved = 0;
  size_t reserve = limits_.max_template_bytes / 20;
  for (int attempt = 0; attempt < 64; ++attempt) {
    for (size_t u = 0; u < units_.size(); ++u) {
      Unit& unit = units_[u];
      unit.bytes = 0;
      unit.externals.clear();
      unit.after.clear();
      for (size_t i : unit.members) {
        const ResourceInfo& info = resources_[i];
        unit.bytes += info.bytes;
        for (const Reference& ref : info.uses.refs) {
          auto it = index_.find(ref.target);
          const int home = it == index_.end() ? -1 : resources_[it->second].unit;
          if (home == static_cast<int>(u)) continue;
          unit.externals.insert(ref.target + "." + ref.attribute);
          if (home >= 0) unit.after.insert(static_cast<size_t>(home));
        }
        // DependsOn costs no parameter, only an order.
        for (const std::string& dependency : info.depends_on) {
          const int home = resources_[index_.at(dependency)].unit;
          if (home >= 0 && home != static_cast<int>(u))
            unit.after.insert(static_cast<size_t>(home));
        }
      }
    }
    const size_t budget = limits_.max_template_bytes > reserve
                              ? limits_.max_template_bytes - reserve
                              : limits_.max_template_bytes / 2;
    std::vector<int> child_of;
    ECSYNC_RETURN_IF_ERROR(Pack(UnitOrder(), budget, &child_of));
    parameter_names_.clear();
    taken_names_.clear();
    taken_names_ = declared_.resources;
    taken_names_.insert(declared_.parameters.begin(), declared_.parameters.end());
    ECSYNC_RETURN_IF_ERROR(Build(child_of));
    // Children first (their outputs are complete once Build returns).
    NestedTemplates out;
    bool child_over = false;
    for (size_t k = 1; k < drafts_.size(); ++k) {
      ChildStack child;
      child.logical_id = drafts_[k].id;
      child.tmpl = Assemble(drafts_[k]);
      child.body = Compact(child.tmpl);
      if (child.body.size() > limits_.max_template_bytes ||
          drafts_[k].parameters.size() > limits_.max_parameters ||
          drafts_[k].outputs.size() > limits_.max_outputs) {
        child_over = true;
        break;
      }
      out.children.push_back(std::move(child));
    }
    if (child_over) {
      reserve *= 2;
      if (reserve >= limits_.max_template_bytes) break;
      continue;
    }
    out.parent = AssembleParent();
    const size_t parent_resources = out.parent["Resources"].size();
    const size_t parent_bytes = Compact(out.parent).size();
    if (parent_resources > limits_.max_resources || parent_bytes > limits_.max_template_bytes) {
      // Move shared leaves out of the parent: enough for the resources over, and for bytes
      // over until their sizes add up.
      size_t need_count =
          parent_resources > limits_.max_resources ? parent_resources - limits_.max_resources : 0;
      size_t need_bytes =
          parent_bytes > limits_.max_template_bytes ? parent_bytes - limits_.max_template_bytes : 0;
      if (moved == leaves.size()) {
        return base::InvalidError(
            "the template cannot be split into nested stacks: the parent stack keeps " +
            Figure(parent_resources) + " resources and " + Figure(parent_bytes) +
            " bytes of shared resources (cluster, networks, load balancer, ...) and nested "
            "stacks, over the limits of " +
            Figure(limits_.max_resources) + " resources and " + Figure(limits_.max_template_bytes) +
            " bytes per stack");
      }
      size_t freed_count = 0;
      size_t freed_bytes = 0;
      while (moved < leaves.size() && (freed_count < need_count || freed_bytes < need_bytes)) {
        ResourceInfo& leaf = resources_[leaves[moved++]];
        leaf.unit = static_cast<int>(units_.size());
        units_.push_back(Unit{"resource " + leaf.id, {leaves[moved - 1]}, 0, {}, {}});
        ++freed_count;
        freed_bytes += leaf.bytes;
      }
      continue;
    }
    // Final: now the children get their URLs.
    Json& parent_resources_json = out.parent["Resources"];
    for (size_t k = 0; k < out.children.size(); ++k) {
      ChildStack& child = out.children[k];
      child.url = template_url(k + 1, child.body);
      parent_resources_json[child.logical_id]["Properties"]["TemplateURL"] = child.url;
    }
    return out;
  }
  return base::InvalidError("the template cannot be split into nested stacks of at most " +
                            Figure(limits_.max_template_bytes) + " bytes each");
}

// The template's figures as MeasureTemplate gives them, and the size of each resource (the
// split's packing needs them). Each entry of `resource_bytes` counts `"id":{...}` and the
// comma after it.
TemplateFigures Sizes(const Json& tmpl, std::vector<size_t>* resource_bytes) {
  TemplateFigures figures;
  figures.bytes = 2 + (tmpl.empty() ? 0 : tmpl.size() - 1);  // braces and commas
  for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
    figures.bytes += StringSize(it.key()) + 1;
    if (it.key() != "Resources" || !it->is_object()) {
      figures.bytes += CompactSize(it.value());
      continue;
    }
    figures.resources = it->size();
    figures.bytes += it->empty() ? 2 : 1;  // the trailing comma of the last entry is the '}'
    for (auto r = it->begin(); r != it->end(); ++r) {
      resource_bytes->push_back(StringSize(r.key()) + 1 + CompactSize(r.value()) + 1);
      figures.bytes += resource_bytes->back();
    }
  }
  return figures;
}

}  // namespace

TemplateFigures MeasureTemplate(const Json& tmpl) {
  TemplateFigures figures;
  if (auto it = tmpl.find("Resources"); it != tmpl.end() && it->is_object()) {
    figures.resources = it->size();
  }
  figures.bytes = CompactSize(tmpl);
  return figures;
}

bool NeedsTemplateBucket(const Json& tmpl, const StackLimits& limits) {
  const TemplateFigures figures = MeasureTemplate(tmpl);
  return figures.bytes > limits.max_inline_bytes || figures.resources > limits.max_resources;
}

base::Status CheckTemplateBucket(std::string_view stack, const Json& tmpl, bool bucket_configured,
                                 const StackLimits& limits) {
  if (bucket_configured) return base::Status::Ok();
  const TemplateFigures figures = MeasureTemplate(tmpl);
  const bool nested =
      figures.resources > limits.max_resources || figures.bytes > limits.max_template_bytes;
  if (!nested && figures.bytes <= limits.max_inline_bytes) return base::Status::Ok();
  std::string why;
  if (nested) {
    why = figures.resources > limits.max_resources
              ? "more than the " + Figure(limits.max_resources) + " resources"
              : "more than the " + Figure(limits.max_template_bytes) + " bytes";
    why +=
        " CloudFormation takes per stack, so it is split into nested stacks whose templates "
        "go through S3";
  } else {
    why = "over the " + Figure(limits.max_inline_bytes) +
          " bytes CloudFormation takes inline, so it goes through S3";
  }
  return base::InvalidError("stack " + std::string(stack) + ": the template has " +
                            Figure(figures.resources) + " resources and " + Figure(figures.bytes) +
                            " bytes, " + why +
                            "; set aws.template_bucket in the config file (or "
                            "--template-bucket) to an S3 bucket for them");
}

base::Result<NestedTemplates> SplitIntoNestedStacks(const Json& tmpl,
                                                    const TemplateUrlFunction& template_url,
                                                    const StackLimits& limits) {
  if (!tmpl.is_object() || !tmpl.contains("Resources") || !tmpl["Resources"].is_object()) {
    return base::InvalidError("the template has no Resources object to split");
  }
  try {
    std::vector<size_t> resource_bytes;
    const TemplateFigures figures = Sizes(tmpl, &resource_bytes);
    if (figures.resources <= limits.max_resources && figures.bytes <= limits.max_template_bytes) {
      return NestedTemplates{tmpl, {}};
    }
    Splitter splitter(tmpl, limits, std::move(resource_bytes));
    return splitter.Run(template_url);
  } catch (const nlohmann::json::exception& e) {
    return base::InternalError(std::string("splitting the template: ") + e.what());
  }
}

}  // namespace ecsync::cfn
