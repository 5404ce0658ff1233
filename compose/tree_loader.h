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
  std::string root_dir;  // every file a compose file names stays within it (LoadOptions::root_dir)
  std::string home;      // what "~" expands to; empty: no expansion
  bool confine = true;   // see LoadOptions::confine_paths
};

// Reads `path`, or uses `parsed` (the already parsed documents of `path`) when given. Relative
// paths in the file are resolved against `base_dir`. Several documents in one file are loaded
// one by one and merged in order, as `-f` files are. `include_stack` holds the files being
// included around this one, for cycle detection ("include cycle detected: a -> b -> a").
// Errors are kInvalid with file:line:column and key; kNotFound for a missing file.
base::Result<YamlNode> LoadComposeTree(const TreeContext& context, const std::string& path,
                                       const std::string& base_dir,
                                       const std::map<std::string, std::string>& environment,
                                       std::vector<std::string>* include_stack,
                                       std::optional<std::vector<YamlNode>> parsed = std::nullopt);

// Reads and parses `path` (kNotFound when missing): its documents in order, empty ones left
// out; at least one, each a mapping.
base::Result<std::vector<YamlNode>> ParseComposeFile(FileReader& reader, const std::string& path);

}  // namespace ecsync::compose
