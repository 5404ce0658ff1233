#pragma once

#include <functional>
#include <string>

namespace ecsync::reconcile {

// Receives one human-readable line per step and per resource event, in order.
// Called from the reconciling thread only.
using ProgressSink = std::function<void(const std::string& line)>;

}  // namespace ecsync::reconcile
