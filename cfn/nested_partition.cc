// The nested-stack split's partition: resources grouped by service and packed into children.
#include <algorithm>
#include <queue>

#include "cfn/names.h"
#include "cfn/nested_internal.h"

namespace ecsync::cfn::nested_internal {
namespace {

constexpr char kServiceTag[] = "com.docker.compose.service";
// Bytes of a child template estimated per parameter it declares and output it gives.
constexpr size_t kBytesPerParameter = 96;

// Suffixes cfn/names.h puts after a service's logical-ID part.
constexpr std::string_view kServiceSuffixes[] = {
    "Service",        "TaskDefinition", "TaskExecutionRole", "TaskRole", "ServiceDiscoveryEntry",
    "ScalableTarget", "ScalingPolicy",  "AutoScalingRole"};

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

// The Tags array of a resource entry's Properties, or null.
const Json* TagsOf(const Json& entry) {
  auto properties = entry.find("Properties");
  if (properties == entry.end() || !properties->is_object()) return nullptr;
  auto tags = properties->find("Tags");
  return tags != properties->end() && tags->is_array() ? &*tags : nullptr;
}

}  // namespace

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

}  // namespace ecsync::cfn::nested_internal
