#pragma once

#include <nlohmann/json.hpp>

#include "compose/yaml_tree.h"

namespace ecsync::compose {

// The node as JSON, scalars typed as YAML 1.2 core reads them (for x-* extensions); a
// scalar that came out of interpolation stays a string.
nlohmann::ordered_json YamlToJson(const YamlNode& node);

}  // namespace ecsync::compose
