#pragma once

#include <string>

#include "base/result.h"

namespace ecsync::base {

// Configures the process-wide spdlog logger, writing to stderr. `level` is one of
// trace, debug, info, warn, error; `json` selects one JSON object per line.
// Call once from main before other threads start. Other code logs with spdlog::info() etc.
// Callers must never pass credentials, signatures or secret values to the logger.
Status SetupLogging(const std::string& level, bool json);

}  // namespace ecsync::base
