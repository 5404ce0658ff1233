#include "reconcile/codebuild_builder.h"

#include <algorithm>
#include <optional>

#include "base/base64.h"
#include "cfn/build_stack.h"
#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

namespace {

constexpr std::chrono::milliseconds kMaxSleepSlice{1'000};

// Phases that run the project's own commands: a failure there is the build's (the
// Dockerfile, the login, the push), and building the same inputs again fails again.
bool IsCommandPhase(const std::string& phase) {
  return phase == "INSTALL" || phase == "PRE_BUILD" || phase == "BUILD" || phase == "POST_BUILD";
}

bool Interrupted(const CodeBuildBuilderOptions& options) {
  return options.interrupted != nullptr && options.interrupted->load();
}

std::string TimeoutText(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

// Where to read what happened: the CloudWatch group and stream, and the console link.
std::string LogLocation(const aws::BuildLogs& logs) {
  std::string out;
  if (!logs.group_name.empty()) {
    out = "CloudWatch log group " + logs.group_name;
    if (!logs.stream_name.empty()) out += ", stream " + logs.stream_name;
  }
  if (!logs.deep_link.empty()) out += (out.empty() ? "" : "; ") + logs.deep_link;
  return out.empty() ? "no log (CloudWatch logs are off for the project)" : out;
}

// The error for a build that ended other than SUCCEEDED, naming its first failed phase.
base::Status BuildFailed(const std::string& service, const aws::Build& build) {
  const aws::BuildPhase* failed = nullptr;
  for (const aws::BuildPhase& phase : build.phases) {
    if (!phase.status.empty() && phase.status != "SUCCEEDED") {
      failed = &phase;
      break;
    }
  }
  std::string message = "building the image of " + service + " (CodeBuild build " + build.id +
                        ") ended " + build.status;
  if (failed != nullptr) {
    message += " in phase " + failed->type;
    for (const aws::BuildPhaseContext& context : failed->contexts) {
      if (context.status_code.empty() && context.message.empty()) continue;
      message +=
          ": " + context.status_code + (context.message.empty() ? "" : ": ") + context.message;
    }
  }
  message += "; log: " + LogLocation(build.logs);
  const bool own_fault =
      failed != nullptr && build.status == "FAILED" && IsCommandPhase(failed->type);
  return own_fault ? base::InvalidError(message + "; fix the build and commit again")
                   : base::TransientError(message + "; it will be built again");
}

// A build of `reference` the project is still running, started by an earlier attempt (a
// restarted controller, past the idempotency token's five minutes): following it costs no
// second build. nullopt when there is none, or the project does not exist (StartBuild then
// says so).
base::Result<std::optional<aws::Build>> FindRunningBuild(aws::CodeBuild& codebuild,
                                                         const std::string& project,
                                                         const std::string& reference) {
  auto recent = codebuild.RecentBuilds(project);
  if (!recent.ok()) {
    if (recent.status().kind() == base::ErrorKind::kNotFound) return std::optional<aws::Build>();
    return recent.status();
  }
  ECSYNC_ASSIGN_OR_RETURN(aws::BuildBatch batch, codebuild.BatchGetBuilds(*recent));
  for (aws::Build& build : batch.builds) {
    if (build.finished()) continue;
    for (const aws::CodeBuildVariable& v : build.environment) {
      if (v.name == cfn::kBuildImage && v.value == reference)
        return std::optional(std::move(build));
    }
  }
  return std::optional<aws::Build>();
}

}  // namespace

std::string BuildToken(const std::string& stack, const std::string& reference) {
  return RequestToken(stack, reference, "build");
}

base::Result<std::vector<aws::CodeBuildVariable>> BuildVariables(const ImageBuild& build) {
  const artifacts::BuildInputs& inputs = build.target.inputs;
  const std::string& service = build.target.service;
  if (!inputs.additional_contexts.empty()) {
    return base::InvalidError("services." + service +
                              ".build.additional_contexts: the codebuild builder cannot build "
                              "with additional contexts yet; use the external builder");
  }
  std::vector<aws::CodeBuildVariable> out;
  out.push_back({cfn::kBuildRegistry, build.target.reference.registry});
  out.push_back({cfn::kBuildImage, build.target.reference.ToString()});
  if (inputs.dockerfile == "inline") {
    if (build.dockerfile_inline.empty()) {
      return base::InternalError(
          "services." + service +
          ".build.dockerfile_inline: its text was not handed to the builder");
    }
    out.push_back({cfn::kBuildDockerfileInline, base::Base64Encode(build.dockerfile_inline)});
  } else {
    out.push_back(
        {cfn::kBuildDockerfile, build.dockerfile.empty() ? inputs.dockerfile : build.dockerfile});
  }
  if (!inputs.target.empty()) out.push_back({cfn::kBuildTarget, inputs.target});
  if (!inputs.platform.empty()) out.push_back({cfn::kBuildPlatform, inputs.platform});
  std::string args;
  for (const auto& [name, value] : inputs.args) {
    const std::string line = value ? name + "=" + *value : name;
    if (line.find_first_of("\r\n") != std::string::npos) {
      return base::InvalidError("services." + service + ".build.args." + name +
                                ": the codebuild builder cannot pass a line break in an argument");
    }
    args += line + "\n";
  }
  if (!args.empty()) out.push_back({cfn::kBuildArgs, args});
  return out;
}

CodeBuildImageBuilder::CodeBuildImageBuilder(aws::CodeBuild& codebuild,
                                             CodeBuildBuilderOptions options)
    : codebuild_(codebuild), options_(std::move(options)) {}

base::Status CodeBuildImageBuilder::Build(const ImageBuild& build, const ProgressSink& sink) {
  base::SystemClock system_clock;
  base::Clock* clock = options_.clock != nullptr ? options_.clock : &system_clock;
  const std::string& service = build.target.service;
  const std::string reference = build.target.reference.ToString();

  aws::StartBuildRequest request;
  request.project_name = options_.project;
  request.source_type = "S3";
  request.source_location = build.source_bucket + "/" + build.source_key;
  ECSYNC_ASSIGN_OR_RETURN(request.environment, BuildVariables(build));
  request.idempotency_token = BuildToken(options_.stack, reference);
  ECSYNC_ASSIGN_OR_RETURN(std::optional<aws::Build> running,
                          FindRunningBuild(codebuild_, options_.project, reference));
  if (running) {
    Say(sink, options_.stack,
        "the image of " + service + " is being built already (build " + running->id +
            "); following it");
  } else {
    Say(sink, options_.stack, "building the image of " + service + ": " + reference);
  }
  auto started =
      running ? base::Result<aws::Build>(*std::move(running)) : codebuild_.StartBuild(request);
  if (!started.ok()) {
    if (started.status().kind() == base::ErrorKind::kNotFound) {
      return base::NotFoundError("CodeBuild project " + options_.project +
                                 " does not exist; the builds stack " + options_.project +
                                 " must be deployed first: " + started.status().message());
    }
    return started.status();
  }
  const std::string id = started->id;

  const auto deadline = clock->SteadyNow() + options_.timeout;
  size_t reported = 0;  // phases already reported, in order
  aws::Build current = *started;
  while (true) {
    // Each phase is reported once, when it is first seen; phases CodeBuild went through
    // between two polls are reported together, in order.
    for (; reported < current.phases.size(); ++reported) {
      Say(sink, options_.stack, "build " + service + ": " + current.phases[reported].type);
    }
    if (current.finished()) break;
    if (Interrupted(options_)) {
      return base::TransientError("interrupted while following build " + id + " of " + service +
                                  "; it goes on in CodeBuild");
    }
    const auto now = clock->SteadyNow();
    if (now >= deadline) {
      return base::TransientError(
          "build " + id + " of " + service + " is still " + current.current_phase + " after " +
          TimeoutText(options_.timeout) + "; log: " + LogLocation(current.logs));
    }
    // Sleep in slices so that an interruption is seen within a second.
    const auto wake = std::min(deadline, now + options_.poll_interval);
    while (clock->SteadyNow() < wake && !Interrupted(options_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - clock->SteadyNow());
      clock->SleepFor(std::clamp(left, std::chrono::milliseconds(1), kMaxSleepSlice));
    }
    if (Interrupted(options_)) continue;
    auto batch = codebuild_.BatchGetBuilds({id});
    if (!batch.ok()) {
      // Throttling and network trouble are waited through until the deadline.
      const base::ErrorKind kind = batch.status().kind();
      if (kind == base::ErrorKind::kThrottled || kind == base::ErrorKind::kTransient) continue;
      return batch.status();
    }
    if (batch->builds.empty()) {
      return base::TransientError("CodeBuild does not know build " + id + " of " + service +
                                  " any more");
    }
    current = std::move(batch->builds.front());
  }
  if (current.status != "SUCCEEDED") return BuildFailed(service, current);
  Say(sink, options_.stack, "built the image of " + service + ": " + reference);
  return base::Status::Ok();
}

base::Result<std::vector<artifacts::PinnedImage>> BuildImages(const std::vector<ImageBuild>& builds,
                                                              artifacts::ImageRegistry& registry,
                                                              ImageBuilder& builder,
                                                              const std::string& stack,
                                                              const ProgressSink& sink) {
  std::vector<artifacts::PinnedImage> pinned;
  for (const ImageBuild& build : builds) {
    const artifacts::ImageTarget& target = build.target;
    auto digest = registry.FindDigest(target.reference);
    if (digest.ok()) {
      Say(sink, stack,
          "image of " + target.service + ": " + target.reference.ToString() + " is already built");
    } else if (digest.status().kind() != base::ErrorKind::kNotFound) {
      return digest.status();
    } else {
      ECSYNC_RETURN_IF_ERROR(builder.Build(build, sink));
      digest = registry.FindDigest(target.reference);
      if (!digest.ok()) {
        return base::Status(
            digest.status().kind() == base::ErrorKind::kNotFound ? base::ErrorKind::kInvalid
                                                                 : digest.status().kind(),
            "the build of " + target.service + " succeeded but " + target.reference.ToString() +
                " is not in the registry: " + digest.status().message());
      }
    }
    artifacts::PinnedImage image{target.service, target.reference};
    image.reference.digest = *digest;
    pinned.push_back(std::move(image));
  }
  return pinned;
}

base::Result<std::vector<artifacts::PinnedImage>> BuildMissingImages(
    const Targets& targets, const BuildImagesRequest& request, const ProgressSink& sink) {
  if (request.settings.builder != "codebuild") {
    return base::InvalidError("images.builder is \"" + request.settings.builder +
                              "\", not codebuild; ecsync builds no image");
  }
  if (targets.codebuild == nullptr || !targets.open_registry) {
    return base::InvalidError(
        "the codebuild builder needs AWS (CodeBuild and ECR); stack files cannot build images");
  }
  ECSYNC_ASSIGN_OR_RETURN(
      std::shared_ptr<artifacts::ImageRegistry> registry,
      targets.open_registry(request.settings.registry, request.settings.access));
  CodeBuildBuilderOptions options;
  options.stack = request.stack;
  options.project = cfn::BuildStackName(request.stack);
  options.poll_interval = request.settings.poll_interval;
  options.timeout = request.settings.build_timeout;
  options.clock = request.clock;
  options.interrupted = request.interrupted;
  CodeBuildImageBuilder builder(*targets.codebuild, options);
  return BuildImages(request.builds, *registry, builder, request.stack, sink);
}

}  // namespace ecsync::reconcile
