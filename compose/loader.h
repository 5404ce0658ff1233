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
};

// Reads from the local filesystem.
class DiskFileReader final : public FileReader {
 public:
  base::Result<std::string> Read(const std::string& path) override;
};

struct LoadOptions {
  std::vector<std::string> files;   // compose files, merged in order; at least one
  std::string working_dir;          // project directory; default: the first file's directory
  std::string project_name;         // overrides `name:` and the folder name when non-empty
  // Used instead of the folder name when neither project_name nor `name:` is set (a compose
  // file at the root of a git repository is named after the repository, not the cache folder).
  std::string default_project_name;
  std::map<std::string, std::string> environment;  // variables for interpolation
};

// Loads, merges and normalizes the compose files. Errors are kInvalid and name the file,
// line, column and key ("compose.yaml:4:7: services.web.ports[0]: ..."); kNotFound when a
// file is missing.
base::Result<Project> Load(const LoadOptions& options, FileReader& reader);

}  // namespace ecsync::compose
