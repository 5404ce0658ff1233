#include "controller/projects.h"

#include <set>

#include "base/hash.h"
#include "base/path.h"
#include "reconcile/git_file_reader.h"
#include "reconcile/reconciler.h"

namespace ecsync::controller {

namespace {

std::string Digest(const ProjectSpec& p) {
  std::string text = p.name + "\n" + p.stack_name + "\n" + p.env_file + "\n" +
                     (p.prune ? "prune" : "keep") + (p.suspend ? " suspend" : "") +
                     (p.self_heal ? " heal" : "") + (p.manual_approval ? " approval" : "") + "\n" +
                     std::to_string(p.timeout.count()) + "\n";
  for (const auto& f : p.files) text += "file " + f + "\n";
  for (const auto& f : p.profiles) text += "profile " + f + "\n";
  for (const auto& [k, v] : p.variables) text += "var " + k + "=" + v + "\n";
  if (p.images.enabled()) text += "images\n" + p.images.Fingerprint();
  return base::Sha256Hex(text).substr(0, 16);
}

ProjectSpec FromEntry(const config::RepositoryConfig& repo, const config::ProjectConfig& entry,
                      std::string name, std::vector<std::string> files) {
  ProjectSpec spec;
  spec.repository = repo.name;
  spec.name = std::move(name);
  spec.key = repo.name + "/" + spec.name;
  spec.files = std::move(files);
  spec.stack_name = entry.stack_name;
  if (spec.stack_name.empty()) {
    spec.stack_name =
        reconcile::StackNameFor(spec.name == repo.name ? repo.name : repo.name + "-" + spec.name);
  }
  spec.profiles = entry.profiles;
  spec.variables = entry.variables;
  spec.env_file = entry.env_file;
  spec.prune = entry.prune;
  spec.suspend = entry.suspend;
  spec.self_heal = entry.self_heal;
  spec.manual_approval = entry.manual_approval;
  spec.timeout = entry.timeout.value_or(repo.timeout);
  spec.images = entry.images;
  spec.windows = repo.windows;
  spec.windows.insert(spec.windows.end(), entry.windows.begin(), entry.windows.end());
  spec.config_digest = Digest(spec);
  return spec;
}

std::string NormalizedOrSelf(const std::string& path) {
  auto normalized = base::NormalizeRepositoryPath(path);
  return normalized.ok() ? *normalized : path;
}

// The name of the project `entry` makes of `compose_path` (its first file, or a glob match).
std::string ProjectName(const config::RepositoryConfig& repo, const config::ProjectConfig& entry,
                        const std::string& compose_path) {
  if (entry.files.empty()) return config::ProjectNameForFile(entry.name, compose_path, repo.name);
  return entry.name.empty() ? config::ProjectNameForFile("", entry.files.front(), repo.name)
                            : entry.name;
}

}  // namespace

base::Result<std::vector<ProjectSpec>> ExpandProjects(const config::RepositoryConfig& repo,
                                                      git::GitSource& git,
                                                      const std::string& commit) {
  std::vector<ProjectSpec> projects;
  std::optional<std::vector<std::string>> tree;  // listed once, only when a glob needs it
  for (const config::ProjectConfig& entry : repo.projects) {
    if (!entry.files.empty()) {
      auto first = git.ReadFile(repo.url, commit, entry.files.front());
      if (!first.ok()) return first.status();
      if (!first->has_value()) continue;  // gone at this commit: pruning decides
      std::string name = ProjectName(repo, entry, entry.files.front());
      // Stacks are tagged with the normalized path; pruning compares against the same.
      std::vector<std::string> files;
      for (const std::string& file : entry.files) {
        ECSYNC_ASSIGN_OR_RETURN(std::string normalized, base::NormalizeRepositoryPath(file));
        files.push_back(std::move(normalized));
      }
      projects.push_back(FromEntry(repo, entry, name, std::move(files)));
      continue;
    }
    if (!tree) {
      auto listed = git.ListFiles(repo.url, commit, "");
      if (!listed.ok()) return listed.status();
      tree = std::move(*listed);
    }
    for (const std::string& path : *tree) {
      if (!config::GlobMatch(entry.glob, path)) continue;
      std::string name = ProjectName(repo, entry, path);
      projects.push_back(FromEntry(repo, entry, name, {path}));
    }
  }
  std::map<std::string, const ProjectSpec*> by_name;
  std::map<std::string, const ProjectSpec*> by_stack;
  for (const ProjectSpec& p : projects) {
    auto [it, added] = by_name.emplace(p.name, &p);
    if (!added) {
      return base::InvalidError("repository " + repo.name + ": two projects are named " + p.name +
                                " (" + it->second->files.front() + " and " + p.files.front() +
                                "); give the config entries distinct names");
    }
    auto [st, fresh] = by_stack.emplace(p.stack_name, &p);
    if (!fresh) {
      return base::InvalidError("repository " + repo.name + ": projects " + st->second->name +
                                " and " + p.name + " would deploy the same stack " + p.stack_name +
                                "; set distinct stack_name values");
    }
  }
  return projects;
}

bool Affects(const ProjectSpec& project, const std::vector<std::string>& changed_paths) {
  if (project.images.enabled()) return !changed_paths.empty();
  std::set<std::string> dirs;
  for (const std::string& file : project.files) dirs.insert(base::DirName(file));
  for (const std::string& path : changed_paths) {
    if (!project.env_file.empty() && path == project.env_file) return true;
    for (const std::string& dir : dirs) {
      if (dir.empty() || path.starts_with(dir + "/")) return true;
    }
  }
  return false;
}

namespace {

// The config entry `compose_path` belongs to, or null.
const config::ProjectConfig* EntryFor(const config::RepositoryConfig& repo,
                                      const std::string& compose_path) {
  for (const config::ProjectConfig& entry : repo.projects) {
    bool matches = entry.files.empty() ? config::GlobMatch(entry.glob, compose_path)
                                       : NormalizedOrSelf(entry.files.front()) == compose_path;
    if (matches) return &entry;
  }
  return nullptr;
}

}  // namespace

bool KeepWhenGone(const config::RepositoryConfig& repo, const std::string& compose_path) {
  const config::ProjectConfig* entry = EntryFor(repo, compose_path);
  return entry != nullptr && (!entry->prune || entry->suspend);
}

std::string ProjectKeyFor(const config::RepositoryConfig& repo, const std::string& compose_path) {
  const config::ProjectConfig* entry = EntryFor(repo, compose_path);
  return entry == nullptr ? "" : repo.name + "/" + ProjectName(repo, *entry, compose_path);
}

bool ApprovalRequiredFor(const config::RepositoryConfig& repo, const std::string& compose_path) {
  const config::ProjectConfig* entry = EntryFor(repo, compose_path);
  return entry != nullptr && entry->manual_approval;
}

std::vector<schedule::Window> WindowsForPath(const config::RepositoryConfig& repo,
                                             const std::string& compose_path) {
  std::vector<schedule::Window> windows = repo.windows;
  if (const config::ProjectConfig* entry = EntryFor(repo, compose_path)) {
    windows.insert(windows.end(), entry->windows.begin(), entry->windows.end());
  }
  return windows;
}

}  // namespace ecsync::controller
