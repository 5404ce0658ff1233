#pragma once

#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ecsync::cli {

struct ApproveCommand {
  std::string stack_name;       // positional STACK (with --server: the project key)
  std::string service;          // --service: only this compose service; empty: every one
  bool rollback = false;        // --rollback: reject the revision instead
  std::string output = "text";  // --output: text | json
  // --server: the controller's admin address ("http://127.0.0.1:8081"): approve through its
  // operator API instead of AWS (see RunApproveOnServer).
  std::string server;
  std::string as;  // --as: who approves, recorded with the token's name; default: the OS user
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
// With --server, RunApproveOnServer instead.
ExitCode RunApprove(const ApproveCommand& command, const CommandContext& context);

// `ecsync approve PROJECT --server URL`: POSTs to the controller's operator API
// (/api/v1/projects/<key>/approve, or /reject with --rollback) with the bearer token in
// ECSYNC_API_TOKEN (a token of role operate) and `X-Ecsync-Approver: <--as or $USER>`. The
// controller approves (or rejects) the change waiting under `approval: manual`
// (docs/manual-approval.md), recording "<name> via <token name>", or else the ECS
// deployments waiting for approval. Prints what was decided (text) or the API's answer
// (json). kExitOk when something was decided, kExitFailed when nothing waited or the
// controller could not be reached, kExitBadConfig when the token is missing or refused or
// the project is unknown.
ExitCode RunApproveOnServer(const ApproveCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
