#pragma once

// The x-aws-cloudformation overlay, merged into the finished template (so JSON and YAML
// output alike carry it). Rules, applied from the top:
// - a mapping merges into a mapping key by key, recursively;
// - a null value deletes the key;
// - a key written `Name+` appends the overlay's sequence to the template's sequence
//   `Name` (creating it when absent);
// - anything else (scalars, sequences, a type change) replaces the template's value.
// kInvalid naming the path when a `Name+` value or its target is not a sequence.

#include "base/result.h"
#include "cfn/json.h"

namespace ecsync::cfn {

base::Status MergeOverlay(Json& tmpl, const Json& overlay);

}  // namespace ecsync::cfn
