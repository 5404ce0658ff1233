#pragma once

// The CloudFormation a replica writes through for a project of a shard it holds
// (docs/high-availability.md): every write first checks the fence against the steady clock,
// just before the call, and carries the lease's epoch in its idempotency token
// (base::FencedToken). Reads pass through, so a replica that lost its lease still waits on
// (and reports) an operation it started. A stack a new owner finds *_IN_PROGRESS is waited
// on by the reconciler, never acted on: that is how a deploy in progress is adopted.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "base/clock.h"
#include "base/fence.h"

namespace ecsync::reconcile {

// The fence of a project's shard now: nullopt once this replica no longer holds it.
using FenceSource = std::function<std::optional<base::Fence>()>;

// The fence `source` answers now, for a write to hold while its call runs (see
// base::Fence::hold), when it has `epoch` and has not expired on `clock`. Otherwise
// kTransient, naming the epoch: nothing may be sent, and the shard's next owner (this replica
// or another) reconciles the project again.
base::Result<base::Fence> CheckFence(const FenceSource& source, int64_t epoch, base::Clock& clock);

class FencedCloudFormation final : public aws::CloudFormation {
 public:
  // Writes with `epoch` (the fence the run started with) while `source` answers a fence of
  // that epoch that has not expired on `clock`. `inner` and `clock` must outlive this.
  FencedCloudFormation(aws::CloudFormation& inner, int64_t epoch, FenceSource source,
                       base::Clock& clock)
      : inner_(inner), epoch_(epoch), source_(std::move(source)), clock_(clock) {}

  // CheckFence with this writer's epoch.
  base::Result<base::Fence> Check() const { return CheckFence(source_, epoch_, clock_); }
  int64_t epoch() const { return epoch_; }

  // Writes: checked, with fenced tokens.
  base::Result<std::string> CreateStack(const aws::CreateStackRequest& request) override;
  base::Status UpdateStack(const aws::UpdateStackRequest& request) override;
  base::Status DeleteStack(const std::string& name, const std::string& token) override;
  base::Result<std::string> CreateChangeSet(const aws::CreateChangeSetRequest& request) override;
  base::Status ExecuteChangeSet(const std::string& change_set, const std::string& stack_name,
                                const std::string& token) override;
  base::Status DeleteChangeSet(const std::string& change_set,
                               const std::string& stack_name) override;
  base::Status ContinueUpdateRollback(const std::string& name,
                                      const std::vector<std::string>& resources_to_skip,
                                      const std::string& token) override;
  base::Status CancelUpdateStack(const std::string& name, const std::string& token) override;
  base::Status UpdateTerminationProtection(const std::string& name, bool enable) override;

  // Reads: passed through.
  base::Result<aws::Stack> DescribeStack(const std::string& name) override {
    return inner_.DescribeStack(name);
  }
  base::Result<std::vector<aws::Stack>> DescribeStacks() override {
    return inner_.DescribeStacks();
  }
  base::Result<std::vector<aws::StackEvent>> DescribeStackEvents(const std::string& name) override {
    return inner_.DescribeStackEvents(name);
  }
  base::Result<aws::ChangeSet> DescribeChangeSet(const std::string& change_set,
                                                 const std::string& stack_name) override {
    return inner_.DescribeChangeSet(change_set, stack_name);
  }
  base::Result<std::vector<aws::StackResource>> DescribeStackResources(
      const std::string& name) override {
    return inner_.DescribeStackResources(name);
  }
  base::Result<std::string> GetTemplate(const std::string& name) override {
    return inner_.GetTemplate(name);
  }
  base::Result<aws::TemplateValidation> ValidateTemplate(const std::string& body_or_url) override {
    return inner_.ValidateTemplate(body_or_url);
  }
  // Starts a detection, which changes no stack.
  base::Result<std::string> DetectStackDrift(const std::string& name) override {
    return inner_.DetectStackDrift(name);
  }
  base::Result<aws::DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& detection_id) override {
    return inner_.DescribeStackDriftDetectionStatus(detection_id);
  }
  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override {
    return inner_.DescribeStackResourceDrifts(name);
  }

 private:
  // `token` with the epoch; "" stays "" (the call then has no token).
  std::string Fenced(const std::string& token) const;

  aws::CloudFormation& inner_;
  int64_t epoch_;
  FenceSource source_;
  base::Clock& clock_;
};

}  // namespace ecsync::reconcile
