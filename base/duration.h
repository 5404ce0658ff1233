#pragma once

#include <chrono>
#include <string>

#include "base/result.h"

namespace ecsync::base {

// Parses Go-style durations as compose and ecsync's flags write them: a sequence of
// <number><unit> with units us, ms, s, m, h (e.g. "1m30s", "500ms", "1.5h"). A bare number
// is seconds. kInvalid names the offending text.
Result<std::chrono::milliseconds> ParseDuration(const std::string& text);

}  // namespace ecsync::base
