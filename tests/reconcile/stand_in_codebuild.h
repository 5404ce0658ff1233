#pragma once

// A CodeBuild in front of the real client (moto) for what no emulator does: a docker build
// that fails. Used by the codebuild builder's tests.

#include <string>
#include <vector>

#include "aws/codebuild.h"

namespace ecsync::reconcile {

// Forwards to the real client, counting starts; with fail_in_build, a build that reaches
// BUILD fails there as a docker build that exits 1 does in CodeBuild.
class StandInCodeBuild : public aws::CodeBuild {
 public:
  explicit StandInCodeBuild(aws::CodeBuild& real) : real_(real) {}

  base::Result<aws::Build> StartBuild(const aws::StartBuildRequest& request) override {
    ++starts;
    last_request = request;
    return real_.StartBuild(request);
  }

  base::Result<aws::BuildBatch> BatchGetBuilds(const std::vector<std::string>& ids) override {
    ECSYNC_ASSIGN_OR_RETURN(aws::BuildBatch batch, real_.BatchGetBuilds(ids));
    if (!fail_in_build) return batch;
    for (aws::Build& build : batch.builds) {
      for (size_t i = 0; i < build.phases.size(); ++i) {
        if (build.phases[i].type != "BUILD") continue;
        build.phases[i].status = "FAILED";
        build.phases[i].contexts = {{"COMMAND_EXECUTION_ERROR",
                                     "Error while executing command: docker build. Reason: exit "
                                     "status 1"}};
        build.phases.resize(i + 1);
        build.phases.push_back({"FINALIZING", "SUCCEEDED", {}});
        build.phases.push_back({"COMPLETED", "", {}});
        build.status = "FAILED";
        build.current_phase = "COMPLETED";
        build.complete = true;
      }
    }
    return batch;
  }

  base::Result<std::vector<std::string>> RecentBuilds(const std::string& project) override {
    return real_.RecentBuilds(project);
  }

  int starts = 0;
  aws::StartBuildRequest last_request;
  bool fail_in_build = false;

 private:
  aws::CodeBuild& real_;
};

}  // namespace ecsync::reconcile
