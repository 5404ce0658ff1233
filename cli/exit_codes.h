#pragma once

#include "base/result.h"

namespace ecsync::cli {

// Process exit codes, the CLI's contract with CI pipelines.
enum ExitCode : int {
  kExitOk = 0,         // success, or nothing to do
  kExitFailed = 1,     // the deploy failed (or AWS/git could not be reached)
  kExitBadConfig = 2,  // bad usage, configuration or compose file: fix the input
  kExitHeld = 3,       // reconcile --once --config: a project was held by its deploy windows
};

// kInvalid, kConflict and kNotFound need a human to change something: kExitBadConfig.
// Everything else (throttling, network, internal) is a failed run: kExitFailed.
ExitCode ExitCodeFor(const base::Status& status);

}  // namespace ecsync::cli
