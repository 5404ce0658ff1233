#include "cli/config_command.h"

#include <ostream>

#include "cfn/convert.h"
#include "compose/loader.h"
#include "compose/project_json.h"

namespace ecsync::cli {

ExitCode RunConfig(const ConfigCommand& command, const CommandContext& context) {
  if (command.format != "json" && command.format != "yaml") {
    context.err << "error: --format must be json or yaml, not '" << command.format << "'\n";
    return kExitBadConfig;
  }
  compose::LoadOptions load;
  load.files = command.files;
  load.env_files = command.env_files;
  load.profiles = command.profiles;
  load.project_name = command.project_name;
  load.environment = context.interpolation;
  load.ecs_check = command.ecs_check;
  compose::DiskFileReader reader;
  base::Result<compose::Project> project = compose::Load(load, reader);
  if (!project.ok()) {
    context.err << "error: " << project.status().message() << "\n";
    return ExitCodeFor(project.status());
  }
  for (const compose::Diagnostic& warning : project->warnings) {
    context.err << "warning: " << warning.ToString() << "\n";
  }
  const nlohmann::ordered_json json = compose::ProjectToJson(*project);
  if (command.format == "json") {
    context.out << json.dump(2) << "\n";
  } else {
    context.out << cfn::ToYaml(json);
  }
  return kExitOk;
}

}  // namespace ecsync::cli
