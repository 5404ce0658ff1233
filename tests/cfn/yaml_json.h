#pragma once

// Test-only: reads YAML back into JSON the way CloudFormation does, to compare templates.

#include <string>

#include <nlohmann/json.hpp>

namespace ecsync::cfn::testing {

// Parses `text` with yaml-cpp. Quoted scalars are strings; plain scalars become booleans
// (true/false), null (~, null, empty), integers or floats when they read as one, and
// strings otherwise. Mapping order is kept. Throws YAML::Exception on malformed input.
nlohmann::ordered_json YamlToJson(const std::string& text);

}  // namespace ecsync::cfn::testing
