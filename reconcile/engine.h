#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "git/source.h"
#include "reconcile/deployment_approval.h"
#include "reconcile/drift.h"
#include "reconcile/fenced_cloudformation.h"
#include "reconcile/images.h"
#include "reconcile/network_resolver.h"
#include "reconcile/progress.h"
#include "reconcile/prune.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_details.h"
#include "reconcile/stack_snapshot.h"
#include "reconcile/targets.h"

namespace ecsync::reconcile {

// Which stacks of one repository a revision no longer deploys, and what to do about them.
struct RepositoryPrune {
  std::string repo_url;
  // The compose path (first file) of every project the revision deploys.
  std::set<std::string> desired_paths;
  // A reason keeps the stack deployed from this compose path (see PruneOptions::keep);
  // nullopt lets it go. May be empty.
  std::function<std::optional<std::string>(const std::string& compose_path)> keep;
  bool allow_delete_all = false;  // see PruneOptions
  std::string revision;
  WaitOptions wait;
  // List the stacks first unless the listing is recent (kListingReuse); false: use the
  // listing as it is (a one-shot run lists once at its start).
  bool refresh_listing = true;
  // Deletes obey this fence (see ReconcileOptions::fence); empty: unfenced.
  FenceSource fence;
};

// What deleting the stacks deployed from one compose path would remove: the plan of a prune
// waiting for an operator (approval: manual).
struct PlannedRemoval {
  // The project's stack first, then its companions (`<stack>-builds`); empty when none is
  // deployed from the path.
  std::vector<std::string> stacks;
  std::string status;                        // the project's stack's status
  std::vector<aws::ResourceChange> changes;  // every resource of those stacks, as a Remove
};

// The reconcile side of a long-running controller, built once per process: one Targets
// bundle, the network the configuration names (looked up once, again when it changes; see
// NetworkResolver), and the stack listing every run shares (StackSnapshot). It reconciles
// projects, checks drift and prunes repositories; the caller schedules them. Thread-safe;
// the caller runs at most one operation per stack at a time.
class Engine {
 public:
  // `clock` must outlive this.
  Engine(Targets targets, base::Clock& clock);

  // Keeps the image digests it learns in `path` (see ImageDigestCache::PersistTo).
  void PersistImageDigests(const std::string& path) { image_digests_.PersistTo(path); }

  // Lists the managed stacks for the runs that follow, unless the listing is younger than
  // `max_age` (see StackSnapshot::Refresh).
  void RefreshListing(std::chrono::milliseconds max_age = kListingReuse);

  // One project to one revision. options.network is the configured network (completed here,
  // see NetworkResolver) and options.snapshot is set here: the listing when it is younger
  // than `listing_trust` (nullopt: of any age). The errors of Reconciler::Reconcile, and
  // those of the network lookup before anything else is done. A run that may have changed
  // its stack drops it from the listing.
  base::Result<ReconcileReport> Reconcile(ReconcileOptions options, git::GitSource& git,
                                          ProgressSink sink,
                                          std::optional<std::chrono::milliseconds> listing_trust);

  // `stack`'s resources and `max_events` newest events (see DescribeStackDetails).
  base::Result<StackDetails> DescribeStack(const std::string& stack, size_t max_events);

  // See reconcile::DetectDrift.
  base::Result<DriftReport> DetectDrift(const std::string& stack, const WaitOptions& wait);

  // Approves (or, with `rollback`, rejects) the deployments of `stack` waiting for a manual
  // approval; `service` empty: every service with approval. See ApproveDeployments.
  base::Result<ApprovalReport> Approve(const std::string& stack, const std::string& service,
                                       bool rollback);

  // Deletes change set `change_set` of `stack` (a change set waiting for approval that was
  // rejected or superseded). One already gone is not an error.
  base::Status DiscardChangeSet(const std::string& stack, const std::string& change_set);

  // Deletes the repository's managed stacks that `request` no longer deploys (see Prune),
  // from the listing (listing now when it is empty). *listed is false, with the error, when
  // the stacks could not be listed (nothing was tried); true otherwise.
  base::Result<PruneReport> PruneRepository(const RepositoryPrune& request, bool* listed);

  // The managed root stacks deployed from `compose_path` of repository `repo_url` (from the
  // listing, listing now when it is empty) and what deleting them removes. The errors of
  // listing and of DescribeStackResources.
  base::Result<PlannedRemoval> PlanRemoval(const std::string& repo_url,
                                           const std::string& compose_path);

  // The distinct ecsync:revision values of the managed stacks whose ecsync:source names
  // repository `repo_url` (from a fresh listing of every managed stack): what a controller
  // that just started has deployed from it. An error when the stacks cannot be listed.
  base::Result<std::vector<std::string>> DeployedRevisions(const std::string& repo_url);

 private:
  // Makes *fenced the CloudFormation a fenced run writes through, with the epoch `source`
  // answers now; kTransient when it answers none.
  base::Status Fenced(const FenceSource& source, std::optional<FencedCloudFormation>* fenced);
  // The managed stacks whose ecsync:source starts with `source_prefix` (a repository's
  // "<url>#", or one project's whole source), from the listing, or from a new listing when
  // it holds none. Only those are copied: a prune pass per repository over a listing of
  // 10,000 stacks that copied them all cost more CPU than everything else a restart does.
  base::Result<std::vector<aws::Stack>> ManagedFrom(const std::string& source_prefix);

  Targets targets_;
  base::Clock& clock_;
  NetworkResolver network_;
  StackSnapshot listing_;
  ImageDigestCache image_digests_;
};

}  // namespace ecsync::reconcile
