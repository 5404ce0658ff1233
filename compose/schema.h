#pragma once

// Checks one parsed compose file against the Compose Specification's structure: which keys
// exist at each level and which value types each accepts (after interpolation). The rules are
// written out in schema.cc from compose-spec.json; tests compare the two.

#include <string>
#include <vector>

#include "base/result.h"
#include "compose/scalar_type.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

// Errors (kInvalid), first one found in document order:
//   "compose.yaml:3:5: services.web.imgae: unknown key; did you mean \"image\"?"
//   "compose.yaml:4:12: services.web.ports: must be a list, found a string"
// `!reset` and `!override` tagged values are checked like any other value.
base::Status ValidateSchema(const YamlNode& root);

// The keys the rules know for a service, top-level networks, volumes, secrets, configs and the
// file itself (for tests that compare them with compose-spec.json). `which` is one of
// "service", "network", "volume", "secret", "config", "top", "deployment", "healthcheck".
std::vector<std::string> KnownKeys(const std::string& which);

// The candidate closest to `word` by edit distance when it is close enough to be a likely
// typo (distance <= 2 and less than half the word), else "".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ecsync::compose
