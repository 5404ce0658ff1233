#include "reconcile/repository_files.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "artifacts/ustar.h"
#include "base/hash.h"
#include "base/path.h"
#include "cfn/task_files.h"

namespace ecsync::reconcile {
namespace {

constexpr uint32_t kDirectoryMode = 0755;
constexpr uint32_t kConfigMode = 0444;  // the Compose specification's default for configs

// One bind mount or config as the service's container must see it.
struct Mount {
  std::string where;   // "compose.yaml:7:9: services.web.volumes[0]", for errors
  std::string target;  // normalized, absolute
  bool read_only = false;
  bool directory = false;
  // As read: a directory's entries (path "" is the directory itself), or one file (path "").
  std::vector<git::TreeFile> files;
  std::optional<uint32_t> mode;  // a config's mode; else the committed one
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// One volume of the bundle: its entries by path relative to the volume.
struct Volume {
  bool seed_from_image = false;
  bool read_only = true;
  std::map<std::string, artifacts::TarEntry> entries;
};

base::Status ErrorAt(const std::string& where, const std::string& message) {
  return base::InvalidError(where + ": " + message);
}

// `path` (in the loader's form) relative to the repository root `root` (the same form).
// REQUIRES: base::IsInside(root, path).
std::string RepositoryPath(const std::string& root, const std::string& path) {
  const std::string r = base::NormalizePath(root);
  std::string p = base::NormalizePath(path);
  if (p == r) return "";
  if (r == ".") return p;
  return p.substr(r == "/" ? 1 : r.size() + 1);
}

bool ParseId(const std::string& text, uint32_t* out) {
  if (text.empty()) {
    *out = 0;
    return true;
  }
  if (text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  *out = static_cast<uint32_t>(std::stoul(text));
  return true;
}

class ServiceFilesBuilder {
 public:
  ServiceFilesBuilder(const compose::Project& project,
                      const std::map<std::string, std::string>& environment,
                      const RepositoryTreeReader& read, const compose::Service& service,
                      bool through_s3)
      : project_(project),
        environment_(environment),
        read_(read),
        service_(service),
        through_s3_(through_s3),
        budget_(through_s3 ? cfn::kMaxBundleBytes : cfn::kMaxInlineBundleBytes / 4 * 3) {}

  // nullopt when the service mounts no repository files.
  base::Result<std::optional<cfn::ServiceFiles>> Build() {
    ECSYNC_RETURN_IF_ERROR(CollectBindMounts());
    ECSYNC_RETURN_IF_ERROR(CollectConfigs());
    if (mounts_.empty()) return std::optional<cfn::ServiceFiles>();
    ECSYNC_RETURN_IF_ERROR(Arrange());
    ECSYNC_ASSIGN_OR_RETURN(cfn::ServiceFiles files, Bundle());
    return std::optional<cfn::ServiceFiles>(std::move(files));
  }

 private:
  base::Result<std::vector<git::TreeFile>> ReadSource(const std::string& where,
                                                      const std::string& shown,
                                                      const std::string& path) {
    const std::string repository_path = RepositoryPath(project_.root_dir, path);
    // Reading stops well past the budget, so that a large tree is not loaded whole, yet a
    // tree just over it is measured and reported below.
    auto files = read_(repository_path, budget_ * 4);
    if (!files.ok()) return ErrorAt(where, shown + ": " + files.status().message());
    if (!files->has_value()) {
      return ErrorAt(where, shown + ": " + (repository_path.empty() ? "." : repository_path) +
                                " is not in the repository at this commit; commit it, or use a "
                                "named volume");
    }
    size_t bytes = 0;
    for (const git::TreeFile& file : **files) bytes += file.content.size();
    if (bytes > budget_) {
      return ErrorAt(where, shown + ": its " + std::to_string(bytes) +
                                " bytes of files are more than the " + std::to_string(budget_) +
                                " bytes still left of " + Allowance() +
                                ": mount fewer or smaller files, or bake them into the image");
    }
    budget_ -= bytes;
    return std::move(**files);
  }

  base::Status CollectBindMounts() {
    for (size_t i = 0; i < service_.volumes.size(); ++i) {
      const compose::ServiceVolume& volume = service_.volumes[i];
      if (volume.type != "bind" || !base::IsInside(project_.root_dir, volume.source)) continue;
      Mount mount;
      mount.where = volume.location.ToString() + ": services." + service_.name + ".volumes[" +
                    std::to_string(i) + "]";
      const std::string shown = "bind mount of " + volume.source;
      if (volume.target.empty() || volume.target.front() != '/') {
        return ErrorAt(mount.where, shown + ": the target must be an absolute path");
      }
      mount.target = base::NormalizePath(volume.target);
      mount.read_only = volume.read_only;
      ECSYNC_ASSIGN_OR_RETURN(mount.files, ReadSource(mount.where, shown, volume.source));
      mount.directory = mount.files.front().directory;
      bind_targets_.push_back(volume.target);
      mounts_.push_back(std::move(mount));
    }
    return base::Status::Ok();
  }

  base::Status CollectConfigs() {
    for (size_t i = 0; i < service_.configs.size(); ++i) {
      const compose::FileReference& ref = service_.configs[i];
      auto it = project_.configs.find(ref.source);
      if (it == project_.configs.end() || it->second.external) continue;  // cfn warns
      const compose::FileObjectConfig& config = it->second;
      Mount mount;
      mount.where = ref.location.ToString() + ": services." + service_.name + ".configs[" +
                    std::to_string(i) + "]";
      const std::string shown = "config \"" + ref.source + "\"";
      std::string target = ref.target.empty() ? ref.source : ref.target;
      if (target.front() != '/') target = "/" + target;
      mount.target = base::NormalizePath(target);
      mount.read_only = true;
      mount.mode = ref.mode.value_or(kConfigMode);
      if (!ParseId(ref.uid, &mount.uid) || !ParseId(ref.gid, &mount.gid)) {
        return ErrorAt(mount.where, shown + ": uid and gid must be numbers");
      }
      git::TreeFile file;
      if (!config.file.empty()) {
        if (!base::IsInside(project_.root_dir, config.file)) {
          return ErrorAt(mount.where, shown + ": its file " + config.file +
                                          " is outside the repository; only repository files "
                                          "are delivered");
        }
        ECSYNC_ASSIGN_OR_RETURN(mount.files, ReadSource(mount.where, shown, config.file));
        if (mount.files.front().directory) {
          return ErrorAt(mount.where, shown + ": its file " + config.file + " is a directory");
        }
      } else if (!config.environment.empty()) {
        auto value = environment_.find(config.environment);
        if (value == environment_.end()) {
          return ErrorAt(mount.where, shown + " comes from the variable " + config.environment +
                                          ", which is not set");
        }
        file.content = value->second;
        mount.files = {std::move(file)};
      } else {
        file.content = config.content;
        mount.files = {std::move(file)};
      }
      configs_.push_back(ref.source);
      mounts_.push_back(std::move(mount));
    }
    return base::Status::Ok();
  }

  // A directory mount is a volume of its own; a file joins the volume of the nearest
  // directory above its target, or gets one at its parent, seeded from the image. Files go
  // shallowest first so that a volume at a parent exists before a deeper file looks for one.
  base::Status Arrange() {
    std::vector<const Mount*> files;
    for (const Mount& mount : mounts_) {
      if (!mount.directory) {
        files.push_back(&mount);
        continue;
      }
      auto [it, added] = volumes_.try_emplace(mount.target);
      if (!added)
        return ErrorAt(mount.where, "another mount already has the target " + mount.target);
      it->second.read_only = mount.read_only;
      for (const git::TreeFile& file : mount.files) {
        if (!file.path.empty()) AddEntry(it->second, file.path, file, mount);
      }
    }
    auto depth = [](const Mount* m) { return std::count(m->target.begin(), m->target.end(), '/'); };
    std::stable_sort(files.begin(), files.end(), [&](const Mount* a, const Mount* b) {
      return depth(a) != depth(b) ? depth(a) < depth(b) : a->target < b->target;
    });
    for (const Mount* mount : files) {
      if (volumes_.count(mount->target) != 0) {
        return ErrorAt(mount->where, "another mount already has the target " + mount->target);
      }
      std::string at;
      for (const auto& [path, volume] : volumes_) {
        if (base::IsInside(path, mount->target) && path.size() > at.size()) at = path;
      }
      if (at.empty()) {
        at = base::DirName(mount->target);
        if (at.empty() || at == "/") {
          return ErrorAt(mount->where, "the target " + mount->target +
                                           " is a file directly below /, where no volume can be "
                                           "mounted; put it in a directory (e.g. /etc" +
                                           mount->target + ")");
        }
        volumes_[at].seed_from_image = true;
      }
      Volume& volume = volumes_[at];
      volume.read_only = volume.read_only && mount->read_only;
      const std::string relative = mount->target.substr(at.size() + 1);
      // The directories between the volume and the file.
      for (size_t slash = relative.find('/'); slash != std::string::npos;
           slash = relative.find('/', slash + 1)) {
        git::TreeFile directory;
        directory.directory = true;
        const std::string path = relative.substr(0, slash);
        auto existing = volume.entries.find(path);
        if (existing == volume.entries.end()) {
          AddEntry(volume, path, directory, *mount);
        } else if (!existing->second.directory) {
          return ErrorAt(mount->where, "the target " + mount->target + " is below the file " + at +
                                           "/" + path + " of another mount");
        }
      }
      auto existing = volume.entries.find(relative);
      if (existing != volume.entries.end() && existing->second.directory) {
        return ErrorAt(mount->where,
                       "the target " + mount->target + " is a directory of another mount");
      }
      // Over what a directory mount put there, as a file mount over a directory would be.
      AddEntry(volume, relative, mount->files.front(), *mount);
    }
    return base::Status::Ok();
  }

  void AddEntry(Volume& volume, const std::string& path, const git::TreeFile& file,
                const Mount& mount) {
    artifacts::TarEntry entry;
    entry.directory = file.directory;
    entry.mode = file.directory ? kDirectoryMode : file.executable ? 0755 : 0644;
    if (!file.directory && mount.mode) entry.mode = *mount.mode;
    if (!file.directory) {
      entry.uid = mount.uid;
      entry.gid = mount.gid;
    }
    entry.content = file.content;
    volume.entries[path] = std::move(entry);
  }

  base::Result<cfn::ServiceFiles> Bundle() {
    cfn::ServiceFiles out;
    std::vector<artifacts::TarEntry> entries;
    size_t n = 0;
    for (auto& [path, volume] : volumes_) {  // sorted: a volume before those inside it
      const std::string top = std::to_string(n++);
      out.volumes.push_back({path, volume.seed_from_image, volume.read_only});
      artifacts::TarEntry root;
      root.path = top;
      root.directory = true;
      root.mode = kDirectoryMode;
      entries.push_back(std::move(root));
      for (auto& [relative, entry] : volume.entries) {
        entry.path = top + "/" + relative;
        entries.push_back(std::move(entry));
      }
    }
    auto archive = artifacts::WriteUstar(std::move(entries));
    if (!archive.ok()) return archive.status().WithContext(Where());
    ECSYNC_RETURN_IF_ERROR(cfn::CheckBundleSize(Where(), archive->size(), through_s3_));
    out.archive_sha256 = base::Sha256Hex(*archive);
    out.archive = std::move(*archive);
    out.bind_targets = std::move(bind_targets_);
    out.configs = std::move(configs_);
    return out;
  }

  // What a task receives, for errors.
  std::string Allowance() const {
    if (through_s3_) {
      return "the " + std::to_string(cfn::kMaxBundleBytes) + " bytes ecsync delivers into a task";
    }
    return "what a task definition carries inline (" + std::to_string(cfn::kMaxInlineBundleBytes) +
           " bytes in base64; set aws.template_bucket to deliver larger files through S3)";
  }

  std::string Where() const {
    return "service \"" + service_.name + "\" (" + service_.location.ToString() + ")";
  }

  const compose::Project& project_;
  const std::map<std::string, std::string>& environment_;
  const RepositoryTreeReader& read_;
  const compose::Service& service_;
  const bool through_s3_;
  // What may still be read: a bundle over this many bytes could not be delivered anyway
  // (inline, base64 makes 4 bytes of 3, before the archive's headers).
  size_t budget_;
  std::vector<Mount> mounts_;
  std::map<std::string, Volume> volumes_;  // by container path
  std::vector<std::string> bind_targets_;
  std::vector<std::string> configs_;
};

}  // namespace

RepositoryTreeReader WorkTreeReader(const std::string& dir) {
  auto head = std::make_shared<std::optional<git::WorkTreeHead>>();
  return [dir, head](const std::string& path,
                     size_t max_bytes) -> base::Result<std::optional<std::vector<git::TreeFile>>> {
    if (!head->has_value()) {
      auto found = git::FindWorkTreeHead(dir.empty() ? "." : dir);
      if (!found.ok()) {
        return base::InvalidError("repository files are read from the commit HEAD names, but " +
                                  found.status().message() +
                                  "; commit the files to a git repository, or use a named "
                                  "volume");
      }
      *head = std::move(*found);
    }
    return git::ReadRepositoryFiles((*head)->root, (*head)->commit, path, max_bytes);
  };
}

base::Result<std::map<std::string, cfn::ServiceFiles>> RepositoryFilesFor(
    const compose::Project& project, const std::map<std::string, std::string>& environment,
    const RepositoryTreeReader& read, bool through_s3) {
  std::map<std::string, cfn::ServiceFiles> out;
  for (const compose::Service& service : project.services) {
    ECSYNC_ASSIGN_OR_RETURN(
        std::optional<cfn::ServiceFiles> files,
        ServiceFilesBuilder(project, environment, read, service, through_s3).Build());
    if (files) out.emplace(service.name, std::move(*files));
  }
  return out;
}

}  // namespace ecsync::reconcile
