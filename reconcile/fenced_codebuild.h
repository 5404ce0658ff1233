#pragma once

// The CodeBuild a replica starts image builds through for a project of a shard it holds
// (docs/high-availability.md), as FencedCloudFormation is for its stacks: StartBuild checks
// the fence just before the call, holds it while the call runs and carries the lease's epoch
// in its idempotency token; reads pass through, so a run whose lease ran out still follows a
// build it started.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aws/codebuild.h"
#include "base/clock.h"
#include "reconcile/fenced_cloudformation.h"

namespace ecsync::reconcile {

class FencedCodeBuild final : public aws::CodeBuild {
 public:
  // As FencedCloudFormation's. `inner` and `clock` must outlive this.
  FencedCodeBuild(aws::CodeBuild& inner, int64_t epoch, FenceSource source, base::Clock& clock)
      : inner_(inner), epoch_(epoch), source_(std::move(source)), clock_(clock) {}

  base::Result<aws::Build> StartBuild(const aws::StartBuildRequest& request) override;
  base::Result<aws::BuildBatch> BatchGetBuilds(const std::vector<std::string>& ids) override {
    return inner_.BatchGetBuilds(ids);
  }
  base::Result<std::vector<std::string>> RecentBuilds(const std::string& project) override {
    return inner_.RecentBuilds(project);
  }

 private:
  aws::CodeBuild& inner_;
  int64_t epoch_;
  FenceSource source_;
  base::Clock& clock_;
};

}  // namespace ecsync::reconcile
