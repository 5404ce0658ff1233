#include "reconcile/stack_snapshot.h"

#include <algorithm>
#include <utility>

#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

base::Result<std::vector<aws::Stack>> ListManagedStacks(aws::CloudFormation& cfn) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> stacks, cfn.DescribeStacks());
  std::vector<aws::Stack> managed;
  for (auto& stack : stacks) {
    // A nested stack carries its root's tags but is part of the root's deployment: it is
    // never a project of its own (listed, pruned or reconciled).
    if (IsManaged(stack.tags) && stack.status != "DELETE_COMPLETE" && stack.parent_id.empty()) {
      managed.push_back(std::move(stack));
    }
  }
  std::sort(managed.begin(), managed.end(),
            [](const aws::Stack& a, const aws::Stack& b) { return a.name < b.name; });
  return managed;
}

void StackSnapshot::Refresh(std::chrono::milliseconds max_age) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (listing_ && clock_.SteadyNow() - taken_ < Stretched(max_age)) return;
    if (refreshing_) return;
    refreshing_ = true;
    generation = generation_;
  }
  auto taken = clock_.SteadyNow();
  auto stacks = ListManagedStacks(cfn_);
  std::lock_guard<std::mutex> lock(mu_);
  refreshing_ = false;
  took_ = clock_.SteadyNow() - taken;  // a failed listing costs as much time
  if (!stacks.ok()) return;
  if (generation != generation_) return;
  auto listing = std::make_shared<Listing>();
  for (aws::Stack& stack : *stacks) listing->emplace(stack.name, std::move(stack));
  listing_ = std::move(listing);
  taken_ = taken;
}

std::chrono::steady_clock::duration StackSnapshot::Stretched(
    std::chrono::milliseconds max_age) const {
  if (max_age <= std::chrono::milliseconds(0) || max_age >= kListingReuseLimit) return max_age;
  return std::clamp<std::chrono::steady_clock::duration>(took_ * kListingCostFactor, max_age,
                                                         kListingReuseLimit);
}

std::shared_ptr<const StackSnapshot::Listing> StackSnapshot::Get(
    std::optional<std::chrono::milliseconds> max_age) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_age && clock_.SteadyNow() - taken_ >= *max_age) return nullptr;
  return listing_;
}

void StackSnapshot::Forget(const std::string& stack) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  if (!listing_ || !listing_->contains(stack)) return;
  auto copy = std::make_shared<Listing>(*listing_);
  copy->erase(stack);
  listing_ = std::move(copy);
}

}  // namespace ecsync::reconcile
