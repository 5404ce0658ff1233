#pragma once

namespace ecsync::cli {

// Set from the CMake project version.
inline constexpr char kVersion[] = ECSYNC_VERSION;
// The git commit of the source at configure time; "" when built outside a checkout.
inline constexpr char kRevision[] = ECSYNC_REVISION;

}  // namespace ecsync::cli
