#include "cfn/volumes.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "cfn/names.h"
#include "cfn/networks.h"

namespace ecsync::cfn {
namespace {

constexpr size_t kMaxMountTargetGroups = 5;

// driver_opts keys are accepted with '-' or '_'.
std::string OptKey(std::string key) {
  for (char& c : key) {
    if (c == '-') c = '_';
  }
  return key;
}

// Built from the access point's ID (its Ref) rather than GetAtt Arn: the same value, and
// the form moto, which the tests deploy to, can resolve.
Json AccessPointArn(const std::string& access_point_id) {
  return Sub(
      "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:"
      "access-point/${" +
      access_point_id + "}");
}

struct VolumeUse {
  std::set<std::string> networks;  // of the services mounting it
};

class Volumes {
 public:
  explicit Volumes(Context& ctx) : ctx_(ctx) {}

  base::Status Run() {
    std::map<std::string, VolumeUse> uses;
    for (const PlannedService& planned : ctx_.plan.services) {
      ECSYNC_RETURN_IF_ERROR(AddServiceMounts(planned, uses));
    }
    for (const auto& [name, use] : uses) ECSYNC_RETURN_IF_ERROR(AddFileSystem(name, use));
    return base::Status::Ok();
  }

 private:
  // True when the bind mount at `target` is a copy of repository files (cfn/task_files.h).
  bool Delivered(const std::string& service, const std::string& target) const {
    auto it = ctx_.options.files.find(service);
    if (it == ctx_.options.files.end()) return false;
    const std::vector<std::string>& targets = it->second.bind_targets;
    return std::find(targets.begin(), targets.end(), target) != targets.end();
  }

  base::Status AddServiceMounts(const PlannedService& planned,
                                std::map<std::string, VolumeUse>& uses) {
    const compose::Service& service = *planned.service;
    ServiceParts& parts = ctx_.parts[service.name];
    int scratch = 0;
    auto add_scratch = [&](const std::string& target, bool read_only) {
      const std::string volume = "scratch" + std::to_string(scratch++);
      parts.volumes.push_back(Obj().Add("Name", volume).Take());
      parts.mount_points.push_back(Obj()
                                       .Add("ContainerPath", target)
                                       .Add("ReadOnly", read_only)
                                       .Add("SourceVolume", volume)
                                       .Take());
    };
    for (size_t i = 0; i < service.volumes.size(); ++i) {
      const compose::ServiceVolume& mount = service.volumes[i];
      const std::string where = planned.where + ": volumes[" + std::to_string(i) + "]";
      if (mount.target.empty() || mount.target.front() != '/') {
        return base::InvalidError(where + ": the target must be an absolute path");
      }
      if (mount.type == "tmpfs" || (mount.type == "volume" && mount.source.empty())) {
        add_scratch(mount.target, mount.read_only);
        continue;
      }
      if (mount.type == "bind" && Delivered(service.name, mount.target)) continue;
      if (mount.type != "volume") {
        ctx_.warnings.push_back(where + ": " + mount.type + " mount of " + mount.source +
                                " left out: ECS tasks cannot reach files on the machine that "
                                "runs ecsync; bake them into the image or use a named volume");
        continue;
      }
      if (ctx_.project.volumes.count(mount.source) == 0) {
        return base::InvalidError(where + ": volume \"" + mount.source +
                                  "\" is not defined in the top-level volumes");
      }
      if (LogicalIdPart(mount.source).empty()) {
        return base::InvalidError(where + ": volume \"" + mount.source +
                                  "\" needs a letter or digit in its name");
      }
      VolumeUse& use = uses[mount.source];
      use.networks.insert(planned.networks.begin(), planned.networks.end());
      const std::string access_point = AccessPointId(mount.source);
      // Task volume names allow [A-Za-z0-9_-] only; the logical-ID form also keeps them
      // apart from "secrets" and the lower-case scratch volumes.
      const std::string task_volume = LogicalIdPart(mount.source);
      bool declared = false;
      for (const Json& volume : parts.volumes)
        declared = declared || volume.at("Name") == task_volume;
      if (!declared) {
        parts.volumes.push_back(
            Obj()
                .Add("EFSVolumeConfiguration",
                     Obj()
                         .Add("AuthorizationConfig", Obj()
                                                         .Add("AccessPointId", Ref(access_point))
                                                         .Add("IAM", "ENABLED")
                                                         .Take())
                         .Add("FilesystemId", FileSystem(mount.source))
                         .Add("TransitEncryption", "ENABLED")
                         .Take())
                .Add("Name", task_volume)
                .Take());
        parts.task_statements.push_back(
            Obj()
                .Add("Action", mount.read_only ? Arr("elasticfilesystem:ClientMount")
                                               : Arr("elasticfilesystem:ClientMount",
                                                     "elasticfilesystem:ClientWrite"))
                .Add("Condition",
                     Obj()
                         .Add("StringEquals", Obj()
                                                  .Add("elasticfilesystem:AccessPointArn",
                                                       AccessPointArn(access_point))
                                                  .Take())
                         .Take())
                .Add("Effect", "Allow")
                .Add("Resource", FileSystemArn(mount.source))
                .Take());
        mounted_by_[mount.source].push_back(service.name);
      }
      parts.mount_points.push_back(Obj()
                                       .Add("ContainerPath", mount.target)
                                       .Add("ReadOnly", mount.read_only)
                                       .Add("SourceVolume", task_volume)
                                       .Take());
    }
    // tmpfs has no Fargate equivalent in memory; a task-scoped scratch volume keeps the
    // path writable, on the task's ephemeral storage.
    for (const std::string& entry : service.tmpfs) {
      const std::string target = entry.substr(0, entry.find(':'));
      if (target.empty() || target.front() != '/') {
        return base::InvalidError(planned.where + ": tmpfs " + entry + " must be an absolute path");
      }
      add_scratch(target, false);
    }
    return base::Status::Ok();
  }

  // The file system ID of a compose volume: existing (external or retained) or ours.
  Json FileSystem(const std::string& name) const {
    const compose::VolumeConfig& config = ctx_.project.volumes.at(name);
    if (config.external) return config.name.empty() ? name : config.name;
    auto it = ctx_.options.existing_file_systems.find(name);
    if (it != ctx_.options.existing_file_systems.end()) return it->second;
    return Ref(FileSystemId(name));
  }

  // Whether the template creates the volume's mount targets: for the file system it
  // creates, and for a re-attached one unless that one has mount targets already. An
  // external file system is the user's, mount targets included.
  bool NeedsMountTargets(const std::string& name) const {
    if (ctx_.project.volumes.at(name).external) return false;
    auto it = ctx_.options.existing_file_systems.find(name);
    if (it == ctx_.options.existing_file_systems.end()) return true;
    return ctx_.options.file_systems_with_mount_targets.count(it->second) == 0;
  }

  // From the ID, like AccessPointArn.
  Json FileSystemArn(const std::string& name) const {
    Json id = FileSystem(name);
    return Sub(
        "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:"
        "file-system/" +
        (id.is_string() ? id.get<std::string>() : "${" + FileSystemId(name) + "}"));
  }

  base::Status AddFileSystem(const std::string& name, const VolumeUse& use) {
    const compose::VolumeConfig& config = ctx_.project.volumes.at(name);
    std::string owner = "volume \"" + name + "\"";
    if (!config.location.ToString().empty()) owner += " (" + config.location.ToString() + ")";
    std::map<std::string, std::string> opts;
    for (const auto& [key, value] : config.driver_opts) opts[OptKey(key)] = value;
    const Json file_system = FileSystem(name);
    if (file_system.is_string() && file_system.get<std::string>().rfind("fs-", 0) != 0) {
      return base::InvalidError(owner +
                                ": an external volume must name an EFS file system "
                                "(name: fs-…)");
    }

    Json tags = ctx_.ProjectTags();
    tags.push_back(Tag("com.docker.compose.volume", name));
    Json name_tags = tags;
    name_tags.push_back(Tag("Name", ctx_.project.name + "_" + name));

    if (!file_system.is_string()) {
      Obj fs;
      if (opts.count("backup_policy")) {
        fs.Add("BackupPolicy", Obj().Add("Status", opts["backup_policy"]).Take());
      }
      fs.Add("Encrypted", true).Add("FileSystemTags", name_tags);
      if (opts.count("kms_key_id")) fs.Add("KmsKeyId", opts["kms_key_id"]);
      if (opts.count("lifecycle_policy")) {
        fs.Add("LifecyclePolicies",
               Arr(Obj().Add("TransitionToIA", opts["lifecycle_policy"]).Take()));
      }
      if (opts.count("performance_mode")) fs.Add("PerformanceMode", opts["performance_mode"]);
      if (opts.count("provisioned_throughput")) {
        char* end = nullptr;
        const double mibps = std::strtod(opts["provisioned_throughput"].c_str(), &end);
        if (end == nullptr || *end != '\0' || mibps <= 0) {
          return base::InvalidError(owner +
                                    ": driver_opts.provisioned_throughput must be a "
                                    "number of MiB/s");
        }
        fs.Add("ProvisionedThroughputInMibps", mibps);
      }
      if (opts.count("throughput_mode")) fs.Add("ThroughputMode", opts["throughput_mode"]);
      Resource resource;
      resource.type = "AWS::EFS::FileSystem";
      resource.properties = std::move(fs).Take();
      // Data outlives the stack; a later deployment re-attaches it (existing_file_systems,
      // which reconcile/retained_file_systems.h fills).
      resource.deletion_policy = "Retain";
      ECSYNC_RETURN_IF_ERROR(ctx_.tmpl.Add(FileSystemId(name), std::move(resource), owner));
    }
    if (NeedsMountTargets(name)) {
      if (!ctx_.plan.task_subnets.is_array()) {
        return base::InvalidError(owner +
                                  ": EFS needs a mount target per subnet, so the "
                                  "subnet IDs must be known (pass --subnet-ids or set "
                                  "x-ecsync-subnets)");
      }
      Json groups = Json::array();
      for (const std::string& network : use.networks) {
        if (groups.size() < kMaxMountTargetGroups) {
          groups.push_back(NetworkSecurityGroup(ctx_, network));
        }
      }
      for (const Json& subnet : ctx_.plan.task_subnets) {
        const std::string id = MountTargetId(name, subnet.get<std::string>());
        ECSYNC_RETURN_IF_ERROR(ctx_.tmpl.Add(id, "AWS::EFS::MountTarget",
                                             Obj()
                                                 .Add("FileSystemId", file_system)
                                                 .Add("SecurityGroups", groups)
                                                 .Add("SubnetId", subnet)
                                                 .Take(),
                                             owner));
        // Tasks cannot mount before the mount target in their subnet exists.
        for (const std::string& service : mounted_by_[name]) {
          ctx_.parts[service].depends_on.push_back(id);
        }
      }
    }

    Obj access;
    access.Add("AccessPointTags", tags).Add("FileSystemId", file_system);
    const bool has_user = opts.count("uid") || opts.count("gid");
    // EFS applies CreationInfo only to a directory it creates; "/" always exists, owned by
    // root with 0755. Changing the default path would hide data already written at "/", so
    // the user is told instead.
    const bool non_root =
        (opts.count("uid") && opts["uid"] != "0") || (opts.count("gid") && opts["gid"] != "0");
    if (non_root && !opts.count("root_directory")) {
      ctx_.warnings.push_back(
          owner + ": uid/gid " + (opts.count("uid") ? opts["uid"] : "0") + ":" +
          (opts.count("gid") ? opts["gid"] : "0") +
          " cannot write to the file system's root directory, which EFS owns as root (0755); "
          "set driver_opts.root_directory (e.g. /" +
          name + ") and the access point creates it owned by that user");
    }
    if (has_user) {
      access.Add("PosixUser", Obj()
                                  .Add("Gid", opts.count("gid") ? opts["gid"] : "0")
                                  .Add("Uid", opts.count("uid") ? opts["uid"] : "0")
                                  .Take());
    }
    if (has_user || opts.count("root_directory")) {
      Obj root;
      if (has_user) {
        root.Add("CreationInfo",
                 Obj()
                     .Add("OwnerGid", opts.count("gid") ? opts["gid"] : "0")
                     .Add("OwnerUid", opts.count("uid") ? opts["uid"] : "0")
                     .Add("Permissions", opts.count("permissions") ? opts["permissions"] : "0755")
                     .Take());
      }
      root.Add("Path", opts.count("root_directory") ? opts["root_directory"] : "/");
      access.Add("RootDirectory", std::move(root).Take());
    }
    return ctx_.tmpl.Add(AccessPointId(name), "AWS::EFS::AccessPoint", std::move(access).Take(),
                         owner);
  }

  Context& ctx_;
  std::map<std::string, std::vector<std::string>> mounted_by_;  // volume -> services
};

}  // namespace

base::Status AddVolumes(Context& ctx) { return Volumes(ctx).Run(); }

}  // namespace ecsync::cfn
