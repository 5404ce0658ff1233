#pragma once

namespace ecsync::controller {

// Set from the CMake project version.
inline constexpr char kVersion[] = ECSYNC_VERSION;

}  // namespace ecsync::controller
