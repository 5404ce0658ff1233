#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::compose {

// Where the loader reads files from: the disk, or a git commit's tree. Paths are as the
// loader builds them (relative to the working directory for git, or absolute on disk).
class FileReader {
 public:
  virtual ~FileReader() = default;
  // The file's bytes. kNotFound when it does not exist.
  virtual base::Result<std::string> Read(const std::string& path) = 0;
  // The folder that confines the files a project in `working_dir` may name when
  // LoadOptions::root_dir is empty, in the same form as the reader's paths; "" when the reader
  // knows none (the loader then confines to working_dir).
  virtual std::string RootFor(const std::string& working_dir) {
    (void)working_dir;
    return "";
  }
};

// Reads from the local filesystem.
class DiskFileReader final : public FileReader {
 public:
  base::Result<std::string> Read(const std::string& path) override;
  // The nearest folder at or above `working_dir` that holds a `.git` entry (a repository's
  // work tree, a worktree or a submodule), absolute when `working_dir` is, else relative to
  // the process's directory ("../.."); "" when there is none. Reads only file metadata.
  std::string RootFor(const std::string& working_dir) override;
};

struct LoadOptions {
  // Compose files, merged in order. Empty: discovered in working_dir (compose.yaml,
  // compose.yml, docker-compose.yaml, docker-compose.yml, the first that exists, plus its
  // .override file).
  std::vector<std::string> files;
  std::string working_dir;   // project directory; default: the first file's directory
  std::string project_name;  // overrides `name:` and the folder name when non-empty
  // Used instead of the folder name when neither project_name nor `name:` is set (a compose
  // file at the root of a git repository is named after the repository, not the cache folder).
  std::string default_project_name;
  // Variables for interpolation, highest precedence (the CLI passes the process environment).
  std::map<std::string, std::string> environment;

  // --env-file: dotenv files read in order (later files win) for interpolation variables,
  // below `environment`. When empty, <working_dir>/.env is read if it exists and read_dotenv.
  std::vector<std::string> env_files;
  bool read_dotenv = true;
  // --profile: active profiles; when empty, COMPOSE_PROFILES (comma-separated) from the
  // variables. "*" activates every profile.
  std::vector<std::string> profiles;
  // Refuse files named by a compose file (env_file, label_file, extends.file, include, secret
  // and config files) that are absolute (or "~/...") or resolve outside the root directory:
  // the error names the compose file, line and key.
  bool confine_paths = true;
  // The root directory of confine_paths: a folder, in the reader's path form, that every file
  // a compose file names must stay within, so that `apps/web/compose.yaml` may use
  // `../../common/app.env` inside its repository. "." (or any relative root) for a reader
  // whose paths are relative to the repository root, as a git commit's tree is. Empty: what
  // the reader's RootFor(working_dir) says (DiskFileReader: the enclosing git work tree), or
  // working_dir itself when it says nothing.
  std::string root_dir;
  // Directory "~" expands to in paths; default: HOME from the variables.
  std::string home_dir;
  // Also run the ECS compatibility check (compose/ecs_check.h): its errors fail the load, its
  // warnings go to Project::warnings.
  bool ecs_check = false;
  // A builder will produce the images of services with `build:` (see EcsCheckOptions).
  bool images_built = false;
};

// Loads, merges and normalizes the compose files. Errors are kInvalid and name the file,
// line, column and key ("compose.yaml:4:7: services.web.ports[0]: ..."); kNotFound when a
// compose file (or a required env_file) is missing.
base::Result<Project> Load(const LoadOptions& options, FileReader& reader);

// The compose files Load would read from `dir` when none are given: the first of
// compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml that exists, then the
// matching override file (compose.override.yaml, ...) when it exists. kNotFound when none.
base::Result<std::vector<std::string>> DiscoverComposeFiles(const std::string& dir,
                                                            FileReader& reader);

}  // namespace ecsync::compose
