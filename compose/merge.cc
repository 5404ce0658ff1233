#include "compose/merge.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace ecsync::compose {

namespace {

YamlNode Scalar(std::string text, const SourceLocation& location) {
  YamlNode node;
  node.kind = YamlNode::Kind::kScalar;
  node.scalar = std::move(text);
  node.quoted = true;
  node.location = location;
  return node;
}

YamlNode Null(const SourceLocation& location) {
  YamlNode node;
  node.location = location;
  return node;
}

void Put(YamlNode* map, std::string key, const SourceLocation& location, YamlNode value) {
  for (YamlEntry& entry : map->entries) {
    if (entry.key == key) {
      entry.value = std::move(value);
      return;
    }
  }
  map->entries.push_back(YamlEntry{std::move(key), location, std::move(value)});
}

// An empty mapping to stand where the list `list` stood: same location, same tag.
YamlNode MappingInPlaceOf(const YamlNode& list) {
  YamlNode map;
  map.kind = YamlNode::Kind::kMapping;
  map.location = list.location;
  map.tag = list.tag;
  return map;
}

// "KEY=VALUE" items to a mapping; `KEY` alone maps to null (environment) or "" (labels).
void ListToMap(YamlNode* node, bool bare_key_is_null) {
  if (node == nullptr || !node->IsSequence()) return;
  YamlNode map = MappingInPlaceOf(*node);
  for (const YamlNode& item : node->items) {
    if (!item.IsScalar()) continue;
    const size_t equals = item.scalar.find('=');
    if (equals == std::string::npos) {
      Put(&map, item.scalar, item.location,
          bare_key_is_null ? Null(item.location) : Scalar("", item.location));
    } else {
      Put(&map, item.scalar.substr(0, equals), item.location,
          Scalar(item.scalar.substr(equals + 1), item.location));
    }
  }
  *node = std::move(map);
}

void NamesToMap(YamlNode* node, bool with_condition) {
  if (node == nullptr || !node->IsSequence()) return;
  YamlNode map = MappingInPlaceOf(*node);
  for (const YamlNode& item : node->items) {
    if (!item.IsScalar()) continue;
    YamlNode value = Null(item.location);
    if (with_condition) {
      value.kind = YamlNode::Kind::kMapping;
      value.entries.push_back(
          YamlEntry{"condition", item.location, Scalar("service_started", item.location)});
    }
    Put(&map, item.scalar, item.location, std::move(value));
  }
  *node = std::move(map);
}

bool IsReplaced(const std::string& rule_path) {
  return rule_path == "services.*.command" || rule_path == "services.*.entrypoint" ||
         rule_path == "services.*.healthcheck.test";
}

// The merge key of a volumes/secrets/configs/ports item, or "" to append it.
std::string ItemKey(const YamlNode& item, const std::string& rule_path) {
  const bool ports = rule_path == "services.*.ports";
  if (item.IsMapping()) {
    if (ports) {
      std::string key;
      for (const char* field : {"host_ip", "published", "target", "protocol"}) {
        const YamlNode* value = item.Find(field);
        key += (value != nullptr && value->IsScalar()) ? value->scalar : "";
        key += '|';
      }
      return key;
    }
    const YamlNode* target = item.Find("target");
    if (target != nullptr && target->IsScalar()) return target->scalar;
    const YamlNode* source = item.Find("source");
    if (source != nullptr && source->IsScalar() && rule_path != "services.*.volumes") {
      return "source:" + source->scalar;
    }
    return "";
  }
  if (!item.IsScalar()) return "";
  if (ports) return item.scalar;
  if (rule_path == "services.*.volumes") {
    // SOURCE:TARGET[:MODE] or TARGET; Windows drive letters are not supported here.
    const std::string& spec = item.scalar;
    const size_t first = spec.find(':');
    if (first == std::string::npos) return spec;
    const size_t second = spec.find(':', first + 1);
    return spec.substr(first + 1,
                       second == std::string::npos ? std::string::npos : second - first - 1);
  }
  return "source:" + item.scalar;  // secrets/configs short form: the default target
}

bool HasUniqueItems(const std::string& rule_path) {
  return rule_path == "services.*.volumes" || rule_path == "services.*.secrets" ||
         rule_path == "services.*.configs" || rule_path == "services.*.ports";
}

std::string ChildRule(const std::string& rule_path, const std::string& key) {
  if (rule_path == "services") return "services.*";
  return rule_path.empty() ? key : rule_path + "." + key;
}

}  // namespace

void CanonicalizeService(YamlNode* service) {
  if (service == nullptr || !service->IsMapping()) return;
  ListToMap(service->Find("environment"), true);
  ListToMap(service->Find("labels"), false);
  ListToMap(service->Find("annotations"), false);
  ListToMap(service->Find("sysctls"), false);
  NamesToMap(service->Find("depends_on"), true);
  NamesToMap(service->Find("networks"), false);
  if (YamlNode* build = service->Find("build"); build != nullptr && build->IsMapping()) {
    ListToMap(build->Find("args"), true);
    ListToMap(build->Find("labels"), false);
  }
  if (YamlNode* deploy = service->Find("deploy"); deploy != nullptr && deploy->IsMapping()) {
    ListToMap(deploy->Find("labels"), false);
  }
}

void MergeTrees(YamlNode* base, YamlNode&& over, const std::string& rule_path) {
  if (over.tag == "!override" || over.tag == "!reset") {
    *base = std::move(over);
    return;
  }
  if (base->IsMapping() && over.IsMapping()) {
    for (YamlEntry& entry : over.entries) {
      YamlNode* existing = base->Find(entry.key);
      if (entry.value.tag == "!reset") {
        if (existing != nullptr) {
          std::erase_if(base->entries, [&](const YamlEntry& e) { return e.key == entry.key; });
        }
        continue;
      }
      if (existing == nullptr || entry.value.tag == "!override") {
        entry.value.tag.clear();
        if (existing != nullptr) {
          *existing = std::move(entry.value);
        } else {
          base->entries.push_back(std::move(entry));
        }
        continue;
      }
      MergeTrees(existing, std::move(entry.value), ChildRule(rule_path, entry.key));
    }
    return;
  }
  if (base->IsSequence() && over.IsSequence() && !IsReplaced(rule_path)) {
    const bool unique = HasUniqueItems(rule_path);
    for (YamlNode& item : over.items) {
      const std::string key = unique ? ItemKey(item, rule_path) : "";
      auto existing = base->items.end();
      if (!key.empty()) {
        existing = std::find_if(base->items.begin(), base->items.end(),
                                [&](const YamlNode& e) { return ItemKey(e, rule_path) == key; });
      }
      if (existing == base->items.end()) {
        base->items.push_back(std::move(item));
      } else if (existing->IsMapping() && item.IsMapping()) {
        MergeTrees(&*existing, std::move(item), rule_path + "[]");
      } else {
        *existing = std::move(item);
      }
    }
    return;
  }
  // Different kinds, scalars, and replaced lists: the later value wins. A null never erases a
  // mapping (the reference loader treats `web:` in an override as "nothing to change").
  if (over.IsNull() && (base->IsMapping() || base->IsSequence())) return;
  *base = std::move(over);
}

void ApplyResetTags(YamlNode* node) {
  if (node->tag == "!override") node->tag.clear();
  if (node->IsMapping()) {
    std::erase_if(node->entries, [](const YamlEntry& e) { return e.value.tag == "!reset"; });
    for (YamlEntry& entry : node->entries) ApplyResetTags(&entry.value);
  } else if (node->IsSequence()) {
    std::erase_if(node->items, [](const YamlNode& n) { return n.tag == "!reset"; });
    for (YamlNode& item : node->items) ApplyResetTags(&item);
  }
}

}  // namespace ecsync::compose
