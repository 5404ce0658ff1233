#include "reconcile/desired.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/hash.h"
#include "base/path.h"
#include "base/strings.h"
#include "cfn/nested.h"
#include "cfn/task_files.h"
#include "compose/loader.h"
#include "git/tree_files.h"
#include "reconcile/git_file_reader.h"
#include "reconcile/project_network.h"
#include "reconcile/repository_files.h"
#include "reconcile/retained_file_systems.h"
#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

namespace {

// What a bad revision reports: it must never touch the running stack.
base::Status Rejected(const std::string& message, const std::string& revision) {
  return base::InvalidError(message + " (at revision " + ShortRevision(revision) +
                            "; the deployed stack is left as it is)");
}

// The values of the template's NoEcho secret parameters, and a digest of them for the
// template hash (values are never kept anywhere else).
base::Status ReadSecrets(const cfn::Conversion& conversion, compose::FileReader& reader,
                         const std::map<std::string, std::string>& environment, Desired* desired,
                         std::string* digest) {
  for (const cfn::SecretParameter& secret : conversion.secret_parameters) {
    std::string value;
    if (!secret.file.empty()) {
      auto read = reader.Read(secret.file);
      if (!read.ok()) {
        return base::InvalidError("secret " + secret.secret + ": " + read.status().message());
      }
      value = std::move(*read);
    } else {
      auto it = environment.find(secret.environment);
      if (it == environment.end()) {
        return base::InvalidError("secret " + secret.secret + " comes from the variable " +
                                  secret.environment + ", which is not set");
      }
      value = it->second;
    }
    *digest += secret.parameter + "=" + base::Sha256Hex(value) + "\n";
    desired->parameters.push_back({secret.parameter, std::move(value)});
  }
  return base::Status::Ok();
}

// One line of Desired::shipped_files.
std::string ShippedFilesLine(const std::string& service, const cfn::ServiceFiles& files,
                             const cfn::ConvertOptions& network) {
  std::vector<std::string> what = files.bind_targets;
  for (const std::string& config : files.configs) what.push_back("config " + config);
  const std::string how =
      cfn::TravelsInline(files)
          ? std::to_string(cfn::Base64Size(files.archive.size())) + " bytes inline"
          : std::to_string(files.archive.size()) + " bytes through s3://" + network.files_bucket +
                "/" + cfn::FilesBundleKey(network.files_prefix, files.archive_sha256);
  return service + ": " + base::Join(what, ", ") + " (" + how + ")";
}

// Names the image of every service with `build:` (see ResolveImages). A bad build section
// or registry setting rejects the revision; registry trouble is the registry's error kind.
base::Status UseBuiltImages(const ReconcileOptions& options, git::GitSource& git,
                            const Targets& targets, const ProgressSink& sink,
                            compose::Project* project, Desired* desired) {
  bool builds = false;
  for (const compose::Service& service : project->services) builds |= service.build.has_value();
  if (!builds) return base::Status::Ok();
  if (!targets.open_registry) {
    return base::InvalidError("images cannot be looked up here (no registry access)");
  }
  auto registry = targets.open_registry(options.images.registry, options.images.access);
  if (!registry.ok()) return Rejected(registry.status().message(), desired->revision);
  ECSYNC_ASSIGN_OR_RETURN(std::string repository, git.LocalRepository(options.repo_url));
  ECSYNC_ASSIGN_OR_RETURN(artifacts::GitObjectLookup objects,
                          artifacts::OpenGitObjects(repository, desired->revision));
  ResolveImagesRequest request;
  request.settings = options.images;
  request.repository_root = "";  // GitFileReader paths are repository-relative
  request.objects = &objects;
  request.registry = registry->get();
  request.cache = options.image_cache;
  // The codebuild builder builds what is missing instead of waiting for CI to push it.
  request.wait = options.wait_for_images && options.images.builder != "codebuild";
  request.interrupted = options.wait.interrupted;
  request.stack = desired->stack_name;
  auto resolved = ResolveImages(project, request, sink);
  if (!resolved.ok()) {
    if (resolved.status().kind() == base::ErrorKind::kInvalid) {
      return Rejected(resolved.status().message(), desired->revision);
    }
    return resolved.status().WithContext("looking up the images of " + options.images.registry);
  }
  for (const compose::Service& service : project->services) {
    if (service.build && !service.build->dockerfile_inline.empty()) {
      desired->inline_dockerfiles[service.name] = service.build->dockerfile_inline;
    }
  }
  desired->images = std::move(resolved->targets);
  desired->missing_images = std::move(resolved->missing);
  return base::Status::Ok();
}

}  // namespace

base::Result<Desired> RenderDesired(const ReconcileOptions& options, git::GitSource& git,
                                    const Targets& targets, const ProgressSink& sink) {
  ECSYNC_ASSIGN_OR_RETURN(std::string compose_path,
                          base::NormalizeRepositoryPath(options.compose_path));
  Desired desired;
  desired.source = SourceId(options.repo_url, compose_path);
  desired.stack_name = options.stack_name;
  if (options.commit.empty()) {
    auto fetched = git.Fetch(options.repo_url, options.ref);
    if (!fetched.ok()) return fetched.status().WithContext("fetching " + options.repo_url);
    desired.revision = *fetched;
    Say(sink, options.stack_name,
        "revision " + ShortRevision(desired.revision) + " of " + options.repo_url + " (" +
            options.ref + ")");
  } else {
    desired.revision = options.commit;
  }

  auto content = git.ReadFile(options.repo_url, desired.revision, compose_path);
  if (!content.ok()) return content.status();
  if (!content->has_value()) return desired;  // present == false
  desired.present = true;

  GitFileReader reader(git, options.repo_url, desired.revision);
  compose::LoadOptions load;
  load.files = {compose_path};
  for (const std::string& extra : options.extra_files) {
    ECSYNC_ASSIGN_OR_RETURN(std::string path, base::NormalizeRepositoryPath(extra));
    load.files.push_back(path);
  }
  if (!options.env_file.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(std::string path, base::NormalizeRepositoryPath(options.env_file));
    load.env_files = {path};
  }
  load.profiles = options.profiles;
  load.working_dir = base::DirName(compose_path);
  load.root_dir = ".";  // git paths are repository-relative: files may come from anywhere in it
  load.project_name = options.project_name;
  load.default_project_name = load.working_dir.empty()
                                  ? RepoName(options.repo_url)
                                  : load.working_dir.substr(load.working_dir.rfind('/') + 1);
  load.environment = options.environment;
  load.ecs_check = true;  // what ECS cannot honour fails here, before any AWS call
  load.images_built = options.images.enabled();
  auto project = compose::Load(load, reader);
  if (!project.ok()) return Rejected(project.status().message(), desired.revision);
  for (const compose::Diagnostic& warning : project->warnings) {
    Say(sink, options.stack_name, "warning: " + warning.ToString());
  }
  if (desired.stack_name.empty()) desired.stack_name = StackNameFor(project->name);
  if (options.images.enabled()) {
    ECSYNC_RETURN_IF_ERROR(UseBuiltImages(options, git, targets, sink, &*project, &desired));
    if (!desired.missing_images.empty() && !options.render_without_images) return desired;
  }
  // Repository files the containers mount, read at this revision (docs/files.md).
  const bool through_s3 = targets.s3 != nullptr && !options.template_bucket.empty();
  auto files = RepositoryFilesFor(
      *project, options.environment,
      [&](const std::string& path, size_t max_bytes) {
        return git.ReadTree(options.repo_url, desired.revision, path, max_bytes);
      },
      through_s3);
  if (!files.ok()) return Rejected(files.status().message(), desired.revision);
  ECSYNC_ASSIGN_OR_RETURN(
      cfn::ConvertOptions network,
      ResolveProjectNetwork(targets.ec2, targets.elbv2, options.network, *project));
  if (targets.efs != nullptr) {
    base::Status retained = AddRetainedFileSystems(*targets.efs, *targets.cloudformation,
                                                   desired.stack_name, *project, &network);
    if (!retained.ok()) {
      return retained.WithContext("looking for retained EFS file systems (at revision " +
                                  ShortRevision(desired.revision) +
                                  "; the deployed stack is left as it is)");
    }
  }
  if (through_s3) {
    network.files_bucket = options.template_bucket;
    network.files_prefix = options.template_prefix;
  }
  for (const auto& [service, shipped] : *files) {
    desired.shipped_files.push_back(ShippedFilesLine(service, shipped, network));
    if (!cfn::TravelsInline(shipped)) {
      desired.file_bundles.push_back(
          {cfn::FilesBundleKey(network.files_prefix, shipped.archive_sha256), shipped.archive});
    }
  }
  network.files = std::move(*files);
  auto conversion = cfn::ConvertProject(*project, network);
  if (!conversion.ok()) return Rejected(conversion.status().message(), desired.revision);
  for (const std::string& warning : conversion->warnings) {
    Say(sink, options.stack_name, "warning: " + warning);
  }
  // Secret values travel as NoEcho parameters; only a hash of them joins the template's.
  std::string secrets_digest;
  ECSYNC_RETURN_IF_ERROR(
      ReadSecrets(*conversion, reader, options.environment, &desired, &secrets_digest));
  desired.template_body = conversion->tmpl.dump();
  if (targets.s3 != nullptr) {
    // Refused here, before any write, rather than by CloudFormation halfway through: over
    // 51,200 bytes the template goes through S3, over one stack's limits into nested stacks.
    base::Status fits = cfn::CheckTemplateBucket(desired.stack_name, conversion->tmpl,
                                                 !options.template_bucket.empty(), options.limits);
    if (!fits.ok()) return fits.WithContext(compose_path);
  }
  desired.template_sha = secrets_digest.empty()
                             ? base::Sha256Hex(desired.template_body)
                             : base::Sha256Hex(desired.template_body + "\n" + secrets_digest);
  return desired;
}

namespace {

// Loads the compose files on disk as a deployment would (ECS check included).
base::Result<compose::Project> LoadLocal(const LocalRender& request,
                                         compose::DiskFileReader& reader,
                                         const std::function<void(const std::string&)>& warn) {
  compose::LoadOptions load;
  load.files = request.files.empty() ? std::vector<std::string>{"compose.yaml"} : request.files;
  load.project_name = request.project_name;
  load.environment = request.environment;
  load.ecs_check = true;  // what ECS cannot honour: errors stop here, warnings are reported
  load.images_built = request.images.enabled();
  ECSYNC_ASSIGN_OR_RETURN(compose::Project project, compose::Load(load, reader));
  for (const compose::Diagnostic& warning : project.warnings) {
    if (warn) warn(warning.ToString());
  }
  return project;
}

// Names the built images of `project` (loaded from disk) by tag, from the work tree's HEAD.
base::Result<std::vector<artifacts::ImageTarget>> NameLocalImages(
    const LocalRender& request, compose::DiskFileReader& reader, compose::Project* project,
    const std::function<void(const std::string&)>& warn) {
  const std::string first = request.files.empty() ? "compose.yaml" : request.files.front();
  const std::string dir = base::DirName(first).empty() ? "." : base::DirName(first);
  ECSYNC_ASSIGN_OR_RETURN(git::WorkTreeHead tree, git::FindWorkTreeHead(dir));
  if (!tree.uncommitted.empty() && warn) {
    warn(std::to_string(tree.uncommitted.size()) +
         " path(s) differ from HEAD (first: " + tree.uncommitted.front() +
         "); image tags name the committed tree, so commit before CI builds");
  }
  ECSYNC_ASSIGN_OR_RETURN(artifacts::GitObjectLookup objects,
                          artifacts::OpenGitObjects(tree.root, tree.commit));
  ResolveImagesRequest resolve;
  resolve.settings = request.images;
  resolve.repository_root = reader.RootFor(dir);
  resolve.objects = &objects;
  ECSYNC_ASSIGN_OR_RETURN(ImageResolution resolution, ResolveImages(project, resolve, nullptr));
  return resolution.targets;
}

}  // namespace

base::Result<std::string> RenderLocal(const LocalRender& request,
                                      const std::function<void(const std::string&)>& warn) {
  compose::DiskFileReader reader;
  ECSYNC_ASSIGN_OR_RETURN(compose::Project project, LoadLocal(request, reader, warn));
  if (request.images.enabled()) {
    ECSYNC_RETURN_IF_ERROR(NameLocalImages(request, reader, &project, warn).status());
  }
  // Repository files the containers mount, as committed (docs/files.md).
  ECSYNC_ASSIGN_OR_RETURN(
      auto files, RepositoryFilesFor(project, request.environment, WorkTreeReader(project.root_dir),
                                     !request.network.files_bucket.empty()));
  cfn::ConvertOptions network = request.network;
  if (request.connect) {
    // As a deployment would: x-aws-vpc, x-aws-loadbalancer by name, the default VPC and its
    // (public) subnets for what the flags leave open.
    ECSYNC_ASSIGN_OR_RETURN(Targets targets, request.connect());
    ECSYNC_ASSIGN_OR_RETURN(network,
                            ResolveProjectNetwork(targets.ec2, targets.elbv2, network, project));
  } else if (network.vpc_id.empty() != network.subnet_ids.empty()) {
    return base::InvalidError(
        "pass both --vpc-id and --subnet-ids, or neither (the template then takes VpcId and "
        "SubnetIds parameters)");
  }
  network.files = std::move(files);
  ECSYNC_ASSIGN_OR_RETURN(nlohmann::ordered_json tmpl, cfn::Convert(project, network));
  return request.yaml ? cfn::ToYaml(tmpl) : cfn::ToJson(tmpl);
}

base::Result<std::vector<artifacts::ImageTarget>> PlanLocalImages(
    const LocalRender& request, const std::function<void(const std::string&)>& warn) {
  compose::DiskFileReader reader;
  ECSYNC_ASSIGN_OR_RETURN(compose::Project project, LoadLocal(request, reader, warn));
  return NameLocalImages(request, reader, &project, warn);
}

std::string StackNameFor(const std::string& project_name) {
  std::string out;
  for (char c : project_name) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  }
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "ecsync-" + out;
  if (out.size() > 128) out.resize(128);
  return out;
}

std::string RepoName(const std::string& url) {
  std::string trimmed = url;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  auto cut = trimmed.find_last_of("/:");
  std::string name = cut == std::string::npos ? trimmed : trimmed.substr(cut + 1);
  if (name.ends_with(".git")) name.resize(name.size() - 4);
  return base::AsciiLower(name);
}

}  // namespace ecsync::reconcile
