#pragma once

// The normalized project in the Compose file format (every short syntax expanded, variables
// interpolated, paths resolved), as `ecsync config` prints it. Deterministic: services and
// maps in name order; keys left at their defaults are omitted.

#include <nlohmann/json.hpp>

#include "compose/model.h"

namespace ecsync::compose {

nlohmann::ordered_json ProjectToJson(const Project& project);

}  // namespace ecsync::compose
