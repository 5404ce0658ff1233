#include "reconcile/engine.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "reconcile/approval_gate.h"
#include "reconcile/fenced_cloudformation.h"
#include "reconcile/fenced_codebuild.h"
#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

Engine::Engine(Targets targets, base::Clock& clock)
    : targets_(std::move(targets)),
      clock_(clock),
      network_(targets_.ec2),
      listing_(*targets_.cloudformation, clock) {}

base::Status Engine::Fenced(const FenceSource& source,
                            std::optional<FencedCloudFormation>* fenced) {
  const std::optional<base::Fence> start = source();
  if (!start) {
    return base::TransientError(
        "this replica does not hold the lease of the project's shard; not writing");
  }
  fenced->emplace(*targets_.cloudformation, start->epoch, source, clock_);
  return base::Status::Ok();
}

base::Result<StackDetails> Engine::DescribeStack(const std::string& stack, size_t max_events) {
  return DescribeStackDetails(*targets_.cloudformation, stack, max_events);
}

void Engine::RefreshListing(std::chrono::milliseconds max_age) { listing_.Refresh(max_age); }

base::Result<ReconcileReport> Engine::Reconcile(
    ReconcileOptions options, git::GitSource& git, ProgressSink sink,
    std::optional<std::chrono::milliseconds> listing_trust) {
  std::shared_ptr<const StackSnapshot::Listing> listing = listing_.Get(listing_trust);
  options.snapshot = listing.get();
  options.image_cache = &image_digests_;
  base::Result<ReconcileReport> result = [&]() -> base::Result<ReconcileReport> {
    ECSYNC_ASSIGN_OR_RETURN(options.network, network_.Resolve(options.network));
    // A fenced run writes through a FencedCloudFormation; everything else is shared.
    Targets targets = targets_;
    std::optional<FencedCloudFormation> fenced;
    std::optional<FencedCodeBuild> fenced_builds;
    if (options.fence) {
      ECSYNC_RETURN_IF_ERROR(Fenced(options.fence, &fenced));
      targets.cloudformation = &*fenced;
      if (targets.codebuild != nullptr) {
        fenced_builds.emplace(*targets.codebuild, fenced->epoch(), options.fence, clock_);
        targets.codebuild = &*fenced_builds;
      }
    }
    Reconciler reconciler(git, targets, clock_, std::move(sink));
    return reconciler.Reconcile(options);
  }();
  // This run may have changed the stack: later runs must not trust the listing for it.
  if (!result.ok() || result->action != Action::kNone) listing_.Forget(options.stack_name);
  return result;
}

base::Result<DriftReport> Engine::DetectDrift(const std::string& stack, const WaitOptions& wait) {
  return reconcile::DetectDrift(*targets_.cloudformation, clock_, stack, wait);
}

base::Result<ApprovalReport> Engine::Approve(const std::string& stack, const std::string& service,
                                             bool rollback) {
  return ApproveDeployments(targets_, stack, service, rollback);
}

base::Result<std::vector<std::string>> Engine::DeployedRevisions(const std::string& repo_url) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> managed,
                          ListManagedStacks(*targets_.cloudformation));
  std::set<std::string> revisions;
  for (const aws::Stack& stack : managed) {
    if (!SourcePathIn(stack.tags, repo_url)) continue;
    const std::string revision = TagValue(stack.tags, kTagRevision);
    if (!revision.empty()) revisions.insert(revision);
  }
  return std::vector<std::string>(revisions.begin(), revisions.end());
}

base::Status Engine::DiscardChangeSet(const std::string& stack, const std::string& change_set) {
  base::Status deleted = targets_.cloudformation->DeleteChangeSet(change_set, stack);
  if (!deleted.ok() && deleted.kind() == base::ErrorKind::kNotFound) return base::Status::Ok();
  return deleted;
}

base::Result<std::vector<aws::Stack>> Engine::ManagedFrom(const std::string& source_prefix) {
  auto from = [&source_prefix](const aws::Stack& stack) {
    auto tag = stack.tags.find(kTagSource);
    return tag != stack.tags.end() && tag->second.starts_with(source_prefix);
  };
  std::vector<aws::Stack> managed;
  std::shared_ptr<const StackSnapshot::Listing> listing = listing_.Get(std::nullopt);
  if (listing && !listing->empty()) {
    for (const auto& [name, stack] : *listing) {
      if (from(stack)) managed.push_back(stack);
    }
    return managed;
  }
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> listed,
                          ListManagedStacks(*targets_.cloudformation));
  for (aws::Stack& stack : listed) {
    if (from(stack)) managed.push_back(std::move(stack));
  }
  return managed;
}

base::Result<PlannedRemoval> Engine::PlanRemoval(const std::string& repo_url,
                                                 const std::string& compose_path) {
  const std::string source = SourceId(repo_url, compose_path);
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> managed, ManagedFrom(source));
  std::vector<aws::Stack> stacks;
  for (aws::Stack& stack : managed) {
    if (stack.parent_id.empty() && TagValue(stack.tags, kTagSource) == source) {
      stacks.push_back(std::move(stack));
    }
  }
  // A companion's name is its project's stack's name and a suffix: the shortest comes first.
  std::sort(stacks.begin(), stacks.end(), [](const aws::Stack& a, const aws::Stack& b) {
    return std::make_pair(a.name.size(), a.name) < std::make_pair(b.name.size(), b.name);
  });
  PlannedRemoval plan;
  if (stacks.empty()) return plan;
  plan.status = stacks.front().status;
  for (const aws::Stack& stack : stacks) plan.stacks.push_back(stack.name);
  ECSYNC_ASSIGN_OR_RETURN(plan.changes, RemovalChanges(*targets_.cloudformation, stacks));
  return plan;
}

base::Result<PruneReport> Engine::PruneRepository(const RepositoryPrune& request, bool* listed) {
  *listed = true;
  // The listing this cycle took (stacks created since belong to desired projects, and
  // deleting a stack that is already gone is harmless).
  if (request.refresh_listing) listing_.Refresh(kListingReuse);
  // PruneCandidates matches the same prefix (SourceId values start with "<url>#").
  base::Result<std::vector<aws::Stack>> listed_stacks = ManagedFrom(request.repo_url + "#");
  if (!listed_stacks.ok()) {
    *listed = false;
    return listed_stacks.status();
  }
  const std::vector<aws::Stack>& managed = *listed_stacks;
  PruneOptions options;
  options.repo_url = request.repo_url;
  for (const std::string& path : request.desired_paths) {
    options.desired_sources.insert(SourceId(request.repo_url, path));
  }
  options.allow_delete_all = request.allow_delete_all;
  options.revision = request.revision;
  options.wait = request.wait;
  if (request.keep) {
    options.keep = [&request](const aws::Stack& stack) {
      std::optional<std::string> path = SourcePathIn(stack.tags, request.repo_url);
      return path ? request.keep(*path) : std::nullopt;
    };
  }
  std::optional<FencedCloudFormation> fenced;
  if (request.fence) ECSYNC_RETURN_IF_ERROR(Fenced(request.fence, &fenced));
  auto pruned = Prune(fenced ? *fenced : *targets_.cloudformation, clock_, {}, managed, options);
  if (pruned.ok()) {
    for (const ReconcileReport& deleted : pruned->deleted) listing_.Forget(deleted.stack_name);
  }
  return pruned;
}

}  // namespace ecsync::reconcile
