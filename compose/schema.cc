#include "compose/schema.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "compose/schema_rules.h"
#include "compose/typed_reader.h"

namespace ecsync::compose {

namespace {

using internal::Child;
using internal::GetSchemaRules;
using internal::kAny;
using internal::kBool;
using internal::KeyRule;
using internal::kInt;
using internal::kList;
using internal::kMap;
using internal::kNull;
using internal::kNum;
using internal::kStr;
using internal::SchemaRules;
using internal::Shape;

uint32_t Bit(ScalarType type) {
  switch (type) {
    case ScalarType::kNull:
      return kNull;
    case ScalarType::kBoolean:
      return kBool;
    case ScalarType::kInteger:
      return kInt;
    case ScalarType::kNumber:
      return kNum;
    case ScalarType::kString:
      return kStr;
  }
  return kStr;
}

std::string Describe(uint32_t types) {
  std::vector<std::string> names;
  if (types & kStr) names.push_back("a string");
  if (types & kNum) {
    names.push_back("a number");
  } else if (types & kInt) {
    names.push_back("a whole number");
  }
  if (types & kBool) names.push_back("a boolean");
  if (types & kList) names.push_back("a list");
  if (types & kMap) names.push_back("a mapping");
  if (types & kNull) names.push_back("null");
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

const char* Found(const YamlNode& node, ScalarType type) {
  if (node.IsSequence()) return "a list";
  if (node.IsMapping()) return "a mapping";
  if (node.IsNull()) return "null";
  switch (type) {
    case ScalarType::kNull:
      return "null";
    case ScalarType::kBoolean:
      return "a boolean";
    case ScalarType::kInteger:
      return "a whole number";
    case ScalarType::kNumber:
      return "a number";
    case ScalarType::kString:
      return "a string";
  }
  return "a value";
}

bool KeyAllowed(KeyRule rule, const std::string& key) {
  switch (rule) {
    case KeyRule::kAny:
      return true;
    case KeyRule::kNonEmpty:
      return !key.empty();
    case KeyRule::kLower:
      return !key.empty() &&
             std::all_of(key.begin(), key.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    case KeyRule::kName:
      return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
      });
  }
  return true;
}

std::string KeyRuleError(KeyRule rule, const std::string& key) {
  if (key.empty()) return "empty key; give it a name";
  const std::string quoted = "\"" + key + "\"";
  if (rule == KeyRule::kLower) {
    return "invalid name " + quoted + "; use lower-case letters only (nofile, nproc, ...)";
  }
  return "invalid name " + quoted + "; use only letters, digits, '.', '_' and '-'";
}

base::Status Check(const YamlNode& node, const Shape* shape, const std::string& path) {
  if (shape == nullptr) return base::Status::Ok();
  ScalarType type = ScalarType::kString;
  uint32_t bit = 0;
  if (node.IsNull()) {
    bit = kNull;
  } else if (node.IsSequence()) {
    bit = kList;
  } else if (node.IsMapping()) {
    bit = kMap;
  } else {
    type = ResolveScalar(node);
    bit = Bit(type);
  }
  bool ok = (shape->types & bit) != 0;
  if (!ok && bit == kInt && (shape->types & kNum)) ok = true;
  // An interpolated value is a string that also counts as the number or boolean it spells,
  // as the reference loader converts such values where the schema wants them.
  if (!ok && node.interpolated && node.IsScalar() && (shape->types & kStr)) ok = true;
  if (!ok && node.interpolated && node.IsScalar()) {
    const uint32_t spelled = Bit(ResolvePlainScalar(node.scalar));
    ok = (shape->types & spelled) != 0 || (spelled == kInt && (shape->types & kNum));
  }
  if (!ok) {
    return ErrorAt(node.location, path,
                   "must be " + Describe(shape->types) + ", found " + Found(node, type));
  }
  if (node.IsScalar() && !shape->one_of.empty() &&
      std::find(shape->one_of.begin(), shape->one_of.end(), node.scalar) == shape->one_of.end()) {
    std::string allowed;
    for (const std::string& value : shape->one_of) {
      allowed += (allowed.empty() ? "" : ", ") + value;
    }
    std::string what = "invalid value \"" + node.scalar + "\"; use one of " + allowed;
    const std::string close = ClosestMatch(node.scalar, shape->one_of);
    if (!close.empty()) what += " (did you mean \"" + close + "\"?)";
    return ErrorAt(node.location, path, what);
  }
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      ECSYNC_RETURN_IF_ERROR(
          Check(node.items[i], shape->items, path + "[" + std::to_string(i) + "]"));
    }
  }
  if (node.IsMapping()) {
    for (const std::string& key : shape->required) {
      if (node.Find(key) == nullptr) {
        return ErrorAt(node.location, path, "missing required key \"" + key + "\"; add it");
      }
    }
    for (const YamlEntry& entry : node.entries) {
      const std::string entry_path = Child(path, entry.key);
      if (!shape->closed) {
        if (!KeyAllowed(shape->keys, entry.key)) {
          return ErrorAt(entry.key_location, entry.key.empty() ? path : entry_path,
                         KeyRuleError(shape->keys, entry.key));
        }
        ECSYNC_RETURN_IF_ERROR(Check(entry.value, shape->values, entry_path));
        continue;
      }
      if (entry.key.rfind("x-", 0) == 0) continue;
      const Shape* field = nullptr;
      bool known = false;
      for (const auto& [key, value] : shape->fields) {
        if (key == entry.key) {
          field = value;
          known = true;
          break;
        }
      }
      if (!known) {
        std::vector<std::string> keys;
        for (const auto& [key, value] : shape->fields) keys.push_back(key);
        std::string what = "unknown key";
        const std::string close = ClosestMatch(entry.key, keys);
        if (!close.empty()) {
          what += "; did you mean \"" + close + "\"?";
        } else {
          what += "; remove it, or prefix it with x- to keep it as an extension";
        }
        return ErrorAt(entry.key_location, entry_path, what);
      }
      ECSYNC_RETURN_IF_ERROR(Check(entry.value, field, entry_path));
    }
  }
  return base::Status::Ok();
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

base::Status ValidateSchema(const YamlNode& root) { return Check(root, GetSchemaRules().top, ""); }

std::vector<std::string> KnownKeys(const std::string& which) {
  const SchemaRules& rules = GetSchemaRules();
  const Shape* shape = which == "service"       ? rules.service
                       : which == "network"     ? rules.network
                       : which == "volume"      ? rules.volume
                       : which == "secret"      ? rules.secret
                       : which == "config"      ? rules.config
                       : which == "deployment"  ? rules.deployment
                       : which == "healthcheck" ? rules.healthcheck
                       : which == "top"         ? rules.top
                                                : nullptr;
  std::vector<std::string> keys;
  if (shape == nullptr) return keys;
  for (const auto& [key, value] : shape->fields) keys.push_back(key);
  return keys;
}

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance && distance * 2 < std::max<size_t>(word.size(), 2)) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace ecsync::compose
