#include "compose/yaml_json.h"

#include <cmath>
#include <string>

#include "compose/schema.h"
#include "compose/short_syntax.h"

namespace ecsync::compose {

using Json = nlohmann::ordered_json;

Json YamlToJson(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return nullptr;
    case YamlNode::Kind::kScalar: {
      const ScalarType type = node.interpolated ? ScalarType::kString : ResolveScalar(node);
      const std::string& s = node.scalar;
      switch (type) {
        case ScalarType::kNull:
          return nullptr;
        case ScalarType::kBoolean:
          return s[0] == 't' || s[0] == 'T';
        case ScalarType::kInteger: {
          base::Result<int64_t> value = ParseInt64(s[0] == '+' ? s.substr(1) : s);
          if (value.ok()) return *value;
          return s;
        }
        case ScalarType::kNumber:
          try {
            const double value = std::stod(s);
            if (std::isfinite(value)) return value;
          } catch (...) {
          }
          return s;
        case ScalarType::kString:
          return s;
      }
      return s;
    }
    case YamlNode::Kind::kSequence: {
      Json out = Json::array();
      for (const YamlNode& item : node.items) out.push_back(YamlToJson(item));
      return out;
    }
    case YamlNode::Kind::kMapping: {
      Json out = Json::object();
      for (const YamlEntry& entry : node.entries) out[entry.key] = YamlToJson(entry.value);
      return out;
    }
  }
  return nullptr;
}

}  // namespace ecsync::compose
