#include "cfn/task_files.h"

#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

std::string WriterMount(size_t n) { return std::string(kFilesRoot) + "/" + std::to_string(n); }

// The writer's script. umask 0: the archive's modes are what the files get.
std::string WriterScript() {
  return std::string("set -e; umask 0; root=\"${") + kFilesRootVariable + ":-" + kFilesRoot +
         "}\"; printf '%s' \"$" + kFilesBundleVariable +
         "\" | base64 -d | tar -x -C \"$root\" -f -";
}

Json VolumeMount(const std::string& path, const std::string& volume, bool read_only) {
  return Obj()
      .Add("ContainerPath", path)
      .Add("ReadOnly", read_only)
      .Add("SourceVolume", volume)
      .Take();
}

base::Status AddForService(Context& ctx, const PlannedService& planned, const ServiceFiles& files) {
  const compose::Service& service = *planned.service;
  if (files.volumes.empty()) return base::Status::Ok();
  ECSYNC_RETURN_IF_ERROR(CheckInlineBundle(planned.where, files.archive_base64.size()));
  ServiceParts& parts = ctx.parts[service.name];
  Json writer_mounts = Json::array();
  Json writer_depends = Json::array();
  for (size_t n = 0; n < files.volumes.size(); ++n) {
    const FilesVolume& volume = files.volumes[n];
    if (volume.container_path.empty() || volume.container_path.front() != '/' ||
        volume.container_path == "/") {
      return base::InvalidError(planned.where + ": repository files cannot be mounted at \"" +
                                volume.container_path +
                                "\"; the target's directory must be an absolute path below /");
    }
    const std::string name = FilesVolumeName(n);
    parts.volumes.push_back(Obj().Add("Name", name).Take());
    parts.mount_points.push_back(VolumeMount(volume.container_path, name, volume.read_only));
    writer_mounts.push_back(VolumeMount(WriterMount(n), name, false));
    if (!volume.seed_from_image) continue;
    const std::string seed = FilesSeedContainerName(service.name, n);
    Obj container;
    // The arguments as Command beside an explicit EntryPoint: nothing of the image's own
    // entry point or command is added to them.
    container.Add("Command", Arr("-a", volume.container_path + "/.", WriterMount(n) + "/"))
        .Add("EntryPoint", Arr("cp"))
        .Add("Essential", false)
        .Add("Image", service.image)
        .Add("LogConfiguration", ctx.LogConfiguration())
        .Add("MountPoints", Arr(VolumeMount(WriterMount(n), name, false)))
        .Add("Name", seed);
    if (!planned.ext.pull_credentials.empty()) {
      container.Add("RepositoryCredentials",
                    Obj().Add("CredentialsParameter", planned.ext.pull_credentials).Take());
    }
    // As root whatever the image's user, so cp -a keeps owners and may write the volume.
    container.Add("User", "0");
    parts.init_containers.push_back(std::move(container).Take());
    parts.init_conditions[seed] = "COMPLETE";
    writer_depends.push_back(Obj().Add("Condition", "COMPLETE").Add("ContainerName", seed).Take());
  }
  Obj writer;
  writer.Add("Command", Arr(WriterScript()));
  if (!writer_depends.empty()) writer.Add("DependsOn", std::move(writer_depends));
  writer.Add("EntryPoint", Arr("sh", "-c"))
      .Add("Environment",
           Arr(Obj().Add("Name", kFilesBundleVariable).Add("Value", files.archive_base64).Take()))
      .Add("Essential", false)
      .Add("Image", ctx.options.files_image)
      .Add("LogConfiguration", ctx.LogConfiguration())
      .Add("MountPoints", std::move(writer_mounts))
      .Add("Name", FilesContainerName(service.name));
  parts.init_containers.push_back(std::move(writer).Take());
  return base::Status::Ok();
}

}  // namespace

base::Status CheckInlineBundle(const std::string& service, size_t base64_size) {
  if (base64_size <= kMaxInlineBundleBytes) return base::Status::Ok();
  return base::InvalidError(
      service + ": the repository files it mounts take " + std::to_string(base64_size) +
      " bytes in base64, over the " + std::to_string(kMaxInlineBundleBytes) +
      " bytes a task definition carries inline (ECS allows 64 KiB for a whole task "
      "definition); delivering larger files through S3 is not in this version: mount fewer or "
      "smaller files, or bake them into the image");
}

std::string FilesVolumeName(size_t n) { return "files" + std::to_string(n); }

base::Status AddTaskFiles(Context& ctx) {
  for (const PlannedService& planned : ctx.plan.services) {
    auto it = ctx.options.files.find(planned.service->name);
    if (it != ctx.options.files.end()) {
      ECSYNC_RETURN_IF_ERROR(AddForService(ctx, planned, it->second));
    }
  }
  return base::Status::Ok();
}

}  // namespace ecsync::cfn
