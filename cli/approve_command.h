#pragma once

#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ecsync::cli {

struct ApproveCommand {
  std::string stack_name;       // positional STACK
  std::string service;          // --service: only this compose service; empty: every one
  bool rollback = false;        // --rollback: reject the revision instead
  std::string output = "text";  // --output: text | json
  AwsFlags aws;
};

// `ecsync approve STACK`: reconcile::ApproveDeployments for the stack (its nested stacks
// included): for each service deployed with `approval: manual`, writes the target service
// revision ARN of its newest IN_PROGRESS service deployment to the approval parameter, or
// "reject <ARN>" with --rollback; the stack's approval function then lets the deployment
// move production traffic, or rolls it back. One line per service on `out`:
//   web: approved <revision> (paused at POST_TEST_TRAFFIC_SHIFT)
//   web: rolled back <revision> (...)
//   web: nothing waiting for approval
// or, with --output json, {"stack", "services": [{"service", "action" (approved |
// rolled_back | nothing_waiting), "revision" (full ARN), "stage", "paused"}, ...]}.
// kExitOk when something was approved or rejected, kExitFailed when nothing was waiting,
// otherwise the error's code (a stack or service without approval is kExitBadConfig).
ExitCode RunApprove(const ApproveCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
