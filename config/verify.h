#pragma once

// A repository's `verify:` section: which commits may deploy (git/signature.h). Used by
// projects.cc.

#include <optional>

#include "base/result.h"
#include "config/config.h"
#include "config/reader.h"
#include "git/signature.h"

namespace ecsync::config {

// Reads `repo_map`'s `verify:` mapping into `*policy` (left nullopt when absent). Key files
// are relative to the configuration file's folder and must exist (read through `read_file`);
// they are stored as absolute paths. Refuses an unknown mode, a mapping with neither keyring
// nor allowed_signers, and malformed fingerprints or e-mail patterns, naming file, line and
// key.
base::Status ParseVerify(const ConfigMapping& repo_map, const ReadFileFn& read_file,
                         std::optional<git::SignaturePolicy>* policy);

}  // namespace ecsync::config
