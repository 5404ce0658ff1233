#pragma once

// depends_on graph checks.

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::compose {

// kInvalid when depends_on forms a cycle, with the reference loader's wording at the location
// of the dependency that closes it:
//   "compose.yaml:5:9: services.service3.depends_on.service1: dependency cycle detected:
//    service1 -> service2 -> service3 -> service1"
// Services are visited in name order, so the message is deterministic.
// REQUIRES: every Service::dependencies entry names a service of `project`.
base::Status CheckDependencyCycles(const Project& project);

}  // namespace ecsync::compose
