#pragma once

#include <map>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"
#include "cfn/convert.h"
#include "git/source.h"
#include "reconcile/progress.h"
#include "reconcile/stack_waiter.h"

namespace ecsync::reconcile {

// One project: a compose file on a branch of a repository, deployed as one stack.
struct ReconcileOptions {
  std::string repo_url;
  std::string ref = "main";
  std::string compose_path = "compose.yaml";  // relative to the repository root
  std::string stack_name;    // default: derived from the compose project name
  std::string project_name;  // overrides the compose file's `name:` when set
  // VPC and subnets for the template; looked up through Ec2 (default VPC) when empty.
  cfn::ConvertOptions network;
  std::map<std::string, std::string> environment;  // variables for interpolation
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

// Makes one project's stack match one commit. Not thread-safe; the caller guarantees at
// most one Reconcile per stack at a time.
class Reconciler {
 public:
  // `ec2` may be null when options always carry the network.
  Reconciler(git::GitSource& git, aws::CloudFormation& cfn, aws::Ec2* ec2, base::Clock& clock,
             ProgressSink sink);

  // Fetches, loads, converts, compares and applies. Error kinds: kInvalid for a bad compose
  // file or configuration (nothing was changed), kConflict when the stack belongs to
  // someone else, kThrottled/kTransient/kNotFound for git and AWS trouble.
  base::Result<ReconcileReport> Reconcile(const ReconcileOptions& options);

 private:
  base::Result<ReconcileReport> DeleteOwnedStacks(const ReconcileOptions& options,
                                                  const std::string& source,
                                                  const std::string& revision);
  base::Result<ReconcileReport> Apply(const ReconcileOptions& options, const std::string& source,
                                      const std::string& revision, const std::string& stack_name,
                                      const std::string& template_body);
  base::Result<ReconcileReport> Create(const ReconcileOptions& options,
                                       const std::map<std::string, std::string>& tags,
                                       const std::string& stack_name,
                                       const std::string& template_body);
  base::Result<ReconcileReport> Update(const ReconcileOptions& options,
                                       const std::map<std::string, std::string>& tags,
                                       const aws::Stack& stack, const std::string& template_body);
  base::Result<ReconcileReport> Delete(const ReconcileOptions& options, const aws::Stack& stack,
                                       const std::string& revision);
  base::Result<cfn::ConvertOptions> ResolveNetwork(const ReconcileOptions& options);
  void Say(const std::string& line) const;

  git::GitSource& git_;
  aws::CloudFormation& cfn_;
  aws::Ec2* ec2_;
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
