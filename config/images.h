#pragma once

// The `images:` section of the configuration file, at the top (every project's default) and
// in a project (overriding the keys it gives). Used by config.cc.

#include "base/env.h"
#include "base/result.h"
#include "config/config.h"
#include "config/reader.h"
#include "reconcile/images.h"

namespace ecsync::config {

// Reads `parent`'s `images:` mapping over `images` (keys not given keep their value). Secrets
// (password) come through `env` and `read_file`. A project whose settings end with a builder
// but no registry is refused here, naming the key to set.
base::Status ParseImages(const ConfigMapping& parent, const base::EnvLookup& env,
                         const ReadFileFn& read_file, reconcile::ImageSettings* images);

}  // namespace ecsync::config
