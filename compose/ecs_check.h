#pragma once

// Which parts of a compose project Amazon ECS on Fargate cannot honour. Nothing is dropped
// silently: each such attribute is reported once, with its file:line and key, as
//  - an error when ignoring it would change what the application does (bind mounts of host
//    paths, i.e. outside Project::root_dir, network_mode other than awsvpc, build without
//    image, privileged, devices, host IPC/PID, volumes_from, extra_hosts, global mode, ...);
//  - a warning when ECS can safely run without it (container_name, hostname, links, dns,
//    restart policies, update_config, placement, sysctls, tmpfs, legacy cpus/mem_limit, a
//    writable bind mount of repository files, which is a copy, ...).

#include <vector>

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::compose {

struct EcsCheckOptions {
  // An image builder is configured (`images.builder`, --builder): a service with `build:`
  // runs the image built from it, named by the builder, so `build:` without `image:` is
  // fine and `image:` beside `build:` is only a local name.
  bool images_built = false;
};

// Appends the warnings to `warnings`. Returns kInvalid listing every error, one per line,
// each "file:line:column: key.path: what; what to do"; ok when there is none.
base::Status CheckEcs(const Project& project, std::vector<Diagnostic>* warnings,
                      const EcsCheckOptions& options = {});

}  // namespace ecsync::compose
