#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "controller/controller_deps.h"
#include "controller/outcome_recorder.h"
#include "controller/state.h"
#include "controller/work_queue.h"
#include "reconcile/engine.h"
#include "reconcile/prune.h"

namespace ecsync::controller {

// What an operator's approve or reject decided (Controller::DecideChange).
struct ChangeDecision {
  bool waiting = false;  // false: nothing waited, nothing was done
  std::string change_set;
  std::string action;  // create | update | delete
  std::string revision;
  std::string note;  // e.g. that the change set could not be deleted
};

// Manual approval of a prune's deletes (approval: manual, docs/manual-approval.md). The
// repository's prune run keeps the stack of a project that left git while its config entry
// has approval: manual, and hands it here: the delete is planned (every resource of the
// project's stacks as a Remove) and shown as a change waiting for approval under the key the
// project had (see Plan), until an operator approves it (the next prune run deletes it,
// through its fence and its checks) or rejects it (the stack stays, and nobody is asked
// again while the project stays gone). The deletes live in ControllerState::pending_deletes.
//
// Thread-safe: each method takes state.mu itself, except those named *Locked.
class DeleteApprovals {
 public:
  // All must outlive this.
  DeleteApprovals(ControllerState& state, const ControllerDeps& deps, reconcile::Engine& engine,
                  WorkQueue& queue, OutcomeRecorder& recorder)
      : state_(state), deps_(deps), engine_(engine), queue_(queue), recorder_(recorder) {}

  // True when an operator approved deleting the stacks deployed from `compose_path` of
  // `repository` (a prune run may delete them now).
  bool Approved(const std::string& repository, const std::string& compose_path) const;

  // After a prune run of `repository` that deleted what Approved allowed (`approved`: those
  // compose paths), as `report` says: each approved delete becomes a run with its approver,
  // Ready when every stack of it went, else waiting for approval again with why. Returns the
  // key each of their stacks is shown under (for the pruned events).
  std::map<std::string, std::string> Executed(const std::string& repository,
                                              const std::set<std::string>& approved,
                                              const reconcile::PruneReport& report);

  // After a prune run of `repo` at `revision` (the repository's current commit; otherwise
  // nothing is done, a newer run follows): plans and shows a delete for each path of
  // `awaiting` (kept for an operator) that has none yet, under the key ExpandProjects gave its
  // project ("<repository>/<stack>" when a project of the revision has that key), and logs
  // what waits. Drops the deletes whose path is in neither `awaiting` nor `retained` (their
  // stack is gone, or their entry no longer asks: nothing waits any more). The errors of
  // planning (the others are still shown).
  base::Status Plan(const config::RepositoryConfig& repo, const std::string& revision,
                    const std::set<std::string>& awaiting, const std::set<std::string>& retained);

  // Controller::DecideChange for `key` when no project has that key: nullopt when no delete
  // is kept under it either. Approving records who and when and queues the repository's
  // prune run; rejecting keeps the stack. kConflict, saying why, when nothing waits (the
  // delete was rejected, or is done).
  std::optional<base::Result<ChangeDecision>> Decide(const std::string& key, const std::string& by,
                                                     bool reject);

  // Drops the deletes kept for `repository` for which `drop` is true. One still waiting is
  // announced as superseded when `announce`; its status entry goes unless a project now has
  // its key. REQUIRES: state.mu held.
  static void DropLocked(
      ControllerState& state, OutcomeRecorder& recorder, const std::string& repository,
      const std::function<bool(const std::string& key, const PendingDelete&)>& drop, bool announce);

 private:
  using Entry = std::map<std::string, PendingDelete>::iterator;

  // The delete kept for `compose_path` of `repository`, or pending_deletes.end().
  // REQUIRES: state.mu held.
  Entry FindLocked(const std::string& repository, const std::string& compose_path);
  // Records a new delete of `plan` under a free key and shows it; false when no key is free.
  // REQUIRES: state.mu held.
  bool ShowLocked(const config::RepositoryConfig& repo, const std::string& revision,
                  const std::string& compose_path, const reconcile::PlannedRemoval& plan);

  ControllerState& state_;
  const ControllerDeps& deps_;
  reconcile::Engine& engine_;
  WorkQueue& queue_;
  OutcomeRecorder& recorder_;
};

}  // namespace ecsync::controller
