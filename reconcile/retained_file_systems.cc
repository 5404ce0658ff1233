#include "reconcile/retained_file_systems.h"

#include <cctype>
#include <map>
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

// Whether `text` holds `id` as a whole token (not as the start of a longer ID).
bool NamesId(const std::string& text, const std::string& id) {
  auto is_id_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  };
  for (size_t at = text.find(id); at != std::string::npos; at = text.find(id, at + 1)) {
    const size_t end = at + id.size();
    if ((at == 0 || !is_id_char(text[at - 1])) && (end == text.size() || !is_id_char(text[end]))) {
      return true;
    }
  }
  return false;
}

class Finder {
 public:
  Finder(aws::Efs& efs, aws::CloudFormation& cfn, const std::string& stack_name,
         const compose::Project& project, cfn::ConvertOptions& options)
      : efs_(efs), cfn_(cfn), stack_name_(stack_name), project_(project), options_(options) {}

  base::Status Run() {
    const std::set<std::string> volumes = VolumesToLookUp(project_, options_);
    if (volumes.empty()) return base::Status::Ok();
    ECSYNC_ASSIGN_OR_RETURN(stack_, ReadStack(cfn_, stack_name_));
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::FileSystem> all,
                            efs_.DescribeFileSystems(std::nullopt));
    for (const std::string& volume : volumes) {
      // The stack keeps creating the file system it owns.
      if (stack_.file_system_logical_ids.count(cfn::FileSystemId(volume))) continue;
      std::vector<std::string> candidates;
      bool owned = false;
      for (const aws::FileSystem& fs : all) {
        if (!Tagged(fs, kProjectTag, project_.name) || !Tagged(fs, kVolumeTag, volume)) continue;
        if (stack_.file_system_ids.count(fs.id)) {
          owned = true;
          continue;
        }
        if (fs.life_cycle_state != "available") continue;
        ECSYNC_ASSIGN_OR_RETURN(bool other_stacks, OwnedByAnotherStack(fs));
        if (!other_stacks) candidates.push_back(fs.id);
      }
      // Under another logical ID, but the stack's own all the same.
      if (owned) continue;
      ECSYNC_ASSIGN_OR_RETURN(std::optional<std::string> chosen, Choose(volume, candidates));
      if (chosen) ECSYNC_RETURN_IF_ERROR(Reattach(volume, *chosen));
    }
    return base::Status::Ok();
  }

 private:
  static bool Tagged(const aws::FileSystem& fs, const char* key, const std::string& value) {
    auto it = fs.tags.find(key);
    return it != fs.tags.end() && it->second == value;
  }

  // True when the stack that created `fs` (its aws:cloudformation:stack-id tag) is another
  // stack than ours and still exists: the file system is that stack's, not retained.
  base::Result<bool> OwnedByAnotherStack(const aws::FileSystem& fs) {
    auto tag = fs.tags.find(kStackIdTag);
    if (tag == fs.tags.end() || tag->second.empty()) return false;
    auto known = creator_live_.find(tag->second);
    if (known != creator_live_.end()) return known->second;
    bool live = false;
    auto creator = cfn_.DescribeStack(tag->second);
    if (creator.ok()) {
      live = creator->status != "DELETE_COMPLETE" && creator->name != stack_name_;
    } else if (creator.status().kind() != base::ErrorKind::kNotFound) {
      return creator.status();
    }
    creator_live_[tag->second] = live;
    return live;
  }

  // The candidate to re-attach, if any.
  base::Result<std::optional<std::string>> Choose(const std::string& volume,
                                                  const std::vector<std::string>& candidates) {
    if (candidates.empty()) return std::optional<std::string>();
    if (candidates.size() == 1) return std::optional<std::string>(candidates.front());
    // A running deployment that references one of them keeps it.
    if (stack_.exists) {
      if (!template_) {
        ECSYNC_ASSIGN_OR_RETURN(std::string text, cfn_.GetTemplate(stack_name_));
        template_ = std::move(text);
      }
      std::vector<std::string> named;
      for (const std::string& id : candidates) {
        if (NamesId(*template_, id)) named.push_back(id);
      }
      if (named.size() == 1) return std::optional<std::string>(named.front());
    }
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
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::MountTarget> targets, efs_.DescribeMountTargets(id));
    options_.existing_file_systems[volume] = id;
    for (const aws::MountTarget& target : targets) {
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
  std::optional<std::string> template_;         // the stack's, read once when needed
  std::map<std::string, bool> creator_live_;    // stack ID -> OwnedByAnotherStack's answer
};

}  // namespace

base::Status AddRetainedFileSystems(aws::Efs& efs, aws::CloudFormation& cfn,
                                    const std::string& stack_name,
                                    const compose::Project& project,
                                    cfn::ConvertOptions* options) {
  return Finder(efs, cfn, stack_name, project, *options).Run();
}

}  // namespace ecsync::reconcile
