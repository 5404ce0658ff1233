#pragma once

#include <atomic>
#include <string>

#include "cli/commands.h"

namespace ecsync::cli {

struct ServeCommand {
  std::string config_path;
  // Set by main on SIGTERM/SIGINT: stop accepting, leave in-flight deploys resumable, exit.
  const std::atomic<bool>* interrupted = nullptr;
  // Set by main on SIGHUP; serve clears it after reloading.
  std::atomic<bool>* reload = nullptr;
  // Overrides for tests and one-off runs; empty: from the configuration.
  std::string listen;
  std::string admin_listen;
  std::string metrics_listen;
  // Where to write the bound ports once listening, "<public> <metrics> <admin>" (metrics is
  // 0 without metrics_listen); may be empty. Tests and scripts read it.
  std::string port_file;
};

// `ecsync serve --config F`: runs the controller and its HTTP server until interrupted.
// Exit 0 after a graceful shutdown, 2 for a bad configuration or an address that cannot be
// bound, 1 when AWS cannot be reached at start.
ExitCode RunServe(const ServeCommand& command, const CommandContext& context);

struct ReconcileConfigCommand {
  std::string config_path;
  bool force = false;  // re-apply stacks even when up to date, and retry failed revisions
  const std::atomic<bool>* interrupted = nullptr;
};

// `ecsync reconcile --once --config F`: every project of every repository once, then exit:
// 0 when all are deployed or up to date, 1 when a deploy failed or git/AWS had trouble, 2 for
// a bad configuration or compose file.
ExitCode RunReconcileConfig(const ReconcileConfigCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
