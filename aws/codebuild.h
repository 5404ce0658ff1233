#pragma once

// AWS CodeBuild as the `codebuild` image builder drives it: start one build of an existing
// project with per-build overrides, and read builds back to follow their phases.

#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "base/result.h"

namespace ecsync::aws {

// The CodeBuild API's service description (JSON 1.1, CodeBuild_20161006); its endpoint
// honours AWS_ENDPOINT_URL_CODEBUILD and AWS_ENDPOINT_URL like every other service.
extern const ServiceInfo kCodeBuildService;

// One environment variable of a build. `type` is PLAINTEXT, PARAMETER_STORE or
// SECRETS_MANAGER; ecsync sends only PLAINTEXT values, and never secrets.
struct CodeBuildVariable {
  std::string name;
  std::string value;
  std::string type = "PLAINTEXT";
};

struct StartBuildRequest {
  std::string project_name;
  // With source_type "S3", "<bucket>/<key>" of a ZIP archive; empty: the project's source.
  std::string source_type;
  std::string source_location;
  std::vector<CodeBuildVariable> environment;  // added to (and overriding) the project's
  std::string buildspec;                       // empty: the project's buildspec
  // The same token within five minutes starts no second build (CodeBuild answers the first
  // one); with other parameters it is refused (kInvalid). Empty: none sent.
  std::string idempotency_token;
};

// A status context of a phase: why it ended as it did (e.g. COMMAND_EXECUTION_ERROR).
struct BuildPhaseContext {
  std::string status_code;
  std::string message;
};

struct BuildPhase {
  std::string type;    // SUBMITTED, QUEUED, PROVISIONING, ..., BUILD, POST_BUILD, COMPLETED
  std::string status;  // SUCCEEDED | FAILED | FAULT | TIMED_OUT | IN_PROGRESS | STOPPED; ""
                       // while the phase runs (CodeBuild leaves it out)
  std::vector<BuildPhaseContext> contexts;
};

// Where a build's output went. Any field may be empty (logs turned off, or not yet made).
struct BuildLogs {
  std::string group_name;
  std::string stream_name;
  std::string deep_link;  // the console URL of the stream
};

struct Build {
  std::string id;  // "<project>:<uuid>"
  std::string
      status;  // buildStatus: IN_PROGRESS | SUCCEEDED | FAILED | FAULT | TIMED_OUT | STOPPED
  std::string current_phase;
  bool complete = false;           // buildComplete
  std::vector<BuildPhase> phases;  // in the order they ran
  BuildLogs logs;
  std::vector<CodeBuildVariable> environment;  // the build's variables, overrides included

  bool finished() const { return complete || (!status.empty() && status != "IN_PROGRESS"); }
};

struct BuildBatch {
  std::vector<Build> builds;
  std::vector<std::string> not_found;  // the IDs CodeBuild does not know
};

// The CodeBuild calls the image builder needs. A seam: tests put a stand-in in front of the
// real client for what no emulator does (a build that fails in a given phase).
// Implementations are thread-safe.
class CodeBuild {
 public:
  virtual ~CodeBuild() = default;
  // Starts a build; returns it as CodeBuild reports it at once (usually QUEUED).
  // Errors: kNotFound when the project does not exist; kInvalid for a refused request
  // (a bad override, an idempotency token reused with other parameters, AccessDenied);
  // kThrottled/kTransient (AccountLimitExceeded counts as throttled: too many builds run).
  virtual base::Result<Build> StartBuild(const StartBuildRequest& request) = 0;
  // The builds with `ids` (at most 100 per call are sent; more are split). Unknown IDs are
  // listed in not_found, not an error.
  virtual base::Result<BuildBatch> BatchGetBuilds(const std::vector<std::string>& ids) = 0;
  // The IDs of the project's most recent builds, newest first: one page (at most 100), not
  // every build it ever ran. kNotFound when the project does not exist.
  virtual base::Result<std::vector<std::string>> RecentBuilds(const std::string& project) = 0;
};

// CodeBuild over the AWS API, with `client`'s credentials, region, retries and rate limit.
class CodeBuildClient final : public CodeBuild {
 public:
  explicit CodeBuildClient(std::shared_ptr<AwsClient> client);
  base::Result<Build> StartBuild(const StartBuildRequest& request) override;
  base::Result<BuildBatch> BatchGetBuilds(const std::vector<std::string>& ids) override;
  base::Result<std::vector<std::string>> RecentBuilds(const std::string& project) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
