#pragma once

// What git says a project's stack should be: the compose files of one revision, loaded,
// checked for ECS, placed in a network and converted into a template. Nothing here changes
// a stack; the reconciler applies what this renders.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/result.h"
#include "cfn/convert.h"
#include "cfn/nested.h"
#include "git/source.h"
#include "reconcile/approval_gate.h"
#include "reconcile/fenced_cloudformation.h"
#include "reconcile/images.h"
#include "reconcile/progress.h"
#include "reconcile/stack_waiter.h"
#include "reconcile/targets.h"
#include "reconcile/template_placement.h"

namespace ecsync::reconcile {

// One project: a compose file on a branch of a repository, deployed as one stack.
struct ReconcileOptions {
  std::string repo_url;
  std::string ref = "main";
  std::string compose_path = "compose.yaml";  // relative to the repository root
  // More compose files merged over compose_path in order (like `-f a -f b`), same folder rules.
  std::vector<std::string> extra_files;
  std::vector<std::string> profiles;  // active compose profiles
  std::string env_file;  // repository-relative dotenv file for interpolation; "" for <dir>/.env
  // The commit to reconcile when the caller has already fetched it (the controller fetches
  // once per repository, not once per project); empty: fetch `ref`.
  std::string commit;
  // Apply even when the stack's tags say this template is deployed (a change set still
  // decides whether anything changes). For re-trying a failed revision or healing drift.
  bool force = false;
  // Stacks from one DescribeStacks listing shared by every project of a cycle. When it holds
  // this project's stack with the same template hash in a *_COMPLETE state, reconciling
  // costs no AWS call at all. Not owned; may be null.
  const std::map<std::string, aws::Stack>* snapshot = nullptr;
  std::string stack_name;    // default: derived from the compose project name
  std::string project_name;  // overrides the compose file's `name:` when set
  // VPC and subnets for the template; looked up through Ec2 (default VPC) when empty, and
  // then the load balancer's public subnets too (see AddPublicSubnets) when the project
  // publishes a port. Subnets given here are used as they are.
  cfn::ConvertOptions network;
  // Where templates over CloudFormation's 51,200-byte TemplateBody limit go (see
  // Targets::s3): s3://<template_bucket>/<template_prefix><stack>/<sha256>.json, passed as
  // TemplateURL; nested stacks' templates under <stack>/nested/. Empty: such templates are
  // refused (kInvalid) before any write.
  std::string template_bucket;
  std::string template_prefix = "ecsync/";
  // One stack's limits (CloudFormation's by default); a template over them is split into
  // nested stacks through the template bucket. Tests set smaller ones.
  cfn::StackLimits limits;
  std::map<std::string, std::string> environment;  // variables for interpolation
  // How long to poll and how long a deploy may take: past the timeout an update is cancelled
  // (CloudFormation rolls it back) and a create is deleted.
  WaitOptions wait;
  // Images built from the repository (see reconcile/images.h); no builder: `build:` without
  // `image:` is refused.
  ImageSettings images;
  // Wait up to images.wait for missing images in this call (the CLI); false: ask once and
  // report them missing (the controller re-checks later without holding a worker).
  bool wait_for_images = false;
  // Render the template even while images are missing, naming them by tag (`plan` shows
  // what would change); false: stop as soon as they are known missing.
  bool render_without_images = false;
  // Digests already seen; may be null.
  ImageDigestCache* image_cache = nullptr;
  // Replicas sharing the projects: Engine::Reconcile sends every write to CloudFormation
  // through a FencedCloudFormation asking this for the shard's fence now (renewals move it
  // on during a long run). Empty: writes are not fenced (one process owns every project, or
  // a command line run).
  FenceSource fence;
  // Manual approval: with approval.required, a change the operator has not approved is held
  // (see ReconcileReport::awaiting_approval), nothing is changed; one approved is applied
  // with the approval tags. Companion stacks (image builds) are not gated.
  ApprovalGate approval;
};

// What git says one project's stack should be at one revision.
struct Desired {
  std::string source;    // SourceId(repo, compose path)
  std::string revision;  // the commit
  bool present = false;  // false: the compose file is gone at this revision
  std::string stack_name;
  std::string template_body;  // compact JSON
  // SHA-256 of the template and, when the project has secrets, of their values too, so a
  // changed secret is an update. (Secret values themselves are never logged or tagged.)
  std::string template_sha;
  std::vector<aws::Parameter> parameters;  // NoEcho secret values for the template
  // Built images, as planned (see ResolveImages).
  std::vector<artifacts::ImageTarget> images;
  // The images CI has not pushed yet (tag references). Non-empty: this revision must not be
  // deployed; without render_without_images nothing after the images was rendered.
  std::vector<std::string> missing_images;
  // `dockerfile_inline` of the services that have one (the codebuild builder sends it with
  // the build; other builders need nothing but the tag).
  std::map<std::string, std::string> inline_dockerfiles;
  // The repository files each service's task receives (docs/files.md), one line per
  // service: "proxy: /etc/nginx/nginx.conf, config app_config (2,048 bytes inline)".
  std::vector<std::string> shipped_files;
  // Bundles too large to travel inline, which must be in the template bucket before the
  // stack changes (Reconciler uploads them; see cfn/task_files.h).
  // Keys in ReconcileOptions::template_bucket.
  std::vector<FileBundle> file_bundles;
};

// Fetches (unless options.commit is set), loads, resolves the network and converts.
// kInvalid for a bad compose file, a bad network or a template too large without a bucket
// (always before any write); git and AWS kinds for lookups. Warnings go to `sink`.
base::Result<Desired> RenderDesired(const ReconcileOptions& options, git::GitSource& git,
                                    const Targets& targets, const ProgressSink& sink);

// `ecsync convert`: compose files on disk, checked and converted as a deployment would.
struct LocalRender {
  std::vector<std::string> files;                  // in order, relative to the working directory
  std::string project_name;                        // overrides the files' `name:` when set
  std::map<std::string, std::string> environment;  // variables for interpolation
  cfn::ConvertOptions network;                     // what the flags name
  // Called once the files have loaded, when AWS may be asked for what `network` leaves open
  // (x-aws-vpc, x-aws-loadbalancer by name, the default VPC and its subnets). Empty: the
  // network stays as given, and a missing VPC and subnets become template parameters.
  std::function<base::Result<Targets>()> connect;
  bool yaml = false;  // the template as YAML instead of JSON
  // Services with `build:` run the image CI pushes for the work tree's HEAD, named by tag
  // (a deploy pins the digest); see PlanLocalImages.
  ImageSettings images;
};

// The template text. Each warning about the compose files goes to `warn` as one line.
base::Result<std::string> RenderLocal(const LocalRender& request,
                                      const std::function<void(const std::string&)>& warn);

// The images the compose files on disk build (every service with `build:`), named from the
// HEAD commit of the git work tree the first file is in: what `ecsync images` prints for CI
// to build and push. request.images.registry must be set. kNotFound outside a git work tree.
// Paths that differ from HEAD go to `warn` (they are not in the images named).
base::Result<std::vector<artifacts::ImageTarget>> PlanLocalImages(
    const LocalRender& request, const std::function<void(const std::string&)>& warn);

// A valid CloudFormation stack name from a compose project name: characters outside
// [A-Za-z0-9-] become '-', and a leading non-letter gets an "ecsync-" prefix.
std::string StackNameFor(const std::string& project_name);

// The project name a repository gives by default: its last path segment without ".git",
// lower-cased.
std::string RepoName(const std::string& url);

}  // namespace ecsync::reconcile
