#pragma once

#include <string>

#include "controller/status.h"

namespace ecsync::web {

// The read-only HTML status page: every repository and project, escaped.
std::string RenderStatusPage(const controller::StatusStore& store, const std::string& version);

}  // namespace ecsync::web
