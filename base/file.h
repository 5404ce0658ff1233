#pragma once

#include <string>

#include "base/result.h"

namespace ecsync::base {

// The whole content of the regular file at `path`, bytes as they are.
// Error kinds: kNotFound when nothing exists at `path`; kInvalid when it is a directory,
// cannot be opened (permissions) or a read fails. Messages say what went wrong but do not
// repeat `path`, so callers can put it in their own context ("<path>: <message>").
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace ecsync::base
