#pragma once

// How a YAML scalar is typed under the YAML 1.2 core schema, as the reference loader reads it.

#include <string>

#include "compose/yaml_tree.h"

namespace ecsync::compose {

// The JSON type a YAML scalar resolves to under the YAML 1.2 core schema (as the reference
// loader reads it): quoted or tagged scalars are strings.
enum class ScalarType { kNull, kBoolean, kInteger, kNumber, kString };
ScalarType ResolveScalar(const YamlNode& node);

// The type `text` resolves to when written unquoted: null (~, null, empty), booleans
// (true/false in three spellings), integers (decimal, 0x hex, 0o octal), floats (with .inf
// and .nan), else string.
ScalarType ResolvePlainScalar(const std::string& text);

}  // namespace ecsync::compose
