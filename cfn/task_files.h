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
//    bundle (a ustar archive) into the volumes mounted at /ecsync/files/<n>; the service's
//    container waits for its SUCCESS. The bundle travels inline in the writer's environment
//    (ECSYNC_FILES, base64) up to kMaxInlineBundleBytes. A larger one lies in the template
//    bucket at FilesBundleKey: a fetcher (ConvertOptions::files_fetch_image, the AWS CLI)
//    copies that key into a task-scoped volume, and the writer checks its SHA-256 before
//    unpacking it. The task role may read that one key and nothing else of the bucket. Without
//    a bucket such a bundle is kInvalid, naming the service.
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
// A bundle fetched from S3: where the fetcher puts it (bundle.tar in that directory, moved by
// the variable as above), the variables naming its bucket and key, and its SHA-256.
inline constexpr char kFilesBundleDir[] = "/ecsync/bundle";
inline constexpr char kFilesBundleDirVariable[] = "ECSYNC_FILES_BUNDLE_DIR";
inline constexpr char kFilesBucketVariable[] = "ECSYNC_FILES_BUCKET";
inline constexpr char kFilesKeyVariable[] = "ECSYNC_FILES_KEY";
inline constexpr char kFilesShaVariable[] = "ECSYNC_FILES_SHA256";

base::Status AddTaskFiles(Context& ctx);

// The size of `bytes` bytes in base64.
constexpr size_t Base64Size(size_t bytes) { return (bytes + 2) / 3 * 4; }

// Whether `files` travels inline in the task definition (else through S3).
bool TravelsInline(const ServiceFiles& files);

// The S3 key of a bundle too large to travel inline: <prefix>files/<sha256>.tar.
std::string FilesBundleKey(const std::string& prefix, const std::string& archive_sha256);

// kInvalid when a bundle of `archive_size` bytes cannot be delivered to `service` (named as
// in errors: `service "web" (compose.yaml:2:3)`): over kMaxBundleBytes, or too large to
// travel inline when `bucket_configured` is false.
base::Status CheckBundleSize(const std::string& service, size_t archive_size,
                             bool bucket_configured);

// The name of the task definition volume that holds ServiceFiles::volumes[n].
std::string FilesVolumeName(size_t n);

}  // namespace ecsync::cfn
