#pragma once

#include <atomic>
#include <chrono>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "base/env.h"
#include "cli/exit_codes.h"
#include "reconcile/images.h"

namespace ecsync::cli {

// Where a command writes and what it may read. Only main.cc builds one from the process.
struct CommandContext {
  base::EnvLookup env;
  // The variables ${VAR} may use in compose files (the process environment for the CLI).
  std::map<std::string, std::string> interpolation;
  std::ostream& out;  // results (templates, reports)
  std::ostream& err;  // progress and errors
  // `err` is a terminal: text progress is redrawn in place (reconcile/progress_view.h) unless
  // env says NO_COLOR (set) or TERM=dumb.
  bool err_is_terminal = false;
  int terminal_width = 80;  // columns of that terminal; live progress rows are cut to fit
};

// Flags shared by every command that may talk to AWS.
struct AwsFlags {
  std::string endpoint_url;  // --endpoint-url
  std::string region;        // --region
  std::string profile;       // --profile
  // --stack-dir: keep stacks as files in this folder instead of calling AWS (offline plans,
  // CI review jobs). Never chosen implicitly: a job whose AWS credentials went missing must
  // fail, not "deploy" to files.
  std::string stack_dir;
  // --template-bucket (reconcile, plan): S3 bucket for templates over 51,200 bytes. Not with
  // stack_dir.
  std::string template_bucket;
};

// Writes "error: <message>" to context.err; the exit code for `status` (ExitCodeFor).
ExitCode Fail(const CommandContext& context, const base::Status& status);

// --builder, --registry and friends (convert, plan, reconcile, images): the flags' form of
// the configuration's `images:` (see reconcile::ImageSettings). Registry v2 credentials come
// from ECSYNC_REGISTRY_USERNAME and ECSYNC_REGISTRY_PASSWORD, never from a flag.
struct ImageFlags {
  std::string builder;                    // --builder: "" or external
  std::string registry;                   // --registry host[:port]
  std::vector<std::string> repositories;  // --repository SERVICE=REPOSITORY, repeated
  std::chrono::milliseconds wait{std::chrono::minutes(30)};           // --image-wait
  std::chrono::milliseconds poll_interval{std::chrono::seconds(15)};  // --image-poll-interval
  bool insecure = false;  // --registry-insecure: http instead of https
};

// The settings the flags name, checked (kInvalid naming the flag). No builder: disabled.
base::Result<reconcile::ImageSettings> ImageSettingsFrom(const ImageFlags& flags,
                                                         const base::EnvLookup& env);

struct ConvertCommand {
  std::vector<std::string> files;  // -f, in order; default compose.yaml
  std::string project_name;
  std::string format = "json";  // json | yaml
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
  AwsFlags aws;
  ImageFlags images;
};

// `ecsync convert`: prints the template. VPC and subnets come from the flags, else from AWS
// when credentials and a region are configured, else become template Parameters.
ExitCode RunConvert(const ConvertCommand& command, const CommandContext& context);

struct ReconcileCommand {
  std::string repo;
  std::string branch = "main";
  std::string path = "compose.yaml";
  std::string stack_name;
  std::string project_name;
  std::string cache_dir;  // default: $XDG_CACHE_HOME/ecsync/git
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds timeout{std::chrono::minutes(60)};
  std::string output = "text";  // text | json
  // --force: apply even when the stack's tags say this revision is deployed (a change set
  // still decides what changes): re-tries a failed revision, puts drifted resources back.
  bool force = false;
  const std::atomic<bool>* interrupted = nullptr;  // set by main on SIGINT/SIGTERM
  AwsFlags aws;
  ImageFlags images;
};

// `ecsync reconcile --once`: one reconcile of one project. Text: progress on err, a summary
// on out. JSON: one event object per line on out, the last one {"event":"result",...}.
ExitCode RunReconcileOnce(const ReconcileCommand& command, const CommandContext& context);

// `ecsync plan`: what reconcile would do. Exit 0 when nothing would change, 1 when something
// would, 2 on error.
ExitCode RunPlan(const ReconcileCommand& command, const CommandContext& context);

struct LsCommand {
  std::string output = "text";  // text | json
  AwsFlags aws;
};

// `ecsync ls`: the stacks ecsync manages, with status, revision and source.
ExitCode RunLs(const LsCommand& command, const CommandContext& context);

struct DownCommand {
  std::string stack_name;
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds timeout{std::chrono::minutes(60)};
  const std::atomic<bool>* interrupted = nullptr;
  AwsFlags aws;
};

// `ecsync down`: deletes one stack ecsync manages and waits until it is gone.
ExitCode RunDown(const DownCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
