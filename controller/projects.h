#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "git/source.h"

namespace ecsync::controller {

// One concrete project of a repository at one commit: a config entry with `files`, or one
// match of an entry's `glob`.
struct ProjectSpec {
  std::string key;                 // "<repository>/<project>": the work queue key, unique
  std::string repository;          // RepositoryConfig::name
  std::string name;                // project name ([a-z0-9_-])
  std::vector<std::string> files;  // repository-relative compose files, merged in order
  std::string stack_name;
  std::vector<std::string> profiles;
  std::map<std::string, std::string> variables;
  std::string env_file;
  bool prune = true;
  bool suspend = false;
  bool self_heal = false;
  bool manual_approval = false;  // see config::ProjectConfig::manual_approval
  std::chrono::milliseconds timeout{0};
  reconcile::ImageSettings images;
  // The repository's deploy windows followed by the entry's (see docs/deploy-windows.md).
  std::vector<schedule::Window> windows;
  // A digest of every setting above, so a configuration change is noticed and a failed
  // revision is tried again when its configuration changes.
  std::string config_digest;
};

// The projects `repo` defines at `commit`. Entries with `files` are listed when their first
// file exists at the commit; each file a `glob` entry matches becomes one project. Names
// that collide are kInvalid (two globs matching folders of the same name, say).
// Stack names default to "<repository>-<project>", or "<repository>" when the two are equal.
base::Result<std::vector<ProjectSpec>> ExpandProjects(const config::RepositoryConfig& repo,
                                                      git::GitSource& git,
                                                      const std::string& commit);

// True when a change to any of `changed_paths` may change what `project` deploys: a path in
// the folder of one of its compose files (or below it), or its env file; any path for a
// project with an image builder (its build contexts may lie anywhere in the repository). A file
// outside those folders that a compose file names (`extends: ../common.yaml`) is not noticed; the
// next full pass (on restart or a configuration change) picks it up.
bool Affects(const ProjectSpec& project, const std::vector<std::string>& changed_paths);

// The deploy windows that apply to the stack deployed from `compose_path`: the repository's,
// followed by those of the config entry the path belongs to (an explicit file or a glob match).
std::vector<schedule::Window> WindowsForPath(const config::RepositoryConfig& repo,
                                             const std::string& compose_path);

// True when the config entry that `compose_path` belongs to (an explicit file or a glob
// match) in `repo` has prune: false or suspend: true, i.e. the stack deployed from that path
// must not be pruned.
bool KeepWhenGone(const config::RepositoryConfig& repo, const std::string& compose_path);

// The key ("<repository>/<project>") of the project deployed from `compose_path` under the
// config entry that path belongs to, as ExpandProjects names it; "" when no entry takes it.
std::string ProjectKeyFor(const config::RepositoryConfig& repo, const std::string& compose_path);

// True when that config entry has approval: manual: deleting its stack needs an operator, so
// a prune keeps it (docs/manual-approval.md).
bool ApprovalRequiredFor(const config::RepositoryConfig& repo, const std::string& compose_path);

}  // namespace ecsync::controller
