#pragma once

// Reading the `repositories:` section of the configuration file: each repository (URL, ref,
// auth, secrets) and its projects. Used by config.cc.

#include "base/env.h"
#include "base/result.h"
#include "config/config.h"
#include "config/reader.h"

namespace ecsync::config {

// Where secrets come from.
struct Sources {
  const base::EnvLookup& env;
  const ReadFileFn& read_file;
};

// Reads `top`'s `repositories:` list into config->repositories. Expects config->images (the
// projects' default image settings) and config->webhooks (a repository that is never polled
// needs a webhook secret, its own or webhooks.secret) to be read already. Refuses a missing or
// empty list, duplicate repository or project names and stack names used twice, naming the
// key and line.
base::Status ParseRepositories(const ConfigMapping& top, const Sources& sources, Config* config);

}  // namespace ecsync::config
