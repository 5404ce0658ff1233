#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ecsync::cli {

struct ImagesCommand {
  std::vector<std::string> files;  // -f, in order; default compose.yaml
  std::string project_name;        // -p
  std::string output = "text";     // text | json
  // --check: ask the registry whether each image is there (exit 1 when one is missing).
  bool check = false;
  ImageFlags images;  // registry required; the builder is external
  AwsFlags aws;       // for an ECR registry with --check
};

// `ecsync images`: the image CI must build and push for each service with `build:`, named
// from the HEAD commit of the git work tree the compose files are in. Text: one line per
// service, "<service> <reference> <context> <dockerfile>" (paths relative to the repository
// root, the Dockerfile relative to the context; "inline" for dockerfile_inline), then with
// --check the word "present" or "missing"; JSON: a list with every build input (target,
// args, platform) CI must build with so the image matches its tag.
ExitCode RunImages(const ImagesCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
