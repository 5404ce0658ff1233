#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/result.h"

namespace ecsync::reconcile {

// The stacks ecsync manages (tagged ecsync:managed-by=ecsync), sorted by name; nested stacks
// (those with a ParentId, which carry their root's tags) are not listed.
base::Result<std::vector<aws::Stack>> ListManagedStacks(aws::CloudFormation& cfn);

// A listing younger than this is reused instead of listing again: many repositories moving
// at once (a restart) cost one listing, not one each.
inline constexpr std::chrono::milliseconds kListingReuse = std::chrono::seconds(5);

// A listing that takes long is reused for longer: at least kListingCostFactor times what the
// last one took, so listing takes at most about a tenth of the time however many stacks
// there are (10,000 stacks are 100 DescribeStacks pages), but never longer than
// kListingReuseLimit. The limit stays below the age at which the controller stops trusting
// a listing (ControllerDeps::snapshot_trust, 60 s), or a stretched listing would serve no one.
inline constexpr int kListingCostFactor = 10;
inline constexpr std::chrono::milliseconds kListingReuseLimit = std::chrono::seconds(30);

// The managed stacks from one listing, shared by every project of a cycle so that a project
// whose stack is up to date costs no further AWS call. Stacks this process changes are
// dropped from it at once (Forget), so only changes made elsewhere can be as old as the
// listing. Thread-safe.
class StackSnapshot {
 public:
  using Listing = std::map<std::string, aws::Stack>;

  // Both must outlive this.
  StackSnapshot(aws::CloudFormation& cfn, base::Clock& clock) : cfn_(cfn), clock_(clock) {}

  // Lists the managed stacks unless the listing is younger than `max_age` (stretched by the
  // last listing's cost, see kListingCostFactor; 0 always lists), or another caller is
  // listing already (its listing serves). A failed listing keeps the one before: runs then
  // ask for their own stack.
  void Refresh(std::chrono::milliseconds max_age);

  // The listing when it is younger than `max_age` (nullopt: of any age); null otherwise and
  // before the first listing. Copy on write: a listing handed out never changes.
  std::shared_ptr<const Listing> Get(std::optional<std::chrono::milliseconds> max_age) const;

  // `stack` may have changed: drops it from the listing, and a listing under way when this
  // is called is not kept (it may show the stack as it was).
  void Forget(const std::string& stack);

 private:
  // `max_age` stretched by the last listing's cost. Needs mu_.
  std::chrono::steady_clock::duration Stretched(std::chrono::milliseconds max_age) const;

  aws::CloudFormation& cfn_;
  base::Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const Listing> listing_;
  std::chrono::steady_clock::time_point taken_{};
  std::chrono::steady_clock::duration took_{};  // how long the last listing took
  bool refreshing_ = false;                     // a Refresh is listing
  uint64_t generation_ = 0;                     // bumped by Forget
};

}  // namespace ecsync::reconcile
