#include "reconcile/engine.h"

#include <utility>
#include <vector>

#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

Engine::Engine(Targets targets, base::Clock& clock)
    : targets_(std::move(targets)),
      clock_(clock),
      network_(targets_.ec2),
      listing_(*targets_.cloudformation, clock) {}

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
    Reconciler reconciler(git, targets_, clock_, std::move(sink));
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

base::Status Engine::DiscardChangeSet(const std::string& stack, const std::string& change_set) {
  base::Status deleted = targets_.cloudformation->DeleteChangeSet(change_set, stack);
  if (!deleted.ok() && deleted.kind() == base::ErrorKind::kNotFound) return base::Status::Ok();
  return deleted;
}

base::Result<PruneReport> Engine::PruneRepository(const RepositoryPrune& request, bool* listed) {
  *listed = true;
  // The listing this cycle took (stacks created since belong to desired projects, and
  // deleting a stack that is already gone is harmless).
  if (request.refresh_listing) listing_.Refresh(kListingReuse);
  std::vector<aws::Stack> managed;
  if (auto listing = listing_.Get(std::nullopt)) {
    for (const auto& [name, stack] : *listing) managed.push_back(stack);
  }
  if (managed.empty()) {
    auto fresh = ListManagedStacks(*targets_.cloudformation);
    if (!fresh.ok()) {
      *listed = false;
      return fresh.status();
    }
    managed = std::move(*fresh);
  }
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
      return path.has_value() && request.keep(*path);
    };
  }
  auto pruned = Prune(*targets_.cloudformation, clock_, {}, managed, options);
  if (pruned.ok()) {
    for (const ReconcileReport& deleted : pruned->deleted) listing_.Forget(deleted.stack_name);
  }
  return pruned;
}

}  // namespace ecsync::reconcile
