#pragma once

#include <map>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "aws/ecs.h"
#include "aws/efs.h"
#include "aws/elbv2.h"
#include "aws/s3.h"
#include "base/clock.h"
#include "base/result.h"
#include "cfn/convert.h"
#include "git/source.h"
#include "reconcile/progress.h"
#include "reconcile/project_network.h"
#include "reconcile/stack_waiter.h"

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
  // Reconciler::UseS3): s3://<template_bucket>/<template_prefix><stack>/<sha256>.json, passed
  // as TemplateURL. Empty: such templates are refused (kInvalid) before any write.
  std::string template_bucket;
  std::string template_prefix = "ecsync/";
  std::map<std::string, std::string> environment;  // variables for interpolation
  // How long to poll and how long a deploy may take: past the timeout an update is cancelled
  // (CloudFormation rolls it back) and a create is deleted.
  WaitOptions wait;
};

enum class Action { kNone, kCreate, kUpdate, kDelete };
const char* ActionName(Action action);

// What a reconcile did. A deploy that CloudFormation rejected or rolled back is a report
// with succeeded == false, not an error: the error path is for things that prevented
// deciding or acting (bad compose file, unreachable git or AWS).
struct ReconcileReport {
  Action action = Action::kNone;
  bool succeeded = true;
  std::string stack_name;
  std::string revision;       // the commit reconciled
  std::string final_status;   // the stack's terminal status after acting; empty for kNone
  std::string message;        // one line for humans
  std::vector<FailedResource> failures;
};

// What a reconcile would do, without doing it.
struct PlanReport {
  Action action = Action::kNone;
  std::string stack_name;
  std::string revision;
  std::string reason;  // one line for humans
  // Resource changes: from a change set for updates, every resource for creates and deletes.
  std::vector<aws::ResourceChange> changes;
  // Template lines that differ (updates only); see DiffTemplates.
  std::vector<std::string> template_diff;
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
};

// The S3 key a large template is stored under: <prefix><stack>/<sha256 of the body>.json.
// Content-addressed, so uploading the same template again changes nothing.
std::string TemplateKey(const std::string& prefix, const std::string& stack,
                        const std::string& template_body);

// Makes one project's stack match one commit. Not thread-safe; the caller guarantees at
// most one Reconcile per stack at a time.
class Reconciler {
 public:
  // `ec2` may be null when options always carry the network.
  Reconciler(git::GitSource& git, aws::CloudFormation& cfn, aws::Ec2* ec2, base::Clock& clock,
             ProgressSink sink);

  // Fetches, loads, converts, compares and applies. Error kinds: kInvalid for a bad compose
  // file or configuration (nothing was changed), kConflict when the stack belongs to
  // someone else, kThrottled/kTransient/kNotFound for git and AWS trouble; kTransient
  // also when waiting was interrupted (the stack's operation goes on; a rerun resumes it).
  base::Result<ReconcileReport> Reconcile(const ReconcileOptions& options);

  // Lets waits end early when a service's new tasks keep stopping (see CrashDetector): a
  // create is then deleted and an update cancelled. Not owned; null turns it off.
  void WatchForCrashes(aws::Ecs* ecs) { ecs_ = ecs; }

  // Holds the target to CloudFormation's 51,200-byte TemplateBody limit: larger templates
  // are uploaded through `s3` to ReconcileOptions::template_bucket and passed by URL, or
  // refused when no bucket is set. Not owned. Without it (or with null: the stack-files
  // target, which has no S3 and no limit) every template is sent inline.
  void UseS3(aws::S3* s3) { s3_ = s3; }

  // Resolves x-aws-loadbalancer (by name or ARN) before converting, so that the listeners
  // match the load balancer's type and the services its VPC (see LookUpLoadBalancer). Not
  // owned. Without it an ARN is taken as it is and a name is refused.
  void UseElbv2(aws::Elbv2* elbv2) { elbv2_ = elbv2; }

  // Re-attaches the EFS file systems an earlier deployment of the project retained (see
  // AddRetainedFileSystems), so a stack deleted and created again finds its data. Not owned.
  // Without it every named volume not in the stack gets a new file system.
  void UseEfs(aws::Efs* efs) { efs_ = efs; }

  // Computes what Reconcile would do. The only writes are a change set that is deleted again
  // and, for a template too large to send inline, its upload to S3 (see UseS3).
  base::Result<PlanReport> Plan(const ReconcileOptions& options);

 private:
  base::Result<Desired> Render(const ReconcileOptions& options);
  // Sets exactly one of *body and *url for `desired`'s template, uploading it to S3 first
  // when it is too large to send inline. REQUIRES: Render accepted `desired` (so a bucket is
  // set when one is needed).
  base::Status PlaceTemplate(const ReconcileOptions& options, const Desired& desired,
                             std::string* body, std::string* url);
  // The managed stacks whose ecsync:source is `source` (and named `only` when non-empty).
  base::Result<std::vector<aws::Stack>> OwnedStacks(const std::string& source,
                                                    const std::string& only);
  // The stack named desired.stack_name when it exists and is ours; nullopt when absent.
  base::Result<std::optional<aws::Stack>> OwnStack(const Desired& desired);

  base::Result<ReconcileReport> Apply(const ReconcileOptions& options, const Desired& desired);
  base::Result<ReconcileReport> Create(const ReconcileOptions& options, const Desired& desired);
  base::Result<ReconcileReport> Update(const ReconcileOptions& options, const Desired& desired,
                                       const aws::Stack& stack);
  base::Result<ReconcileReport> Delete(const ReconcileOptions& options, const aws::Stack& stack,
                                       const std::string& revision);
  base::Result<ReconcileReport> DeleteOwnedStacks(const ReconcileOptions& options,
                                                  const Desired& desired);
  std::map<std::string, std::string> Tags(const Desired& desired) const;
  void Say(const std::string& stack, const std::string& line) const;

  git::GitSource& git_;
  aws::CloudFormation& cfn_;
  aws::Ec2* ec2_;
  aws::Ecs* ecs_ = nullptr;
  aws::S3* s3_ = nullptr;
  aws::Elbv2* elbv2_ = nullptr;
  aws::Efs* efs_ = nullptr;
  base::Clock& clock_;
  ProgressSink sink_;
};

// `ecsync down`: deletes one stack ecsync manages and waits for it to go. kNotFound when it
// does not exist; kConflict when ecsync did not create it (it is never touched then).
base::Result<ReconcileReport> Down(aws::CloudFormation& cfn, base::Clock& clock, ProgressSink sink,
                                   const std::string& stack_name, const WaitOptions& wait);

// Deletes `stack` (a managed stack) and waits; the report says whether it went.
base::Result<ReconcileReport> DeleteAndWait(aws::CloudFormation& cfn, base::Clock& clock,
                                            const ProgressSink& sink, const aws::Stack& stack,
                                            const std::string& revision, const WaitOptions& wait);

// The stacks ecsync manages (tagged ecsync:managed-by=ecsync), sorted by name.
base::Result<std::vector<aws::Stack>> ListManagedStacks(aws::CloudFormation& cfn);

// A valid CloudFormation stack name from a compose project name: characters outside
// [A-Za-z0-9-] become '-', and a leading non-letter gets an "ecsync-" prefix.
std::string StackNameFor(const std::string& project_name);

// The project name a repository gives by default: its last path segment without ".git",
// lower-cased.
std::string RepoName(const std::string& url);

}  // namespace ecsync::reconcile
