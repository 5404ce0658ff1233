// Convert: plans the project, runs the resource builders in dependency order, and merges
// the x-aws-cloudformation overlay. Each builder lives in its own file.

#include "cfn/convert.h"

#include <set>
#include <utility>

#include "cfn/autoscaling.h"
#include "cfn/capacity.h"
#include "cfn/container_policies.h"
#include "cfn/context.h"
#include "cfn/load_balancing.h"
#include "cfn/networks.h"
#include "cfn/overlay.h"
#include "cfn/plan.h"
#include "cfn/project_resources.h"
#include "cfn/secrets.h"
#include "cfn/service.h"
#include "cfn/service_connect.h"
#include "cfn/task_files.h"
#include "cfn/volumes.h"

namespace ecsync::cfn {

base::Result<Conversion> ConvertProject(const compose::Project& project,
                                        const ConvertOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(ProjectPlan plan, PlanProject(project, options));
  Context ctx(project, options, plan);
  for (auto& [name, definition] : plan.parameters) {
    ctx.tmpl.AddParameter(name, std::move(definition));
  }
  for (const PlannedService& service : plan.services) ctx.parts[service.service->name];
  std::set<std::string> delivered_configs;
  for (const auto& [service, files] : options.files) {
    delivered_configs.insert(files.configs.begin(), files.configs.end());
  }
  for (const auto& [name, config] : project.configs) {
    (void)config;
    if (delivered_configs.count(name) != 0) continue;
    ctx.warnings.push_back("config \"" + name +
                           "\" left out: ECS has no configs; bake the file into the image or "
                           "use a secret");
  }

  ECSYNC_RETURN_IF_ERROR(AddNetworks(ctx));
  ECSYNC_RETURN_IF_ERROR(AddLoadBalancing(ctx));
  ECSYNC_RETURN_IF_ERROR(AddSecrets(ctx));
  ECSYNC_RETURN_IF_ERROR(AddVolumes(ctx));
  ECSYNC_RETURN_IF_ERROR(AddTaskFiles(ctx));
  ECSYNC_RETURN_IF_ERROR(AddCapacity(ctx));
  ECSYNC_RETURN_IF_ERROR(AddPreStartContainers(ctx));
  ECSYNC_RETURN_IF_ERROR(AddServiceConnect(ctx));
  ECSYNC_RETURN_IF_ERROR(AddProjectResources(ctx));
  ECSYNC_RETURN_IF_ERROR(AddServices(ctx));
  ECSYNC_RETURN_IF_ERROR(AddAutoscaling(ctx));

  Conversion out;
  out.tmpl = ctx.tmpl.Finish();
  ECSYNC_RETURN_IF_ERROR(MergeOverlay(out.tmpl, plan.ext.cloudformation));
  out.secret_parameters = std::move(ctx.secret_parameters);
  out.warnings = std::move(ctx.warnings);
  return out;
}

base::Result<nlohmann::ordered_json> Convert(const compose::Project& project,
                                             const ConvertOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(Conversion conversion, ConvertProject(project, options));
  return std::move(conversion.tmpl);
}

base::Result<std::string> RequestedVpc(const compose::Project& project) {
  ECSYNC_ASSIGN_OR_RETURN(ProjectExtensions ext, ParseProjectExtensions(project));
  return ext.vpc;
}

}  // namespace ecsync::cfn
