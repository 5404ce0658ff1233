#pragma once

// Merging compose trees (compose-spec 13-merge.md), before normalization, so the rules apply
// the same way to several -f files, to `extends` and to `include`.

#include <string>

#include "compose/yaml_tree.h"

namespace ecsync::compose {

// Rewrites the list forms of a service's keyed collections into their mapping forms, so that
// files using different forms merge by key: environment, labels, annotations, sysctls,
// build.args, build.labels, deploy.labels ("KEY=VALUE" / "KEY" items), depends_on (names become
// {condition: service_started}) and networks (names become null attachments).
// REQUIRES: `service` passed schema validation. Items keep their source locations.
void CanonicalizeService(YamlNode* service);

// Merges `over` into `base` where both are what one file says at `rule_path`, a key path whose
// service name is written "*" ("services.*", "services.*.ports", ...):
// - mappings merge key by key, recursively; a value tagged !override replaces the earlier one
//   and a value tagged !reset removes it;
// - command, entrypoint and healthcheck.test are replaced;
// - volumes, secrets and configs merge items with the same target, ports items with the same
//   host ip, published port, target and protocol; other items are appended;
// - other lists are appended; scalars are replaced.
// REQUIRES: both trees canonicalized (CanonicalizeService on every service).
void MergeTrees(YamlNode* base, YamlNode&& over, const std::string& rule_path);

// Removes entries still tagged !reset and clears !override tags (a single file, or the result
// of merging). Call once on the final tree.
void ApplyResetTags(YamlNode* node);

}  // namespace ecsync::compose
