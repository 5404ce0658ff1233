#pragma once

// Reads one compose file into a tree ready to merge: interpolated, checked against the schema,
// paths resolved, services canonicalized, `include`d files merged in and `extends` applied.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/loader.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

struct TreeContext {
  FileReader* reader = nullptr;
  std::string root_dir;  // the project's working directory
  std::string home;      // what "~" expands to; empty: no expansion
  bool confine = true;   // see LoadOptions::confine_paths
};

// Reads `path`, or uses `parsed` (the already parsed content of `path`) when given. Relative
// paths in the file are resolved against `base_dir`. `include_stack` holds the files being
// included around this one, for cycle detection ("include cycle detected: a -> b -> a").
// Errors are kInvalid with file:line:column and key; kNotFound for a missing file.
base::Result<YamlNode> LoadComposeTree(const TreeContext& context, const std::string& path,
                                       const std::string& base_dir,
                                       const std::map<std::string, std::string>& environment,
                                       std::vector<std::string>* include_stack,
                                       std::optional<YamlNode> parsed = std::nullopt);

// Reads and parses `path` (kNotFound when missing); the top level must be a mapping.
base::Result<YamlNode> ParseComposeFile(FileReader& reader, const std::string& path);

}  // namespace ecsync::compose
