#include "controller/commands.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "base/clock.h"
#include "cfn/convert.h"
#include "compose/loader.h"
#include "controller/aws_setup.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"

namespace ecsync::controller {

ExitCode ExitCodeFor(const base::Status& status) {
  if (status.ok()) return kExitOk;
  switch (status.kind()) {
    case base::ErrorKind::kInvalid:
    case base::ErrorKind::kConflict:
    case base::ErrorKind::kNotFound:
      return kExitBadConfig;
    default:
      return kExitFailed;
  }
}

namespace {

ExitCode Fail(const CommandContext& context, const base::Status& status) {
  context.err << "error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

// Every variable of the environment, for interpolation. Compose's CLI semantics: the
// process environment is a source of ${VAR} values.
std::map<std::string, std::string> InterpolationEnv(const CommandContext& context) {
  return context.interpolation;
}

}  // namespace

ExitCode RunConvert(const ConvertCommand& command, const CommandContext& context) {
  if (command.format != "json" && command.format != "yaml") {
    return Fail(context, base::InvalidError("--format must be json or yaml, not '" +
                                            command.format + "'"));
  }
  compose::LoadOptions load;
  load.files = command.files.empty() ? std::vector<std::string>{"compose.yaml"} : command.files;
  load.project_name = command.project_name;
  load.environment = InterpolationEnv(context);
  compose::DiskFileReader reader;
  auto project = compose::Load(load, reader);
  if (!project.ok()) return Fail(context, project.status());

  cfn::ConvertOptions network;
  network.vpc_id = command.vpc_id;
  network.subnet_ids = command.subnet_ids;
  if (network.vpc_id.empty() || network.subnet_ids.empty()) {
    if (AwsConfigured(command.aws, context.env)) {
      auto services = ConnectAws(command.aws, context.env);
      if (!services.ok()) return Fail(context, services.status());
      if (network.vpc_id.empty()) {
        auto vpc = services->ec2->DefaultVpcId();
        if (!vpc.ok()) {
          return Fail(context, vpc.status().WithContext(
                                   "looking up the default VPC (or pass --vpc-id and --subnet-ids)"));
        }
        network.vpc_id = *vpc;
      }
      auto subnets = services->ec2->SubnetIds(network.vpc_id);
      if (!subnets.ok()) return Fail(context, subnets.status().WithContext("looking up subnets"));
      network.subnet_ids = *subnets;
    } else if (!network.vpc_id.empty() || !network.subnet_ids.empty()) {
      return Fail(context, base::InvalidError(
                               "pass both --vpc-id and --subnet-ids, or neither (the template then "
                               "takes VpcId and SubnetIds parameters)"));
    }
  }
  auto tmpl = cfn::Convert(*project, network);
  if (!tmpl.ok()) return Fail(context, tmpl.status());
  context.out << (command.format == "yaml" ? cfn::ToYaml(*tmpl) : cfn::ToJson(*tmpl));
  return kExitOk;
}

ExitCode RunReconcileOnce(const ReconcileCommand& command, const CommandContext& context) {
  if (command.repo.empty()) return Fail(context, base::InvalidError("--repo is required"));
  auto services = ConnectAws(command.aws, context.env);
  if (!services.ok()) return Fail(context, services.status());

  std::string cache_dir = command.cache_dir;
  if (cache_dir.empty()) {
    auto dir = git::DefaultCacheDir(context.env);
    if (!dir.ok()) return Fail(context, dir.status());
    cache_dir = *dir;
  }
  git::LibGit2Source git(cache_dir);

  reconcile::ReconcileOptions options;
  options.repo_url = command.repo;
  options.ref = command.branch;
  options.compose_path = command.path;
  options.stack_name = command.stack_name;
  options.project_name = command.project_name;
  options.network.vpc_id = command.vpc_id;
  options.network.subnet_ids = command.subnet_ids;
  options.wait.poll_interval = command.poll_interval;
  options.wait.timeout = command.timeout;

  reconcile::Reconciler reconciler(git, *services->cloudformation, services->ec2.get(),
                                   *base::SystemClock::Get(),
                                   [&context](const std::string& line) {
                                     context.err << line << "\n";
                                     context.err.flush();
                                   });
  auto report = reconciler.Reconcile(options);
  if (!report.ok()) return Fail(context, report.status());
  if (!report->succeeded) {
    context.err << "deploy failed: " << report->message << "\n";
    for (const auto& f : report->failures) {
      context.err << "  " << f.logical_id << " (" << f.resource_type << ") " << f.status << ": "
                  << f.reason << "\n";
    }
    return kExitFailed;
  }
  context.out << report->message << "\n";
  return kExitOk;
}

namespace {

std::string TagOrDash(const aws::Stack& stack, const char* key) {
  auto it = stack.tags.find(key);
  return it == stack.tags.end() || it->second.empty() ? "-" : it->second;
}

}  // namespace

ExitCode RunLs(const LsCommand& command, const CommandContext& context) {
  auto services = ConnectAws(command.aws, context.env);
  if (!services.ok()) return Fail(context, services.status());
  auto stacks = reconcile::ListManagedStacks(*services->cloudformation);
  if (!stacks.ok()) return Fail(context, stacks.status());
  if (command.output == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& s : *stacks) {
      out.push_back({{"stack", s.name},
                     {"status", s.status},
                     {"revision", TagOrDash(s, reconcile::kTagRevision)},
                     {"source", TagOrDash(s, reconcile::kTagSource)}});
    }
    context.out << out.dump(2) << "\n";
    return kExitOk;
  }
  size_t name_width = 5, status_width = 6;
  for (const auto& s : *stacks) {
    name_width = std::max(name_width, s.name.size());
    status_width = std::max(status_width, s.status.size());
  }
  auto pad = [](const std::string& text, size_t width) {
    return text + std::string(width - text.size() + 2, ' ');
  };
  context.out << pad("STACK", name_width) << pad("STATUS", status_width) << pad("REVISION", 12)
              << "SOURCE\n";
  for (const auto& s : *stacks) {
    context.out << pad(s.name, name_width) << pad(s.status, status_width)
                << pad(TagOrDash(s, reconcile::kTagRevision).substr(0, 12), 12)
                << TagOrDash(s, reconcile::kTagSource) << "\n";
  }
  return kExitOk;
}

ExitCode RunDown(const DownCommand& command, const CommandContext& context) {
  auto services = ConnectAws(command.aws, context.env);
  if (!services.ok()) return Fail(context, services.status());
  reconcile::WaitOptions wait{command.poll_interval, command.timeout};
  auto report = reconcile::Down(*services->cloudformation, *base::SystemClock::Get(),
                                [&context](const std::string& line) {
                                  context.err << line << "\n";
                                  context.err.flush();
                                },
                                command.stack_name, wait);
  if (!report.ok()) return Fail(context, report.status());
  if (!report->succeeded) {
    context.err << "error: " << report->message << "\n";
    return kExitFailed;
  }
  context.out << report->message << "\n";
  return kExitOk;
}

}  // namespace ecsync::controller
