#pragma once

// Compose variable substitution (compose-spec 12-interpolation.md): in one string, and in
// every value of a tree.

#include <map>
#include <string>

#include "base/result.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

// Replaces $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
// ${VAR:+alt} and ${VAR+alt} with values from `environment`, and $$ with a literal $.
// Names are [A-Za-z_][A-Za-z0-9_]*; a $ not followed by a name, "{" or "$" stays as it is.
// Defaults, alternatives and error texts may hold nested substitutions; they are expanded
// only when used. An unset variable without a default becomes "". ":" forms treat an
// empty value like an unset one.
// Errors (kInvalid, message without a location; the caller adds it): a required variable
// that is missing, an unterminated "${", or a braced expression outside the forms above.
base::Result<std::string> Interpolate(const std::string& text,
                                      const std::map<std::string, std::string>& environment);

// Replaces every scalar value (not keys) in `node` with its interpolation using `environment`
// and marks the scalars it changed. `path` is the key path of `node` for errors ("" at the
// root). Values under keys starting with "x-" are interpolated too.
base::Status InterpolateTree(const std::map<std::string, std::string>& environment,
                             const std::string& path, YamlNode* node);

}  // namespace ecsync::compose
