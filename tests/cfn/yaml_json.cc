#include "tests/cfn/yaml_json.h"

#include <regex>

#include <yaml-cpp/yaml.h>

namespace ecsync::cfn::testing {
namespace {

using nlohmann::ordered_json;

ordered_json PlainScalar(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (s == "true") return true;
  if (s == "false") return false;
  if (s.empty() || s == "~" || s == "null") return nullptr;
  if (std::regex_match(s, kInt)) {
    if (s[0] == '-') return std::stoll(s);
    return std::stoull(s);
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

ordered_json Convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      ordered_json out = ordered_json::object();
      for (const auto& item : node) out[item.first.Scalar()] = Convert(item.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      ordered_json out = ordered_json::array();
      for (const auto& item : node) out.push_back(Convert(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") return node.Scalar();  // quoted
      return PlainScalar(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

nlohmann::ordered_json YamlToJson(const std::string& text) { return Convert(YAML::Load(text)); }

}  // namespace ecsync::cfn::testing
