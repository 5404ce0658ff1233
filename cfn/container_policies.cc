#include "cfn/container_policies.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

// ECS restarts on any exit code not listed; on-failure does not restart after exit 0.
Json RestartOnAnyExit() { return Obj().Add("Enabled", true).Take(); }
Json RestartOnFailure() {
  return Obj().Add("Enabled", true).Add("IgnoredExitCodes", Arr(0)).Take();
}

std::string PreStartContainerName(const std::string& service, size_t n) {
  return LogicalIdPart(service) + "_PreStart" + std::to_string(n) + "_InitContainer";
}

Json Environment(const std::map<std::string, std::optional<std::string>>& variables) {
  Json out = Json::array();
  for (const auto& [key, value] : variables) {
    if (value) out.push_back(Obj().Add("Name", key).Add("Value", *value).Take());
  }
  return out;
}

Json PreStartContainer(const Context& ctx, const PlannedService& planned,
                       const compose::PreStartHook& hook, const std::string& name) {
  const compose::Service& service = *planned.service;
  const ServiceParts& parts = ctx.parts.at(service.name);
  Obj container;
  if (hook.command) container.Add("Command", *hook.command);
  if (Json depends = WaitForInitContainers(parts); !depends.empty()) {
    container.Add("DependsOn", std::move(depends));
  }
  std::map<std::string, std::optional<std::string>> variables = service.environment;
  for (const auto& [key, value] : hook.environment) variables[key] = value;
  if (Json environment = Environment(variables); !environment.empty()) {
    container.Add("Environment", std::move(environment));
  }
  const bool own_image = hook.image.empty() || hook.image == service.image;
  container.Add("Essential", false)
      .Add("Image", hook.image.empty() ? service.image : hook.image)
      .Add("LogConfiguration", ctx.LogConfiguration());
  if (!parts.mount_points.empty()) container.Add("MountPoints", parts.mount_points);
  container.Add("Name", name);
  if (own_image && !planned.ext.pull_credentials.empty()) {
    container.Add("RepositoryCredentials",
                  Obj().Add("CredentialsParameter", planned.ext.pull_credentials).Take());
  }
  const std::string& user = hook.user.empty() ? service.user : hook.user;
  if (!user.empty()) container.Add("User", user);
  const std::string& dir = hook.working_dir.empty() ? service.working_dir : hook.working_dir;
  if (!dir.empty()) container.Add("WorkingDirectory", dir);
  return std::move(container).Take();
}

}  // namespace

Json WaitForInitContainers(const ServiceParts& parts) {
  Json depends = Json::array();
  for (const Json& init : parts.init_containers) {
    const std::string name = init.at("Name").get<std::string>();
    auto condition = parts.init_conditions.find(name);
    depends.push_back(Obj()
                          .Add("Condition", condition == parts.init_conditions.end()
                                                ? "SUCCESS"
                                                : condition->second)
                          .Add("ContainerName", name)
                          .Take());
  }
  return depends;
}

base::Result<Json> ContainerRestartPolicy(const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  if (service.deploy && service.deploy->restart_policy &&
      !service.deploy->restart_policy->condition.empty()) {
    const std::string& condition = service.deploy->restart_policy->condition;
    if (condition == "none") return Json();
    if (condition == "any") return RestartOnAnyExit();
    if (condition == "on-failure") return RestartOnFailure();
    return base::InvalidError(planned.where + ": deploy.restart_policy.condition \"" + condition +
                              "\" is not one compose defines; use none, on-failure or any");
  }
  const std::string& restart = service.restart;
  if (restart.empty() || restart == "no") return Json();
  if (restart == "always" || restart == "unless-stopped") return RestartOnAnyExit();
  // on-failure:N: ECS has no retry limit (the loader warns); the policy is on-failure's.
  if (restart == "on-failure" || restart.rfind("on-failure:", 0) == 0) return RestartOnFailure();
  return base::InvalidError(planned.where + ": restart \"" + restart +
                            "\" is not one compose defines; use no, always, on-failure or "
                            "unless-stopped");
}

base::Status AddPreStartContainers(Context& ctx) {
  for (const PlannedService& planned : ctx.plan.services) {
    const compose::Service& service = *planned.service;
    for (size_t n = 0; n < service.pre_start.size(); ++n) {
      const compose::PreStartHook& hook = service.pre_start[n];
      const std::string where = planned.where + ": pre_start[" + std::to_string(n) + "] (" +
                                hook.location.ToString() + ")";
      if (hook.privileged) {
        return base::InvalidError(where +
                                  ": Fargate does not run privileged containers; remove "
                                  "privileged");
      }
      if (!hook.command && hook.image.empty()) {
        return base::InvalidError(where +
                                  ": needs a command (or an image whose entrypoint does the "
                                  "work); without either it would only run the service itself");
      }
      const std::string name = PreStartContainerName(service.name, n);
      Json container = PreStartContainer(ctx, planned, hook, name);
      ServiceParts& parts = ctx.parts[service.name];
      parts.init_containers.push_back(std::move(container));
      parts.init_conditions.erase(name);  // SUCCESS: a failed step keeps the service down
    }
  }
  return base::Status::Ok();
}

}  // namespace ecsync::cfn
