#include "cfn/task_definition.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>
#include <string_view>

#include "cfn/container_policies.h"
#include "cfn/health.h"
#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

constexpr char kResolvConfImage[] = "docker/ecs-searchdomain-sidecar:1.0";
// Fargate lets a task add this capability and no other.
constexpr char kFargateCapability[] = "SYS_PTRACE";
constexpr int kFargateMaxStopTimeout = 120;
constexpr std::array<std::string_view, 15> kUlimits = {
    "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};

// Fargate namespaces only the network and IPC sysctls.
bool FargateAllowsSysctl(const std::string& name) {
  return name.rfind("net.", 0) == 0 || name.rfind("kernel.msg", 0) == 0 ||
         name.rfind("kernel.sem", 0) == 0 || name.rfind("kernel.shm", 0) == 0 ||
         name.rfind("fs.mqueue.", 0) == 0;
}

Json ResolvConfContainer(const Context& ctx, const compose::Service& service) {
  // The region's default search domain first, then the Cloud Map namespace, so that
  // other services resolve by their bare compose name.
  Json region_domain = Obj().Add(
      "Fn::If", Arr(kUsEast1Condition, "ec2.internal", Sub("${AWS::Region}.compute.internal")));
  return Obj()
      .Add("Command", Arr(std::move(region_domain), ctx.project.name + ".local"))
      .Add("Essential", false)
      .Add("Image", kResolvConfImage)
      .Add("LogConfiguration", ctx.LogConfiguration())
      .Add("Name", ResolvConfContainerName(service.name))
      .Take();
}

base::Result<Json> LinuxParameters(const PlannedService& planned, bool fargate) {
  const compose::Service& service = *planned.service;
  Obj params;
  if (!service.cap_add.empty() || !service.cap_drop.empty()) {
    Obj capabilities;
    if (!service.cap_add.empty()) {
      for (const std::string& cap : service.cap_add) {
        if (fargate && cap != kFargateCapability &&
            cap != std::string("CAP_") + kFargateCapability) {
          return base::InvalidError(planned.where + ": cap_add " + cap +
                                    " is not allowed on Fargate, which only adds SYS_PTRACE");
        }
      }
      capabilities.Add("Add", service.cap_add);
    }
    if (!service.cap_drop.empty()) capabilities.Add("Drop", service.cap_drop);
    params.Add("Capabilities", std::move(capabilities).Take());
  }
  if (service.init) params.Add("InitProcessEnabled", *service.init);
  return std::move(params).Take();
}

base::Result<Json> LogConfiguration(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  if (!service.logging) return ctx.LogConfiguration();
  if (!service.logging->driver.empty() && service.logging->driver != "awslogs") {
    // Where logs go is the platform's business: on ECS, CloudWatch.
    ctx.warnings.push_back(planned.where + ": logging.driver " + service.logging->driver +
                           " replaced by awslogs (the project's CloudWatch log group); its "
                           "options are left out");
    return ctx.LogConfiguration();
  }
  std::map<std::string, std::string> extra;
  for (const auto& [key, value] : service.logging->options) {
    if (key.rfind("awslogs-", 0) != 0 && key != "mode" && key != "max-buffer-size") {
      return base::InvalidError(planned.where + ": logging.options." + key +
                                " is not an awslogs option (awslogs-*, mode, max-buffer-size)");
    }
    extra.emplace(key, value);
  }
  return ctx.LogConfiguration(extra);
}

base::Result<Json> MainContainer(Context& ctx, const PlannedService& planned, bool fargate) {
  const compose::Service& service = *planned.service;
  const ServiceParts& parts = ctx.parts[service.name];
  Obj main;
  if (service.command) main.Add("Command", *service.command);
  Json depends = Arr(Obj()
                         .Add("Condition", "SUCCESS")
                         .Add("ContainerName", ResolvConfContainerName(service.name))
                         .Take());
  for (Json& wait : WaitForInitContainers(parts)) depends.push_back(std::move(wait));
  main.Add("DependsOn", std::move(depends));
  if (!service.labels.empty()) main.Add("DockerLabels", service.labels);
  if (service.entrypoint) main.Add("EntryPoint", *service.entrypoint);
  Json environment = Json::array();
  for (const auto& [key, value] : service.environment) {  // std::map: sorted by name
    // A variable without a value is unset, as with docker compose.
    if (value) environment.push_back(Obj().Add("Name", key).Add("Value", *value).Take());
  }
  if (!environment.empty()) main.Add("Environment", std::move(environment));
  main.Add("Essential", true);
  Json health = ContainerHealthCheck(service, planned.where, ctx.warnings);
  if (!health.is_null()) main.Add("HealthCheck", std::move(health));
  main.Add("Image", service.image);
  ECSYNC_ASSIGN_OR_RETURN(Json linux, LinuxParameters(planned, fargate));
  main.Add("LinuxParameters", std::move(linux));
  ECSYNC_ASSIGN_OR_RETURN(Json logs, LogConfiguration(ctx, planned));
  main.Add("LogConfiguration", std::move(logs));
  if (!parts.mount_points.empty()) main.Add("MountPoints", parts.mount_points);
  main.Add("Name", service.name);
  if (!planned.ports.empty()) {
    Json mappings = Json::array();
    std::set<std::pair<uint32_t, std::string>> seen;
    for (const PlannedPort& port : planned.ports) {
      // awsvpc: the host port is the container port.
      if (!seen.emplace(port.target, port.protocol).second) continue;
      Obj mapping;
      if (!port.app_protocol.empty()) mapping.Add("AppProtocol", port.app_protocol);
      mapping.Add("ContainerPort", port.target).Add("HostPort", port.target);
      if (!port.name.empty()) mapping.Add("Name", port.name);
      mappings.push_back(std::move(mapping).Add("Protocol", port.protocol).Take());
    }
    main.Add("PortMappings", std::move(mappings));
  }
  if (service.read_only) main.Add("ReadonlyRootFilesystem", true);
  if (!planned.ext.pull_credentials.empty()) {
    main.Add("RepositoryCredentials",
             Obj().Add("CredentialsParameter", planned.ext.pull_credentials).Take());
  }
  if (planned.gpus > 0) {
    main.Add("ResourceRequirements",
             Arr(Obj().Add("Type", "GPU").Add("Value", std::to_string(planned.gpus)).Take()));
  }
  ECSYNC_ASSIGN_OR_RETURN(Json restart, ContainerRestartPolicy(planned));
  if (!restart.is_null()) main.Add("RestartPolicy", std::move(restart));
  if (service.stop_grace_period) {
    const int64_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(*service.stop_grace_period).count();
    const int64_t max = fargate ? kFargateMaxStopTimeout : 3600;
    if (seconds < 0 || seconds > max) {
      return base::InvalidError(planned.where + ": stop_grace_period must be at most " +
                                std::to_string(max) + "s on " + (fargate ? "Fargate" : "ECS"));
    }
    main.Add("StopTimeout", seconds);
  }
  if (!service.sysctls.empty()) {
    Json controls = Json::array();
    for (const auto& [name, value] : service.sysctls) {
      if (fargate && !FargateAllowsSysctl(name)) {
        return base::InvalidError(planned.where + ": sysctls." + name +
                                  " cannot be set on Fargate (only net.*, kernel.msg*, "
                                  "kernel.sem*, kernel.shm* and fs.mqueue.*)");
      }
      controls.push_back(Obj().Add("Namespace", name).Add("Value", value).Take());
    }
    main.Add("SystemControls", std::move(controls));
  }
  if (!service.ulimits.empty()) {
    Json limits = Json::array();
    for (const auto& [name, limit] : service.ulimits) {
      if (std::find(kUlimits.begin(), kUlimits.end(), name) == kUlimits.end()) {
        return base::InvalidError(planned.where + ": ulimits." + name +
                                  " is not a limit ECS knows");
      }
      limits.push_back(
          Obj().Add("HardLimit", limit.hard).Add("Name", name).Add("SoftLimit", limit.soft).Take());
    }
    main.Add("Ulimits", std::move(limits));
  }
  if (!service.user.empty()) main.Add("User", service.user);
  if (!planned.ext.version_consistency.empty()) {
    main.Add("VersionConsistency", planned.ext.version_consistency);
  }
  if (!service.working_dir.empty()) main.Add("WorkingDirectory", service.working_dir);
  return std::move(main).Take();
}

}  // namespace

base::Status AddTaskDefinition(Context& ctx, const PlannedService& planned,
                               const std::string& task_role_id) {
  const compose::Service& service = *planned.service;
  if (service.privileged) {
    return base::InvalidError(planned.where +
                              ": privileged containers cannot run on ECS "
                              "with awsvpc tasks; remove `privileged`");
  }
  const bool fargate = planned.gpus == 0;
  Json containers = Arr(ResolvConfContainer(ctx, service));
  for (const Json& init : ctx.parts[service.name].init_containers) containers.push_back(init);
  ECSYNC_ASSIGN_OR_RETURN(Json main, MainContainer(ctx, planned, fargate));
  containers.push_back(std::move(main));

  const ServiceParts& parts = ctx.parts[service.name];
  Obj properties;
  properties.Add("ContainerDefinitions", std::move(containers))
      .Add("Cpu", std::to_string(planned.size.cpu_units));
  if (planned.ext.ephemeral_storage_gib) {
    properties.Add("EphemeralStorage",
                   Obj().Add("SizeInGiB", *planned.ext.ephemeral_storage_gib).Take());
  }
  // Docker refers to the role by name (Ref); the property wants an ARN.
  properties.Add("ExecutionRoleArn", GetAtt(TaskExecutionRoleId(service.name), "Arn"))
      .Add("Family", ctx.project.name + "-" + service.name)
      .Add("Memory", std::to_string(planned.size.memory_mib))
      .Add("NetworkMode", "awsvpc")
      .Add("RequiresCompatibilities", Arr(fargate ? "FARGATE" : "EC2"));
  if (planned.cpu_architecture != "X86_64") {
    properties.Add("RuntimePlatform", Obj()
                                          .Add("CpuArchitecture", planned.cpu_architecture)
                                          .Add("OperatingSystemFamily", "LINUX")
                                          .Take());
  }
  properties.Add("Tags", ctx.ServiceTags(service));
  if (!task_role_id.empty()) properties.Add("TaskRoleArn", GetAtt(task_role_id, "Arn"));
  if (!parts.volumes.empty()) properties.Add("Volumes", parts.volumes);
  return ctx.tmpl.Add(TaskDefinitionId(service.name), "AWS::ECS::TaskDefinition",
                      std::move(properties).Take(), planned.where);
}

}  // namespace ecsync::cfn
