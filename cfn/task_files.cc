#include "cfn/task_files.h"

#include "base/base64.h"
#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

// The task-scoped volume a fetched bundle lies in until the writer unpacks it.
constexpr char kFilesBundleVolume[] = "files-bundle";

std::string WriterMount(size_t n) { return std::string(kFilesRoot) + "/" + std::to_string(n); }

// The writer's scripts. umask 0: the archive's modes are what the files get.
std::string RootAssignment() {
  return std::string("set -e; umask 0; root=\"${") + kFilesRootVariable + ":-" + kFilesRoot +
         "}\"; ";
}

std::string InlineWriterScript() {
  return RootAssignment() + "printf '%s' \"$" + kFilesBundleVariable +
         "\" | base64 -d | tar -x -C \"$root\" -f -";
}

std::string BundlePathAssignment() {
  return std::string("bundle=\"${") + kFilesBundleDirVariable + ":-" + kFilesBundleDir +
         "}/bundle.tar\"; ";
}

// A fetched bundle is checked before it is unpacked: an object replaced or cut short in the
// bucket fails the task instead of delivering other files.
std::string FetchedWriterScript() {
  return RootAssignment() + BundlePathAssignment() + "echo \"$" + kFilesShaVariable +
         "  $bundle\" | sha256sum -c - >/dev/null; tar -x -C \"$root\" -f \"$bundle\"";
}

// The fetcher's script: the AWS CLI with the task role's credentials, which allow this key.
std::string FetcherScript() {
  return std::string("set -e; ") + BundlePathAssignment() +
         "aws s3 cp --only-show-errors \"s3://$" + kFilesBucketVariable + "/$" + kFilesKeyVariable +
         "\" \"$bundle\"";
}

Json Variable(const std::string& name, Json value) {
  return Obj().Add("Name", name).Add("Value", std::move(value)).Take();
}

Json VolumeMount(const std::string& path, const std::string& volume, bool read_only) {
  return Obj()
      .Add("ContainerPath", path)
      .Add("ReadOnly", read_only)
      .Add("SourceVolume", volume)
      .Take();
}

// The fetcher of a bundle in the template bucket, and the task role's one permission: reading
// that key.
base::Result<Json> AddFetcher(Context& ctx, const PlannedService& planned,
                              const ServiceFiles& files, ServiceParts& parts) {
  const std::string& bucket = ctx.options.files_bucket;
  const std::string key = FilesBundleKey(ctx.options.files_prefix, files.archive_sha256);
  parts.volumes.push_back(Obj().Add("Name", kFilesBundleVolume).Take());
  parts.task_statements.push_back(Obj()
                                      .Add("Action", "s3:GetObject")
                                      .Add("Effect", "Allow")
                                      .Add("Resource", Join("", Arr("arn:", Ref("AWS::Partition"),
                                                                    ":s3:::" + bucket + "/" + key)))
                                      .Take());
  return Obj()
      .Add("Command", Arr(FetcherScript()))
      .Add("EntryPoint", Arr("sh", "-c"))
      .Add("Environment",
           Arr(Variable("AWS_DEFAULT_REGION", Ref("AWS::Region")),
               Variable(kFilesBucketVariable, bucket), Variable(kFilesKeyVariable, key)))
      .Add("Essential", false)
      .Add("Image", ctx.options.files_fetch_image)
      .Add("LogConfiguration", ctx.LogConfiguration())
      .Add("MountPoints", Arr(VolumeMount(kFilesBundleDir, kFilesBundleVolume, false)))
      .Add("Name", FilesFetchContainerName(planned.service->name))
      .Take();
}

base::Status AddForService(Context& ctx, const PlannedService& planned, const ServiceFiles& files) {
  const compose::Service& service = *planned.service;
  if (files.volumes.empty()) return base::Status::Ok();
  ECSYNC_RETURN_IF_ERROR(
      CheckBundleSize(planned.where, files.archive.size(), !ctx.options.files_bucket.empty()));
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
  Json environment = Json::array();
  std::string script;
  if (TravelsInline(files)) {
    script = InlineWriterScript();
    environment.push_back(Variable(kFilesBundleVariable, base::Base64Encode(files.archive)));
  } else {
    ECSYNC_ASSIGN_OR_RETURN(Json fetcher, AddFetcher(ctx, planned, files, parts));
    writer_depends.push_back(
        Obj().Add("Condition", "SUCCESS").Add("ContainerName", fetcher["Name"]).Take());
    writer_mounts.push_back(VolumeMount(kFilesBundleDir, kFilesBundleVolume, true));
    parts.init_containers.push_back(std::move(fetcher));
    script = FetchedWriterScript();
    environment.push_back(Variable(kFilesShaVariable, files.archive_sha256));
  }
  writer.Add("Command", Arr(script));
  if (!writer_depends.empty()) writer.Add("DependsOn", std::move(writer_depends));
  writer.Add("EntryPoint", Arr("sh", "-c"))
      .Add("Environment", std::move(environment))
      .Add("Essential", false)
      .Add("Image", ctx.options.files_image)
      .Add("LogConfiguration", ctx.LogConfiguration())
      .Add("MountPoints", std::move(writer_mounts))
      .Add("Name", FilesContainerName(service.name));
  parts.init_containers.push_back(std::move(writer).Take());
  return base::Status::Ok();
}

}  // namespace

bool TravelsInline(const ServiceFiles& files) {
  return Base64Size(files.archive.size()) <= kMaxInlineBundleBytes;
}

std::string FilesBundleKey(const std::string& prefix, const std::string& archive_sha256) {
  return prefix + "files/" + archive_sha256 + ".tar";
}

base::Status CheckBundleSize(const std::string& service, size_t archive_size,
                             bool bucket_configured) {
  if (archive_size > kMaxBundleBytes) {
    return base::InvalidError(service + ": the repository files it mounts take " +
                              std::to_string(archive_size) + " bytes, over the " +
                              std::to_string(kMaxBundleBytes) +
                              " bytes ecsync delivers into a task; mount fewer files, or bake "
                              "them into the image");
  }
  if (bucket_configured || Base64Size(archive_size) <= kMaxInlineBundleBytes) {
    return base::Status::Ok();
  }
  return base::InvalidError(
      service + ": the repository files it mounts take " +
      std::to_string(Base64Size(archive_size)) + " bytes in base64, over the " +
      std::to_string(kMaxInlineBundleBytes) +
      " bytes a task definition carries inline (ECS allows 64 KiB for a whole task "
      "definition); set aws.template_bucket in the config file (or --template-bucket) to "
      "deliver them through S3, or mount fewer or smaller files");
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
