#pragma once

// Repository files in a service's task (ConvertOptions::files, docs/files.md). ECS mounts
// whole volumes, never a single file, so each ServiceFiles volume is a task-scoped volume
// (Fargate ephemeral storage) that the service's container mounts at its directory. Before
// the container starts:
//  - for a volume that holds a file mounted into a directory of the image, a seed container
//    runs the service's own image as root with `cp -a <dir>/. /ecsync/files/<n>/`, so the
//    image's other files in that directory stay visible. Its condition is COMPLETE, not
//    SUCCESS: an image without that directory leaves nothing to copy, and cp's failure to
//    find it must not stop the task;
//  - the writer (ConvertOptions::files_image, busybox) waits for the seeds and unpacks the
//    bundle, passed inline in its environment (ECSYNC_FILES, base64 of a ustar archive), into
//    the volumes mounted at /ecsync/files/<n>; the service's container waits for its SUCCESS.
// A bundle over kMaxInlineBundleBytes is kInvalid, naming the service: delivering it through
// S3 is not implemented.
//
// REQUIRES: AddVolumes ran (it leaves the bind mounts listed here to this builder).

#include <string>

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

// Where the writer mounts the volumes (volume n at <root>/<n>), and the variable that moves
// that root elsewhere: the script reads it so that a test can unpack into a temporary
// directory with the same script.
inline constexpr char kFilesRoot[] = "/ecsync/files";
inline constexpr char kFilesRootVariable[] = "ECSYNC_FILES_ROOT";
// The variable that carries the bundle.
inline constexpr char kFilesBundleVariable[] = "ECSYNC_FILES";

base::Status AddTaskFiles(Context& ctx);

// kInvalid when a bundle of `base64_size` bytes is too large to travel inline in the task
// definition of `service` (named as in errors: `service "web" (compose.yaml:2:3)`).
base::Status CheckInlineBundle(const std::string& service, size_t base64_size);

// The name of the task definition volume that holds ServiceFiles::volumes[n].
std::string FilesVolumeName(size_t n);

}  // namespace ecsync::cfn
