// The ecsync command line. This is the only file that reads argv, the process environment
// or signals; everything else receives what it needs as arguments.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <string>

#include "base/duration.h"
#include "base/log.h"
#include "controller/commands.h"
#include "controller/version.h"

extern char** environ;

namespace {

using ecsync::controller::ExitCode;

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return vars;
}

void AddAwsFlags(CLI::App* app, ecsync::controller::AwsFlags* flags) {
  app->add_option("--endpoint-url", flags->endpoint_url,
                  "AWS endpoint for every service (default: AWS_ENDPOINT_URL[_<SERVICE>], then AWS)");
  app->add_option("--region", flags->region, "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile)");
  app->add_option("--profile", flags->profile, "profile in the shared AWS config files (default: AWS_PROFILE)");
}

// CLI11 validator for durations such as 5s, 1m30s, 500ms.
struct DurationValidator : CLI::Validator {
  DurationValidator() : CLI::Validator("DURATION") {
    func_ = [](std::string& text) -> std::string {
      auto parsed = ecsync::base::ParseDuration(text);
      return parsed.ok() ? std::string() : parsed.status().message();
    };
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ecsync: keeps Amazon ECS in step with the compose files in git"};
  app.require_subcommand(1);
  std::string log_level = "info";
  std::string log_format = "text";
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  app.add_subcommand("version", "print the version and exit");

  ecsync::controller::ConvertCommand convert;
  CLI::App* convert_app = app.add_subcommand("convert", "print the CloudFormation template for compose files");
  convert_app->add_option("-f,--file", convert.files, "compose file (repeat to merge; default compose.yaml)");
  convert_app->add_option("-p,--project-name", convert.project_name, "project name (default: name: or the folder)");
  convert_app->add_option("--format", convert.format, "json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}))
      ->capture_default_str();
  convert_app->add_option("--vpc-id", convert.vpc_id, "VPC to deploy into");
  convert_app->add_option("--subnet-ids", convert.subnet_ids, "subnets, comma-separated")->delimiter(',');
  AddAwsFlags(convert_app, &convert.aws);

  ecsync::controller::ReconcileCommand reconcile;
  std::string poll_interval = "5s";
  std::string timeout = "60m";
  bool once = false;
  CLI::App* reconcile_app =
      app.add_subcommand("reconcile", "make the stack match the compose file at the head of a branch");
  reconcile_app->add_flag("--once", once, "reconcile once and exit (the only mode of this command)");
  reconcile_app->add_option("--repo", reconcile.repo, "git repository URL or local path")->required();
  reconcile_app->add_option("--branch", reconcile.branch, "branch, tag or commit")->capture_default_str();
  reconcile_app->add_option("--path", reconcile.path, "compose file inside the repository")->capture_default_str();
  reconcile_app->add_option("--stack-name", reconcile.stack_name, "stack name (default: from the project name)");
  reconcile_app->add_option("-p,--project-name", reconcile.project_name, "project name (default: name: or the folder)");
  reconcile_app->add_option("--cache-dir", reconcile.cache_dir, "git cache (default: $XDG_CACHE_HOME/ecsync/git)");
  reconcile_app->add_option("--vpc-id", reconcile.vpc_id, "VPC (default: the account's default VPC)");
  reconcile_app->add_option("--subnet-ids", reconcile.subnet_ids, "subnets, comma-separated (default: the VPC's)")
      ->delimiter(',');
  reconcile_app->add_option("--poll-interval", poll_interval, "how often to poll the stack while waiting")
      ->check(DurationValidator())
      ->capture_default_str();
  reconcile_app->add_option("--timeout", timeout, "give up waiting after this long")
      ->check(DurationValidator())
      ->capture_default_str();
  AddAwsFlags(reconcile_app, &reconcile.aws);

  ecsync::controller::LsCommand ls;
  CLI::App* ls_app = app.add_subcommand("ls", "list the stacks ecsync manages");
  ls_app->add_option("--output", ls.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddAwsFlags(ls_app, &ls.aws);

  ecsync::controller::DownCommand down;
  std::string down_poll_interval = "5s";
  std::string down_timeout = "60m";
  CLI::App* down_app = app.add_subcommand("down", "delete a stack ecsync manages and wait until it is gone");
  down_app->add_option("--stack-name", down.stack_name, "the stack to delete")->required();
  down_app->add_option("--poll-interval", down_poll_interval, "how often to poll the stack while waiting")
      ->check(DurationValidator())
      ->capture_default_str();
  down_app->add_option("--timeout", down_timeout, "give up waiting after this long")
      ->check(DurationValidator())
      ->capture_default_str();
  AddAwsFlags(down_app, &down.aws);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : ecsync::controller::kExitBadConfig;
  }

  if (auto s = ecsync::base::SetupLogging(log_level, log_format == "json"); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return ecsync::controller::kExitBadConfig;
  }

  ecsync::controller::CommandContext context{ecsync::aws::EnvFromProcess(), ProcessEnvironment(),
                                             std::cout, std::cerr};
  if (app.got_subcommand("version")) {
    std::cout << "ecsync " << ecsync::controller::kVersion << "\n";
    return 0;
  }
  if (app.got_subcommand(convert_app)) return ecsync::controller::RunConvert(convert, context);
  if (app.got_subcommand(reconcile_app)) {
    if (!once) {
      std::cerr << "error: reconcile needs --once (the long-running controller is not part of this "
                   "version)\n";
      return ecsync::controller::kExitBadConfig;
    }
    reconcile.poll_interval = *ecsync::base::ParseDuration(poll_interval);
    reconcile.timeout = *ecsync::base::ParseDuration(timeout);
    return ecsync::controller::RunReconcileOnce(reconcile, context);
  }
  if (app.got_subcommand(ls_app)) return ecsync::controller::RunLs(ls, context);
  if (app.got_subcommand(down_app)) {
    down.poll_interval = *ecsync::base::ParseDuration(down_poll_interval);
    down.timeout = *ecsync::base::ParseDuration(down_timeout);
    return ecsync::controller::RunDown(down, context);
  }
  return ecsync::controller::kExitBadConfig;
}
