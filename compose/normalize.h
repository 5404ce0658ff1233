#pragma once

// Turns a merged compose tree into the typed model. Checks value syntax (ports, sizes,
// durations, modes) for the keys it reads; the structure was checked by ValidateSchema.

#include <string>

#include "base/result.h"
#include "compose/model.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

// REQUIRES: `root` is a mapping whose services were canonicalized (CanonicalizeService) and
// whose paths were resolved. Fills name-independent parts of a Project: services (sorted, all
// profiles, depends_on names as written, environment as written), networks, volumes, secrets,
// configs, extensions. Errors are kInvalid "file:line:column: key.path: ...".
base::Result<Project> NormalizeProject(const YamlNode& root);

}  // namespace ecsync::compose
