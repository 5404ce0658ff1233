#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"
#include "reconcile/progress.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_waiter.h"

namespace ecsync::reconcile {

// Which managed stacks of one repository may go, given what one revision of it deploys.
struct PruneOptions {
  // Stacks whose ecsync:source is SourceId(repo_url, <any path>) belong to the repository.
  std::string repo_url;
  // The sources of every project the revision deploys; their stacks are never pruned.
  std::set<std::string> desired_sources;
  // Per-project opt-out: a stack for which this returns a reason is kept (reported as
  // "stack <name> was kept: <reason>", not deleted); nullopt lets it go. May be empty.
  std::function<std::optional<std::string>(const aws::Stack&)> keep;
  // When the revision deploys nothing at all while stacks exist, a mistake (an emptied
  // folder, a wrong branch) is more likely than intent: pruning refuses unless this is set.
  bool allow_delete_all = false;
  std::string revision;  // for messages and idempotency tokens
  WaitOptions wait;
};

struct PruneReport {
  std::vector<ReconcileReport> deleted;  // one per stack deleted (or whose delete failed)
  // A stack that would be pruned but was kept, and why: the opt-out, termination protection
  // (which ecsync never turns off) or CloudFormation's refusal.
  struct Kept {
    std::string stack;
    std::string message;
  };
  std::vector<Kept> kept;
};

// The stacks of `managed` (ListManagedStacks) that belong to `options.repo_url` and are not
// desired any more. Pure: no AWS call.
std::vector<aws::Stack> PruneCandidates(const std::vector<aws::Stack>& managed,
                                        const PruneOptions& options);

// Deletes the prune candidates, one at a time, waiting for each. kConflict (and nothing
// deleted) when every stack of the repository would go and allow_delete_all is false.
base::Result<PruneReport> Prune(aws::CloudFormation& cfn, base::Clock& clock,
                                const ProgressSink& sink, const std::vector<aws::Stack>& managed,
                                const PruneOptions& options);

}  // namespace ecsync::reconcile
