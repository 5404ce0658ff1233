#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ecsync::cli {

struct ConfigCommand {
  std::vector<std::string> files;      // -f, in order; default: discovered in the current folder
  std::vector<std::string> env_files;  // --env-file, in order
  std::vector<std::string> profiles;   // --profile
  std::string project_name;            // -p
  std::string format = "yaml";         // yaml | json
  bool ecs_check = true;               // false with --no-ecs-check
};

// `ecsync config`: loads the compose files as `convert` does and prints the normalized project
// (every short syntax expanded, variables interpolated, paths resolved) on out, like
// `docker compose config`. ECS warnings go to err, one per line ("warning: file:line:col: key:
// ..."); ECS errors and load errors fail with kExitBadConfig and print nothing on out.
ExitCode RunConfig(const ConfigCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
