#include "cli/images_command.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "artifacts/registry.h"
#include "aws/http.h"
#include "base/strings.h"
#include "cli/aws_setup.h"
#include "reconcile/desired.h"

namespace ecsync::cli {

base::Result<reconcile::ImageSettings> ImageSettingsFrom(const ImageFlags& flags,
                                                         const base::EnvLookup& env) {
  reconcile::ImageSettings settings;
  if (flags.builder.empty()) {
    if (!flags.registry.empty() || !flags.repositories.empty()) {
      return base::InvalidError("--registry and --repository need --builder external");
    }
    return settings;
  }
  if (base::Status status = reconcile::CheckBuilder(flags.builder); !status.ok()) {
    return base::InvalidError("--builder " + status.message());
  }
  settings.builder = flags.builder;
  if (flags.registry.empty()) {
    return base::InvalidError("--builder " + flags.builder +
                              " needs --registry, the registry host CI pushes to (such as "
                              "123456789012.dkr.ecr.us-east-1.amazonaws.com)");
  }
  if (!artifacts::IsValidRegistryHost(flags.registry)) {
    return base::InvalidError("--registry \"" + flags.registry +
                              "\" is not a registry host; write host[:port] without a scheme");
  }
  if (flags.builder == "codebuild" && !artifacts::ParseEcrRegistry(flags.registry)) {
    return base::InvalidError("--registry \"" + flags.registry +
                              "\": the codebuild builder pushes to Amazon ECR; name the ECR "
                              "host of the region ecsync deploys to");
  }
  settings.registry = flags.registry;
  for (const std::string& entry : flags.repositories) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || !artifacts::IsValidRepository(entry.substr(eq + 1))) {
      return base::InvalidError("--repository \"" + entry +
                                "\" must be SERVICE=REPOSITORY with a valid repository name "
                                "(lower-case, '/'-separated)");
    }
    settings.repositories[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  settings.wait = flags.wait;
  settings.poll_interval = flags.poll_interval;
  settings.access.scheme = flags.insecure ? "http" : "https";
  settings.access.username = env("ECSYNC_REGISTRY_USERNAME").value_or("");
  settings.access.password = env("ECSYNC_REGISTRY_PASSWORD").value_or("");
  if (settings.access.username.empty() != settings.access.password.empty()) {
    return base::InvalidError(
        "set both ECSYNC_REGISTRY_USERNAME and ECSYNC_REGISTRY_PASSWORD, or neither");
  }
  return settings;
}

namespace {

// The registry `settings` name: through AWS when it is ECR, else over HTTP.
base::Result<std::shared_ptr<artifacts::ImageRegistry>> OpenFor(
    const ImagesCommand& command, const reconcile::ImageSettings& settings,
    const CommandContext& context) {
  if (artifacts::ParseEcrRegistry(settings.registry)) {
    ECSYNC_ASSIGN_OR_RETURN(reconcile::Targets targets, ConnectAws(command.aws, context.env));
    return targets.open_registry(settings.registry, settings.access);
  }
  return artifacts::OpenRegistry(settings.registry, settings.access, nullptr,
                                 std::make_shared<aws::CurlHttpClient>());
}

}  // namespace

ExitCode RunImages(const ImagesCommand& command, const CommandContext& context) {
  if (command.output != "text" && command.output != "json") {
    return Fail(context,
                base::InvalidError("--output must be text or json, not '" + command.output + "'"));
  }
  ImageFlags flags = command.images;
  if (flags.builder.empty()) flags.builder = "external";
  auto settings = ImageSettingsFrom(flags, context.env);
  if (!settings.ok()) return Fail(context, settings.status());
  reconcile::LocalRender request;
  request.files = command.files;
  request.project_name = command.project_name;
  request.environment = context.interpolation;
  request.images = *settings;
  auto targets = reconcile::PlanLocalImages(
      request, [&](const std::string& warning) { context.err << "warning: " << warning << "\n"; });
  if (!targets.ok()) return Fail(context, targets.status());

  std::vector<std::string> digests(targets->size());  // with --check; "" when missing
  bool missing = false;
  if (command.check && !targets->empty()) {
    auto registry = OpenFor(command, *settings, context);
    if (!registry.ok()) return Fail(context, registry.status());
    auto found = artifacts::CheckImages(*targets, **registry);
    if (!found.ok()) return Fail(context, found.status());
    for (size_t i = 0; i < found->size(); ++i) {
      digests[i] = (*found)[i].digest;
      missing |= digests[i].empty();
    }
  }
  if (command.output == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (size_t i = 0; i < targets->size(); ++i) {
      const artifacts::ImageTarget& t = (*targets)[i];
      nlohmann::ordered_json args = nlohmann::ordered_json::object();
      for (const auto& [name, value] : t.inputs.args) {
        args[name] = value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
      }
      nlohmann::ordered_json image = {
          {"service", t.service},
          {"reference", t.reference.ToString()},
          {"context", t.inputs.context.empty() ? "." : t.inputs.context},
          {"dockerfile", t.inputs.dockerfile},
          {"target", t.inputs.target},
          {"args", args},
          {"platform", t.inputs.platform}};
      if (command.check) {
        image["present"] = !digests[i].empty();
        if (!digests[i].empty()) image["digest"] = digests[i];
      }
      out.push_back(std::move(image));
    }
    context.out << out.dump(2) << "\n";
  } else {
    for (size_t i = 0; i < targets->size(); ++i) {
      const artifacts::ImageTarget& t = (*targets)[i];
      context.out << t.service << " " << t.reference.ToString() << " "
                  << (t.inputs.context.empty() ? "." : t.inputs.context) << " "
                  << t.inputs.dockerfile;
      if (command.check) context.out << (digests[i].empty() ? " missing" : " present");
      context.out << "\n";
    }
  }
  return missing ? kExitFailed : kExitOk;
}

}  // namespace ecsync::cli
