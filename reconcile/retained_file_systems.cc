#include "reconcile/retained_file_systems.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "cfn/names.h"

namespace ecsync::reconcile {
namespace {

// Docker's tags, which cfn/volumes.cc puts on every file system it creates.
constexpr char kProjectTag[] = "com.docker.compose.project";
constexpr char kVolumeTag[] = "com.docker.compose.volume";
// Set by CloudFormation on what a stack creates.
constexpr char kStackIdTag[] = "aws:cloudformation:stack-id";

constexpr char kFileSystemType[] = "AWS::EFS::FileSystem";
constexpr char kMountTargetType[] = "AWS::EFS::MountTarget";

// Resource statuses of what a stack no longer holds (DELETE_SKIPPED: retained).
bool Released(const std::string& status) {
  return status == "DELETE_COMPLETE" || status == "DELETE_SKIPPED";
}

// The named, non-external volumes that services mount and `options` does not name yet:
// the volumes cfn/volumes.cc would make file systems for.
std::set<std::string> VolumesToLookUp(const compose::Project& project,
                                      const cfn::ConvertOptions& options) {
  std::set<std::string> volumes;
  for (const compose::Service& service : project.services) {
    for (const compose::ServiceVolume& mount : service.volumes) {
      if (mount.type != "volume" || mount.source.empty()) continue;
      auto config = project.volumes.find(mount.source);
      if (config == project.volumes.end() || config->second.external) continue;
      if (options.existing_file_systems.count(mount.source)) continue;
      volumes.insert(mount.source);
    }
  }
  return volumes;
}

// What the stack holds of EFS.
struct StackEfs {
  bool exists = false;
  std::set<std::string> file_system_logical_ids;
  std::set<std::string> file_system_ids;
  std::set<std::string> mount_target_ids;
};

base::Result<StackEfs> ReadStack(aws::CloudFormation& cfn, const std::string& stack_name) {
  StackEfs out;
  auto resources = cfn.DescribeStackResources(stack_name);
  if (!resources.ok()) {
    if (resources.status().kind() == base::ErrorKind::kNotFound) return out;
    return resources.status();
  }
  out.exists = true;
  for (const aws::StackResource& resource : *resources) {
    if (Released(resource.status)) continue;
    if (resource.resource_type == kFileSystemType) {
      out.file_system_logical_ids.insert(resource.logical_id);
      if (!resource.physical_id.empty()) out.file_system_ids.insert(resource.physical_id);
    } else if (resource.resource_type == kMountTargetType && !resource.physical_id.empty()) {
      out.mount_target_ids.insert(resource.physical_id);
    }
  }
  return out;
}

// The stack name in a CloudFormation stack ARN (…:stack/<name>/<uuid>), or "".
std::string StackNameOfArn(const std::string& arn) {
  const size_t at = arn.find(":stack/");
  if (at == std::string::npos) return "";
  const size_t start = at + 7;
  const size_t end = arn.find('/', start);
  return end == std::string::npos ? "" : arn.substr(start, end - start);
}

class Finder {
 public:
  Finder(aws::Efs& efs, aws::CloudFormation& cfn, const std::string& stack_name,
         const compose::Project& project, cfn::ConvertOptions& options)
      : efs_(efs), cfn_(cfn), stack_name_(stack_name), project_(project), options_(options) {}

  base::Status Run() {
    std::set<std::string> volumes = VolumesToLookUp(project_, options_);
    if (volumes.empty()) return base::Status::Ok();
    ECSYNC_ASSIGN_OR_RETURN(stack_, ReadStack(cfn_, stack_name_));
    // The stack keeps creating the file systems it owns: the usual case costs one call.
    std::erase_if(volumes, [&](const std::string& volume) {
      return stack_.file_system_logical_ids.count(cfn::FileSystemId(volume)) != 0;
    });
    if (volumes.empty()) return base::Status::Ok();
    // A stack that re-attached a file system keeps exactly that one, whatever its state or
    // tags are now: otherwise a file system that is `updating`, or lost a tag, would make
    // the next template create an empty one in its place.
    if (stack_.exists) {
      ECSYNC_ASSIGN_OR_RETURN(auto pinned, PinnedFileSystems(volumes));
      for (const auto& [volume, id] : pinned) {
        ECSYNC_RETURN_IF_ERROR(Reattach(volume, id));
        volumes.erase(volume);
      }
      if (volumes.empty()) return base::Status::Ok();
    }
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::FileSystem> all,
                            efs_.DescribeFileSystems(std::nullopt));
    for (const std::string& volume : volumes) {
      std::vector<std::string> candidates;
      bool owned = false;
      for (const aws::FileSystem& fs : all) {
        if (!Tagged(fs, kProjectTag, project_.name) || !Tagged(fs, kVolumeTag, volume)) continue;
        if (stack_.file_system_ids.count(fs.id)) {
          owned = true;
          continue;
        }
        if (fs.life_cycle_state != "available" || MadeByAnotherStack(fs)) continue;
        candidates.push_back(fs.id);
      }
      // Under another logical ID, but the stack's own all the same.
      if (owned || candidates.empty()) continue;
      if (candidates.size() > 1) return Ambiguous(volume, candidates);
      ECSYNC_RETURN_IF_ERROR(Reattach(volume, candidates.front()));
    }
    return base::Status::Ok();
  }

 private:
  static bool Tagged(const aws::FileSystem& fs, const char* key, const std::string& value) {
    auto it = fs.tags.find(key);
    return it != fs.tags.end() && it->second == value;
  }

  // A file system CloudFormation made for a stack of another name (its
  // aws:cloudformation:stack-id tag) belongs to that stack, live or deleted: staging's data
  // must never turn up in production because both deploy the same compose project.
  bool MadeByAnotherStack(const aws::FileSystem& fs) const {
    auto tag = fs.tags.find(kStackIdTag);
    if (tag == fs.tags.end() || tag->second.empty()) return false;
    return StackNameOfArn(tag->second) != stack_name_;
  }

  // The file systems the stack's template gives its <Vol>AccessPoint by ID, for `volumes`.
  base::Result<std::map<std::string, std::string>> PinnedFileSystems(
      const std::set<std::string>& volumes) {
    std::map<std::string, std::string> pinned;
    ECSYNC_ASSIGN_OR_RETURN(std::string text, cfn_.GetTemplate(stack_name_));
    const auto body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("Resources")) return pinned;
    const nlohmann::json& resources = body["Resources"];
    for (const std::string& volume : volumes) {
      const std::string id = cfn::AccessPointId(volume);
      if (!resources.contains(id)) continue;
      const nlohmann::json& fs = resources[id]
                                     .value("Properties", nlohmann::json::object())
                                     .value("FileSystemId", nlohmann::json());
      if (fs.is_string()) pinned[volume] = fs.get<std::string>();
    }
    return pinned;
  }

  base::Status Ambiguous(const std::string& volume, const std::vector<std::string>& candidates) {
    std::string ids;
    for (const std::string& id : candidates) ids += (ids.empty() ? "" : ", ") + id;
    return base::InvalidError(
        "volume \"" + volume + "\": several retained EFS file systems of project \"" +
        project_.name + "\" could hold its data (" + ids +
        "); ecsync will not guess. Keep one: remove the com.docker.compose.volume tag from "
        "the others (or delete them) and it is re-attached with new mount targets; or set "
        "`external: true` and `name: fs-…` on the volume (an external file system needs mount "
        "targets in the task subnets already)");
  }

  base::Status Reattach(const std::string& volume, const std::string& id) {
    auto targets = efs_.DescribeMountTargets(id);
    if (!targets.ok() && targets.status().kind() == base::ErrorKind::kNotFound) {
      // Creating a new one would deploy empty storage where the data was: stop instead.
      return base::InvalidError("volume \"" + volume + "\": stack " + stack_name_ +
                                " uses EFS file system " + id +
                                ", which no longer exists; restore it from a backup and name "
                                "it with `external: true` and `name: fs-…`, or delete the "
                                "stack to start with an empty file system");
    }
    if (!targets.ok()) return targets.status();
    options_.existing_file_systems[volume] = id;
    for (const aws::MountTarget& target : *targets) {
      if (target.life_cycle_state == "deleting" || target.life_cycle_state == "deleted") continue;
      if (stack_.mount_target_ids.count(target.id) == 0) {
        options_.file_systems_with_mount_targets.insert(id);
        break;
      }
    }
    return base::Status::Ok();
  }

  aws::Efs& efs_;
  aws::CloudFormation& cfn_;
  const std::string& stack_name_;
  const compose::Project& project_;
  cfn::ConvertOptions& options_;
  StackEfs stack_;
};

}  // namespace

base::Status AddRetainedFileSystems(aws::Efs& efs, aws::CloudFormation& cfn,
                                    const std::string& stack_name, const compose::Project& project,
                                    cfn::ConvertOptions* options) {
  return Finder(efs, cfn, stack_name, project, *options).Run();
}

}  // namespace ecsync::reconcile
