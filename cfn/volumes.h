#pragma once

// Service volumes. A named volume becomes an EFS file system (<Vol>Filesystem: encrypted,
// DeletionPolicy Retain, driver_opts for lifecycle, throughput, performance mode, KMS
// key, backups), an access point (<Vol>AccessPoint: uid, gid, root directory,
// permissions) and a mount target per task subnet; the task role may mount it. An external
// volume names an existing `fs-…`; so does ConvertOptions::existing_file_systems for a
// volume whose retained file system should be re-attached. Anonymous volumes and tmpfs
// become task-scoped volumes (the task's ephemeral storage); bind mounts of host paths
// cannot be honoured and are left out with a warning.
//
// REQUIRES: AddNetworks ran (mount targets join the services' security groups).

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddVolumes(Context& ctx);

}  // namespace ecsync::cfn
