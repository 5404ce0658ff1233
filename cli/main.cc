// The ecsync command line. This is the only file that reads argv, the process environment
// or signals; everything else receives what it needs as arguments.

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "base/duration.h"
#include "base/log.h"
#include "cli/approve_command.h"
#include "cli/commands.h"
#include "cli/config_command.h"
#include "cli/coordination_command.h"
#include "cli/images_command.h"
#include "cli/serve.h"
#include "cli/version.h"

extern char** environ;

namespace {

using ecsync::cli::ExitCode;

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return vars;
}

// Columns of the terminal on stderr: its window size, else COLUMNS, else 80.
int TerminalWidth() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  const char* columns = std::getenv("COLUMNS");
  if (columns != nullptr) {
    int parsed = std::atoi(columns);
    if (parsed > 0) return parsed;
  }
  return 80;
}

void AddAwsFlags(CLI::App* app, ecsync::cli::AwsFlags* flags) {
  app->add_option(
      "--endpoint-url", flags->endpoint_url,
      "AWS endpoint for every service (default: AWS_ENDPOINT_URL[_<SERVICE>], then AWS)");
  app->add_option("--region", flags->region,
                  "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile)");
  app->add_option("--profile", flags->profile,
                  "profile in the shared AWS config files (default: AWS_PROFILE)");
  app->add_option(
      "--stack-dir", flags->stack_dir,
      "keep stacks as files in this folder instead of calling AWS (offline, CI review)");
}

// CLI11 validator for durations such as 5s, 1m30s, 500ms.
struct DurationValidator : CLI::Validator {
  DurationValidator() : CLI::Validator("DURATION") {
    func_ = [](std::string& text) -> std::string {
      auto parsed = ecsync::base::ParseDurationMillis(text);
      return parsed.ok() ? std::string() : parsed.status().message();
    };
  }
};

// Duration flags are parsed after CLI11 has validated them.
struct DurationFlags {
  std::string poll_interval = "5s";
  std::string timeout = "60m";
  void ApplyTo(std::chrono::milliseconds* poll, std::chrono::milliseconds* limit) const {
    *poll = *ecsync::base::ParseDurationMillis(poll_interval);
    *limit = *ecsync::base::ParseDurationMillis(timeout);
  }
};

void AddWaitFlags(CLI::App* app, DurationFlags* durations) {
  app->add_option("--poll-interval", durations->poll_interval,
                  "how often to poll the stack while waiting")
      ->check(DurationValidator())
      ->capture_default_str();
  app->add_option(
         "--timeout", durations->timeout,
         "deploy time limit: past it an update is cancelled (rolled back) and a create deleted")
      ->check(DurationValidator())
      ->capture_default_str();
}

// Image flags parsed after CLI11 has validated them.
struct ImageDurationFlags {
  std::string wait = "30m";
  std::string poll_interval = "15s";
  void ApplyTo(ecsync::cli::ImageFlags* flags) const {
    flags->wait = *ecsync::base::ParseDurationMillis(wait);
    flags->poll_interval = *ecsync::base::ParseDurationMillis(poll_interval);
  }
};

// --registry and what goes with it; `with_builder` adds --builder (every command but images,
// where the builder is always external).
void AddImageFlags(CLI::App* app, ecsync::cli::ImageFlags* flags, bool with_builder) {
  if (with_builder) {
    app->add_option("--builder", flags->builder,
                    "build images for services with build: (external: CI pushes what "
                    "`ecsync images` names)")
        ->check(CLI::IsMember({"external", "codebuild"}));
  }
  app->add_option("--registry", flags->registry,
                  "registry host images are pushed to (ECR or any Registry v2 host)");
  app->add_option("--repository", flags->repositories,
                  "SERVICE=REPOSITORY instead of <project>/<service> (repeat)");
  app->add_flag("--registry-insecure", flags->insecure,
                "talk to a Registry v2 host over http (loopback or private networks)");
}

void AddImageWaitFlags(CLI::App* app, ImageDurationFlags* durations) {
  app->add_option("--image-wait", durations->wait,
                  "how long to wait for images CI has not pushed yet")
      ->check(DurationValidator())
      ->capture_default_str();
  app->add_option("--image-poll-interval", durations->poll_interval,
                  "how often to ask the registry while waiting")
      ->check(DurationValidator())
      ->capture_default_str();
}

void AddProjectFlags(CLI::App* app, ecsync::cli::ReconcileCommand* command,
                     DurationFlags* durations) {
  app->add_option("--repo", command->repo, "git repository URL or local path");
  app->add_option("--branch", command->branch, "branch, tag or commit")->capture_default_str();
  app->add_option("--path", command->path, "compose file inside the repository")
      ->capture_default_str();
  app->add_option("--stack-name", command->stack_name,
                  "stack name (default: from the project name)");
  app->add_option("-p,--project-name", command->project_name,
                  "project name (default: name: or the folder)");
  app->add_option("--cache-dir", command->cache_dir,
                  "git cache (default: $XDG_CACHE_HOME/ecsync/git)");
  app->add_option("--vpc-id", command->vpc_id, "VPC (default: the account's default VPC)");
  app->add_option("--subnet-ids", command->subnet_ids,
                  "subnets, comma-separated (default: the VPC's)")
      ->delimiter(',');
  app->add_option("--template-bucket", command->aws.template_bucket,
                  "S3 bucket for templates over CloudFormation's 51,200-byte inline limit");
  app->add_option("--output", command->output, "text, or json (one event per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddWaitFlags(app, durations);
  AddAwsFlags(app, &command->aws);
  AddImageFlags(app, &command->images, /*with_builder=*/true);
}

// Set by SIGINT/SIGTERM: waiting stops, the stack's operation goes on in CloudFormation.
std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true); }

// Set by SIGHUP: `serve` reloads its configuration.
std::atomic<bool> g_reload{false};

void OnHangup(int) { g_reload.store(true); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ecsync: keeps Amazon ECS in step with the compose files in git"};
  app.require_subcommand(1);
  // Subcommands (created below, inheriting this) pass --log-level/--log-format up, so they may
  // follow the subcommand: `ecsync serve --config F --log-format json`.
  app.fallthrough();
  std::string log_level = "info";
  std::string log_format = "text";
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  app.add_subcommand("version", "print the version and exit");

  ecsync::cli::ConvertCommand convert;
  CLI::App* convert_app =
      app.add_subcommand("convert", "print the CloudFormation template for compose files");
  convert_app->add_option("-f,--file", convert.files,
                          "compose file (repeat to merge; default compose.yaml)");
  convert_app->add_option("-p,--project-name", convert.project_name,
                          "project name (default: name: or the folder)");
  convert_app->add_option("--format", convert.format, "json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}))
      ->capture_default_str();
  convert_app->add_option("--vpc-id", convert.vpc_id, "VPC to deploy into");
  convert_app->add_option("--subnet-ids", convert.subnet_ids, "subnets, comma-separated")
      ->delimiter(',');
  AddAwsFlags(convert_app, &convert.aws);
  AddImageFlags(convert_app, &convert.images, /*with_builder=*/true);

  ecsync::cli::ImagesCommand images;
  CLI::App* images_app = app.add_subcommand(
      "images", "print the image CI must build and push for each service with build:");
  images_app->add_option("-f,--file", images.files,
                         "compose file (repeat to merge; default compose.yaml)");
  images_app->add_option("-p,--project-name", images.project_name,
                         "project name (default: name: or the folder)");
  images_app->add_option("--output", images.output, "text or json (with every build input)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  images_app->add_flag("--check", images.check,
                       "ask the registry whether each image is there (exit 1 when one is not)");
  AddImageFlags(images_app, &images.images, /*with_builder=*/false);
  images_app->get_option("--registry")->required();
  AddAwsFlags(images_app, &images.aws);

  ecsync::cli::ConfigCommand config;
  bool no_ecs_check = false;
  CLI::App* config_app =
      app.add_subcommand("config", "print the normalized compose project and ECS warnings");
  config_app->add_option("-f,--file", config.files,
                         "compose file (repeat to merge; default compose.yaml and its override)");
  config_app->add_option(
      "--env-file", config.env_files,
      "variables for interpolation (repeat; default .env in the project folder)");
  config_app->add_option("--profile", config.profiles,
                         "activate a profile (repeat; default COMPOSE_PROFILES)");
  config_app->add_option("-p,--project-name", config.project_name,
                         "project name (default: COMPOSE_PROJECT_NAME, name: or the folder)");
  config_app->add_option("--format", config.format, "yaml or json")
      ->check(CLI::IsMember({"json", "yaml"}))
      ->capture_default_str();
  config_app->add_flag("--no-ecs-check", no_ecs_check,
                       "skip the check of what ECS can run (spec validation only)");

  ecsync::cli::ReconcileCommand reconcile;
  DurationFlags reconcile_durations;
  ImageDurationFlags reconcile_image_durations;
  bool once = false;
  CLI::App* reconcile_app = app.add_subcommand(
      "reconcile", "make the stack match the compose file at the head of a branch");
  reconcile_app->add_flag("--once", once,
                          "reconcile once and exit (the only mode of this command)");
  std::string reconcile_config;
  bool force = false;
  reconcile_app->add_option("--config", reconcile_config,
                            "reconcile every project of this controller configuration once");
  reconcile_app->add_flag(
      "--force", force,
      "apply even when the stack is up to date (retry a failed revision, undo drift)");
  AddProjectFlags(reconcile_app, &reconcile, &reconcile_durations);
  AddImageWaitFlags(reconcile_app, &reconcile_image_durations);

  ecsync::cli::ServeCommand serve;
  CLI::App* serve_app = app.add_subcommand(
      "serve", "run the controller: poll repositories, serve webhooks and metrics");
  serve_app->add_option("--config", serve.config_path, "controller configuration (YAML)")
      ->required();
  serve_app->add_option("--listen", serve.listen, "override server.listen (host:port)");
  serve_app->add_option("--admin-listen", serve.admin_listen,
                        "override server.admin_listen (host:port)");
  serve_app->add_option("--metrics-listen", serve.metrics_listen,
                        "override server.metrics_listen (host:port)");
  serve_app->add_option("--port-file", serve.port_file,
                        "write the bound ports here once listening, \"PUBLIC METRICS ADMIN\" "
                        "(for scripts and tests)");

  ecsync::cli::ReconcileCommand plan;
  DurationFlags plan_durations;
  CLI::App* plan_app = app.add_subcommand(
      "plan", "show what reconcile would do (exit 0: no changes, 1: changes, 2: error)");
  AddProjectFlags(plan_app, &plan, &plan_durations);

  ecsync::cli::LsCommand ls;
  CLI::App* ls_app = app.add_subcommand("ls", "list the stacks ecsync manages");
  ls_app->add_option("--output", ls.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddAwsFlags(ls_app, &ls.aws);

  ecsync::cli::DownCommand down;
  DurationFlags down_durations;
  CLI::App* down_app =
      app.add_subcommand("down", "delete a stack ecsync manages and wait until it is gone");
  down_app->add_option("--stack-name", down.stack_name, "the stack to delete")->required();
  AddWaitFlags(down_app, &down_durations);
  AddAwsFlags(down_app, &down.aws);

  ecsync::cli::ApproveCommand approve;
  CLI::App* approve_app = app.add_subcommand(
      "approve",
      "approve (or reject) the deployments waiting for manual approval in a stack, or with "
      "--server the change a project with approval: manual waits with (exit 0: done, 1: nothing "
      "waiting, 2: error)");
  approve_app->add_option("STACK", approve.stack_name, "the stack (with --server: the project key)")
      ->required();
  approve_app->add_option("--server", approve.server,
                          "the controller's admin address, e.g. http://127.0.0.1:8081: approve "
                          "(or reject) through its operator API, with ECSYNC_API_TOKEN");
  approve_app->add_option("--as", approve.as,
                          "with --server: who approves (default: $USER), recorded with the "
                          "token's name");
  approve_app->add_option("--service", approve.service,
                          "only this compose service (default: every one with approval: manual)");
  approve_app->add_flag("--rollback", approve.rollback,
                        "reject the waiting revision: the deployment rolls back");
  approve_app->add_option("--output", approve.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddAwsFlags(approve_app, &approve.aws);

  ecsync::cli::CreateTableCommand create_table;
  CLI::App* coordination_app = app.add_subcommand(
      "coordination", "the DynamoDB table replicas of serve share (docs/high-availability.md)");
  coordination_app->require_subcommand(1);
  CLI::App* create_table_app = coordination_app->add_subcommand(
      "create-table", "create the table (partition key pk, on-demand) and wait until ACTIVE");
  create_table_app->add_option("--table", create_table.table, "the table's name")->required();
  AddAwsFlags(create_table_app, &create_table.aws);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : ecsync::cli::kExitBadConfig;
  }

  if (auto s = ecsync::base::SetupLogging(log_level, log_format == "json"); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return ecsync::cli::kExitBadConfig;
  }

  ecsync::cli::CommandContext context{ecsync::base::EnvFromProcess(), ProcessEnvironment(),
                                      std::cout, std::cerr};
  context.err_is_terminal = isatty(STDERR_FILENO) == 1;
  context.terminal_width = TerminalWidth();
  if (app.got_subcommand("version")) {
    std::cout << "ecsync " << ecsync::cli::kVersion << "\n";
    return 0;
  }
  if (app.got_subcommand(convert_app)) return ecsync::cli::RunConvert(convert, context);
  if (app.got_subcommand(images_app)) return ecsync::cli::RunImages(images, context);
  if (app.got_subcommand(config_app)) {
    config.ecs_check = !no_ecs_check;
    return ecsync::cli::RunConfig(config, context);
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  if (app.got_subcommand(serve_app)) {
    std::signal(SIGHUP, OnHangup);
    // Every client connection is a file descriptor: take the hard limit, as servers do, so
    // the listeners' connection limits bind before the descriptor table does.
    if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      setrlimit(RLIMIT_NOFILE, &files);
    }
    serve.interrupted = &g_interrupted;
    serve.reload = &g_reload;
    return ecsync::cli::RunServe(serve, context);
  }
  if (app.got_subcommand(reconcile_app)) {
    if (!reconcile_config.empty()) {
      if (!reconcile.repo.empty()) {
        std::cerr << "error: pass either --config or --repo, not both\n";
        return ecsync::cli::kExitBadConfig;
      }
      ecsync::cli::ReconcileConfigCommand command{reconcile_config, force, &g_interrupted};
      return ecsync::cli::RunReconcileConfig(command, context);
    }
    if (reconcile.repo.empty()) {
      std::cerr << "error: reconcile needs --repo (one project) or --config (a configuration)\n";
      return ecsync::cli::kExitBadConfig;
    }
    if (!once) {
      std::cerr << "error: reconcile needs --once (the long-running controller is not part of this "
                   "version)\n";
      return ecsync::cli::kExitBadConfig;
    }
    reconcile_durations.ApplyTo(&reconcile.poll_interval, &reconcile.timeout);
    reconcile_image_durations.ApplyTo(&reconcile.images);
    reconcile.interrupted = &g_interrupted;
    reconcile.force = force;
    return ecsync::cli::RunReconcileOnce(reconcile, context);
  }
  if (app.got_subcommand(plan_app)) {
    if (plan.repo.empty()) {
      std::cerr << "error: plan needs --repo\n";
      return ecsync::cli::kExitBadConfig;
    }
    plan_durations.ApplyTo(&plan.poll_interval, &plan.timeout);
    plan.interrupted = &g_interrupted;
    return ecsync::cli::RunPlan(plan, context);
  }
  if (app.got_subcommand(ls_app)) return ecsync::cli::RunLs(ls, context);
  if (app.got_subcommand(approve_app)) return ecsync::cli::RunApprove(approve, context);
  if (create_table_app->parsed()) return ecsync::cli::RunCreateTable(create_table, context);
  if (app.got_subcommand(down_app)) {
    down_durations.ApplyTo(&down.poll_interval, &down.timeout);
    down.interrupted = &g_interrupted;
    return ecsync::cli::RunDown(down, context);
  }
  return ecsync::cli::kExitBadConfig;
}
