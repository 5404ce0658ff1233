#pragma once

// Service volumes. A named volume becomes an EFS file system (<Vol>Filesystem: encrypted,
// DeletionPolicy Retain, driver_opts for lifecycle, throughput, performance mode, KMS
// key, backups), an access point (<Vol>AccessPoint: uid, gid, root directory,
// permissions) and a mount target per task subnet (<Vol>NFSMountTargetOn<Subnet>, which the
// mounting services depend on); the task role may mount it. An external volume names an
// existing `fs-…` and gets no mount targets (they are the user's). A volume in
// ConvertOptions::existing_file_systems re-attaches that retained `fs-…`: no file system
// resource, but the same mount targets as a new one unless its ID is in
// file_systems_with_mount_targets. Anonymous volumes and tmpfs
// become task-scoped volumes (the task's ephemeral storage). Bind mounts of repository
// files listed in ConvertOptions::files are cfn/task_files.h's; other bind mounts cannot be
// honoured and are left out with a warning.
//
// REQUIRES: AddNetworks ran (mount targets join the services' security groups).

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddVolumes(Context& ctx);

}  // namespace ecsync::cfn
