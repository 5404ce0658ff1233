#include "cli/commands.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "base/clock.h"
#include "cli/aws_setup.h"
#include "git/libgit2_source.h"
#include "reconcile/desired.h"
#include "reconcile/progress_view.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"

namespace ecsync::cli {

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

ExitCode Fail(const CommandContext& context, const base::Status& status) {
  context.err << "error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

ExitCode RunConvert(const ConvertCommand& command, const CommandContext& context) {
  if (command.format != "json" && command.format != "yaml") {
    return Fail(context,
                base::InvalidError("--format must be json or yaml, not '" + command.format + "'"));
  }
  reconcile::LocalRender request;
  request.files = command.files;
  request.project_name = command.project_name;
  request.environment = context.interpolation;  // the CLI interpolates from its environment
  request.network.vpc_id = command.vpc_id;
  request.network.subnet_ids = command.subnet_ids;
  if (AwsConfigured(command.aws, context.env)) {
    request.connect = [&] { return ConnectAws(command.aws, context.env); };
  }
  request.yaml = command.format == "yaml";
  auto images = ImageSettingsFrom(command.images, context.env);
  if (!images.ok()) return Fail(context, images.status());
  request.images = std::move(*images);
  auto rendered = reconcile::RenderLocal(
      request, [&](const std::string& warning) { context.err << "warning: " << warning << "\n"; });
  if (!rendered.ok()) return Fail(context, rendered.status());
  context.out << *rendered;
  return kExitOk;
}

namespace {

// What reconcile and plan share: AWS clients, the git cache and the project's options.
struct ProjectRun {
  reconcile::Targets targets;
  std::unique_ptr<git::LibGit2Source> git;
  std::unique_ptr<reconcile::ImageDigestCache> digests;  // options.image_cache
  reconcile::ReconcileOptions options;
};

base::Result<ProjectRun> PrepareRun(const ReconcileCommand& command,
                                    const CommandContext& context) {
  if (command.repo.empty()) return base::InvalidError("--repo is required");
  if (command.output != "text" && command.output != "json") {
    return base::InvalidError("--output must be text or json, not '" + command.output + "'");
  }
  ProjectRun run;
  ECSYNC_ASSIGN_OR_RETURN(run.targets, ConnectAws(command.aws, context.env));
  std::string cache_dir = command.cache_dir;
  if (cache_dir.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(cache_dir, git::DefaultCacheDir(context.env));
  }
  run.git = std::make_unique<git::LibGit2Source>(cache_dir);
  run.digests = std::make_unique<reconcile::ImageDigestCache>();
  run.digests->PersistTo(reconcile::ImageDigestFile(cache_dir));
  reconcile::ReconcileOptions& options = run.options;
  options.image_cache = run.digests.get();
  options.repo_url = command.repo;
  options.ref = command.branch;
  options.compose_path = command.path;
  options.stack_name = command.stack_name;
  options.project_name = command.project_name;
  options.network.vpc_id = command.vpc_id;
  options.network.subnet_ids = command.subnet_ids;
  options.template_bucket = command.aws.template_bucket;
  options.wait.poll_interval = command.poll_interval;
  options.wait.timeout = command.timeout;
  options.wait.interrupted = command.interrupted;
  options.force = command.force;
  ECSYNC_ASSIGN_OR_RETURN(options.images, ImageSettingsFrom(command.images, context.env));
  options.wait_for_images = true;  // one process, one project: it may wait
  return run;
}

// Text progress on a terminal that takes cursor movement is redrawn in place; NO_COLOR (set
// to anything) and TERM=dumb ask for plain lines.
bool WantsLiveProgress(const CommandContext& context) {
  if (!context.err_is_terminal || context.env("NO_COLOR").has_value()) return false;
  return context.env("TERM").value_or("") != "dumb";
}

// Text progress on stderr: redrawn in place by `*live` (emplaced here) on a terminal, plain
// lines otherwise. REQUIRES: *live outlives the sink; call live->Finish() before writing to
// stderr again.
reconcile::ProgressSink TextSink(const CommandContext& context,
                                 std::optional<reconcile::LiveProgress>* live) {
  if (WantsLiveProgress(context)) {
    return live->emplace(context.err, context.terminal_width).Sink();
  }
  return [&context](const reconcile::ProgressEvent& event) {
    context.err << reconcile::FormatText(event) << "\n";
    context.err.flush();
  };
}

// JSON: one event object per line on stdout. Text: as TextSink.
reconcile::ProgressSink SinkFor(const ReconcileCommand& command, const CommandContext& context,
                                std::optional<reconcile::LiveProgress>* live) {
  if (command.output == "json") {
    return [&context](const reconcile::ProgressEvent& event) {
      context.out << reconcile::FormatJson(event) << "\n";
      context.out.flush();
    };
  }
  return TextSink(context, live);
}

void Finish(std::optional<reconcile::LiveProgress>& live) {
  if (live) live->Finish();
}

nlohmann::ordered_json PlanImagesJson(const reconcile::PlanReport& plan) {
  nlohmann::ordered_json images = nlohmann::ordered_json::array();
  for (const auto& image : plan.images) {
    const std::string reference = image.reference.ToString();
    const bool missing = std::find(plan.missing_images.begin(), plan.missing_images.end(),
                                   reference) != plan.missing_images.end();
    images.push_back({{"service", image.service}, {"reference", reference}, {"pushed", !missing}});
  }
  return images;
}

}  // namespace

ExitCode RunReconcileOnce(const ReconcileCommand& command, const CommandContext& context) {
  auto run = PrepareRun(command, context);
  if (!run.ok()) return Fail(context, run.status());
  std::optional<reconcile::LiveProgress> live;
  reconcile::Reconciler reconciler(*run->git, run->targets, *base::SystemClock::Get(),
                                   SinkFor(command, context, &live));
  auto report = reconciler.Reconcile(run->options);
  Finish(live);
  if (!report.ok()) return Fail(context, report.status());
  if (command.output == "json") {
    nlohmann::ordered_json result = {{"event", "result"},
                                     {"stack", report->stack_name},
                                     {"action", reconcile::ActionName(report->action)},
                                     {"succeeded", report->succeeded},
                                     {"revision", report->revision},
                                     {"status", report->final_status},
                                     {"message", report->message}};
    if (!report->missing_images.empty()) result["missing_images"] = report->missing_images;
    nlohmann::ordered_json failures = nlohmann::ordered_json::array();
    for (const auto& f : report->failures) {
      failures.push_back({{"logical_id", f.logical_id},
                          {"type", f.resource_type},
                          {"status", f.status},
                          {"reason", f.reason}});
    }
    result["failures"] = failures;
    context.out << result.dump() << "\n";
    return report->succeeded ? kExitOk : kExitFailed;
  }
  if (!report->missing_images.empty()) {
    context.err << "not deployed: " << report->message << "\n";
    return kExitFailed;
  }
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

ExitCode RunPlan(const ReconcileCommand& command, const CommandContext& context) {
  auto run = PrepareRun(command, context);
  if (!run.ok()) return Fail(context, run.status());
  // A plan shows the images as they are now: it neither waits nor stops for missing ones.
  run->options.wait_for_images = false;
  run->options.render_without_images = true;
  std::optional<reconcile::LiveProgress> live;
  reconcile::Reconciler reconciler(
      *run->git, run->targets, *base::SystemClock::Get(),
      command.output == "json" ? nullptr : SinkFor(command, context, &live));
  auto plan = reconciler.Plan(run->options);
  Finish(live);
  if (!plan.ok()) return Fail(context, plan.status());
  ExitCode code = plan->action == reconcile::Action::kNone ? kExitOk : kExitFailed;
  if (command.output == "json") {
    nlohmann::ordered_json out = {{"stack", plan->stack_name},
                                  {"action", reconcile::ActionName(plan->action)},
                                  {"revision", plan->revision},
                                  {"reason", plan->reason}};
    nlohmann::ordered_json changes = nlohmann::ordered_json::array();
    for (const auto& c : plan->changes) {
      nlohmann::ordered_json change = {
          {"action", c.action}, {"logical_id", c.logical_id}, {"type", c.resource_type}};
      if (!c.replacement.empty()) change["replacement"] = c.replacement;
      changes.push_back(change);
    }
    out["changes"] = changes;
    out["template_diff"] = plan->template_diff;
    if (!plan->images.empty()) out["images"] = PlanImagesJson(*plan);
    if (!plan->shipped_files.empty()) out["files"] = plan->shipped_files;
    if (plan->nested_stacks > 0) out["nested_stacks"] = plan->nested_stacks;
    if (!plan->strategies.empty()) out["strategies"] = plan->strategies;
    context.out << out.dump(2) << "\n";
    return code;
  }
  context.out << "stack " << (plan->stack_name.empty() ? "-" : plan->stack_name) << ": "
              << reconcile::ActionName(plan->action) << " (" << plan->reason << ")\n";
  for (const auto& c : plan->changes) {
    reconcile::ProgressEvent event;
    event.kind = reconcile::ProgressEvent::Kind::kChange;
    event.status = c.action;
    event.logical_id = c.logical_id;
    event.resource_type = c.resource_type;
    if (!c.replacement.empty()) event.reason = "replacement: " + c.replacement;
    context.out << reconcile::FormatText(event) << "\n";
  }
  if (!plan->template_diff.empty()) {
    context.out << "template changes:\n";
    for (const auto& line : plan->template_diff) context.out << "  " << line << "\n";
  }
  if (!plan->images.empty()) {
    context.out << "images built from the repository:\n";
    for (const auto& image : plan->images) {
      const std::string reference = image.reference.ToString();
      const bool missing = std::find(plan->missing_images.begin(), plan->missing_images.end(),
                                     reference) != plan->missing_images.end();
      const char* absent = plan->builder == "codebuild"
                               ? " (not built yet: a deploy builds it)"
                               : " (not pushed yet: a deploy waits for it)";
      context.out << "  " << image.service << ": " << reference
                  << (missing ? absent : " (in the registry)") << "\n";
    }
  }
  if (!plan->shipped_files.empty()) {
    context.out << "files from the repository:\n";
    for (const auto& line : plan->shipped_files) context.out << "  " << line << "\n";
  }
  if (!plan->strategies.empty()) {
    context.out << "deployment strategies:\n";
    for (const auto& [service, strategy] : plan->strategies) {
      context.out << "  " << service << ": " << strategy << "\n";
    }
  }
  return code;
}

namespace {

std::string TagOrDash(const aws::Stack& stack, const char* key) {
  const std::string value = reconcile::TagValue(stack.tags, key);
  return value.empty() ? "-" : value;
}

}  // namespace

ExitCode RunLs(const LsCommand& command, const CommandContext& context) {
  auto targets = ConnectAws(command.aws, context.env);
  if (!targets.ok()) return Fail(context, targets.status());
  auto stacks = reconcile::ListManagedStacks(*targets->cloudformation);
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
  auto targets = ConnectAws(command.aws, context.env);
  if (!targets.ok()) return Fail(context, targets.status());
  reconcile::WaitOptions wait{command.poll_interval, command.timeout, command.interrupted};
  std::optional<reconcile::LiveProgress> live;
  auto report = reconcile::Down(*targets->cloudformation, *base::SystemClock::Get(),
                                TextSink(context, &live), command.stack_name, wait);
  Finish(live);
  if (!report.ok()) return Fail(context, report.status());
  if (!report->succeeded) {
    context.err << "error: " << report->message << "\n";
    return kExitFailed;
  }
  context.out << report->message << "\n";
  return kExitOk;
}

}  // namespace ecsync::cli
