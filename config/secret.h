#pragma once

// Secret references in the controller's configuration file: `{env: NAME}` or `{file: PATH}`.
// The file never holds a secret itself, so a plain string is refused. Messages name the key
// and the variable or file, never a value.

#include <string>

#include "base/env.h"
#include "base/result.h"
#include "config/config.h"
#include "config/reader.h"

namespace ecsync::config {

// Resolves the reference under `key` of `mapping` into `*out`; leaves it untouched when the
// key is absent. A variable that is unset or empty, or a file that is missing, unreadable or
// empty, is an error. One trailing newline ("\n" or "\r\n") is stripped from file contents.
base::Status ReadSecret(const ConfigMapping& mapping, const std::string& key,
                        const base::EnvLookup& env, const ReadFileFn& read_file, std::string* out);

}  // namespace ecsync::config
