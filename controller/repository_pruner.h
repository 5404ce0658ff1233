#pragma once

#include <string>

#include "controller/controller_deps.h"
#include "controller/delete_approvals.h"
#include "controller/outcome_recorder.h"
#include "controller/state.h"
#include "controller/status.h"
#include "controller/work_queue.h"
#include "reconcile/engine.h"

namespace ecsync::controller {

// The work queue key of a repository's prune run.
inline constexpr char kPruneSuffix[] = "#prune";

// A repository's prune run: deletes the stacks of projects its last fetched revision no
// longer has (keeping those whose entry opts out, see KeepWhenGone), and shows a refusal or
// failure on the repository. A stack whose deploy windows (the repository's and those of the
// entry its compose file belonged to) are closed is kept for now and the prune run is queued
// again for the instant they open. The stack of an entry with approval: manual is deleted
// only once an operator approved it; until then `approvals` shows its delete waiting.
// Thread-safe; the work queue runs one key at a time.
class RepositoryPruner {
 public:
  // All must outlive this.
  RepositoryPruner(ControllerState& state, const ControllerDeps& deps, reconcile::Engine& engine,
                   WorkQueue& queue, StatusStore& status, OutcomeRecorder& recorder,
                   DeleteApprovals& approvals)
      : state_(state),
        deps_(deps),
        engine_(engine),
        queue_(queue),
        status_(status),
        recorder_(recorder),
        approvals_(approvals) {}

  // kRetry for trouble that may pass (listing, AWS); kDone otherwise, refusals included.
  WorkQueue::Outcome Run(const std::string& repository);

 private:
  ControllerState& state_;
  const ControllerDeps& deps_;
  reconcile::Engine& engine_;
  WorkQueue& queue_;
  StatusStore& status_;
  OutcomeRecorder& recorder_;
  DeleteApprovals& approvals_;
};

}  // namespace ecsync::controller
