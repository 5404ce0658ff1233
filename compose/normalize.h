#pragma once

// Turns a merged compose tree into the typed model. Checks value syntax (ports, sizes,
// durations, modes) for the keys it reads; the structure was checked by ValidateSchema.

#include <map>
#include <string>

#include "base/result.h"
#include "compose/model.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

// Replaces every scalar value (not keys) in `node` with its interpolation using `environment`
// and marks the scalars it changed. `path` is the key path of `node` for errors ("" at the
// root). Values under keys starting with "x-" are interpolated too.
base::Status InterpolateTree(const std::map<std::string, std::string>& environment,
                             const std::string& path, YamlNode* node);

// REQUIRES: `root` is a mapping whose services were canonicalized (CanonicalizeService) and
// whose paths were resolved. Fills name-independent parts of a Project: services (sorted, all
// profiles, depends_on names as written, environment as written), networks, volumes, secrets,
// configs, extensions. Errors are kInvalid "file:line:column: key.path: ...".
base::Result<Project> NormalizeProject(const YamlNode& root);

// The node as JSON, scalars typed as YAML 1.2 core reads them (for x-* extensions).
nlohmann::ordered_json YamlToJson(const YamlNode& node);

}  // namespace ecsync::compose
