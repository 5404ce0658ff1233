#pragma once

// Turns one parsed, interpolated compose file into typed services (the loader then merges
// the files). Checks the value types of the keys it reads; ignores keys it does not know.

#include <map>
#include <optional>
#include <string>

#include "base/result.h"
#include "compose/model.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

// Where one depends_on entry was written, for the unknown-service error raised after merging.
struct DependencySource {
  SourceLocation location;
  std::string path;  // e.g. "services.web.depends_on[1]"
};

// What one file says about a service. Fields the file leaves out stay unset/empty so a merge
// can tell "not given" from "given as empty".
struct ServiceDraft {
  Service service;                         // name, location, and what the file sets
  bool has_image = false;                  // `image` was given (service.image holds it)
  std::map<std::string, DependencySource> depends_on;  // service name -> first mention
};

struct FileDraft {
  std::optional<std::string> name;  // top-level `name:`
  SourceLocation name_location;
  std::map<std::string, ServiceDraft> services;
};

// Replaces every scalar value (not keys) in `node` with its interpolation using `environment`.
// `path` is the key path of `node` for errors ("" at the root).
base::Status InterpolateTree(const std::map<std::string, std::string>& environment,
                             const std::string& path, YamlNode* node);

// REQUIRES: `root` is a mapping. Errors: `services` missing or not a mapping, a service that
// is not a mapping, a known key with the wrong type or an unparsable value. Errors are
// kInvalid with "file:line:column: key.path: ..." messages.
base::Result<FileDraft> NormalizeFile(const YamlNode& root);

}  // namespace ecsync::compose
