#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "controller/controller_deps.h"
#include "controller/outcome_recorder.h"
#include "controller/state.h"
#include "controller/status.h"
#include "controller/work_queue.h"
#include "git/source.h"
#include "reconcile/engine.h"

namespace ecsync::controller {

// Decides which repository is checked when and checks it: polls with jitter, backs off while
// checks keep failing, takes webhook triggers, and queues the projects a new revision (or a
// configuration change) affects, their repository's prune run, and Ready projects whose
// drift check is due. Thread-safe.
class Poller {
 public:
  // All must outlive this.
  Poller(ControllerState& state, const ControllerDeps& deps, reconcile::Engine& engine,
         WorkQueue& queue, StatusStore& status, OutcomeRecorder& recorder)
      : state_(state),
        deps_(deps),
        engine_(engine),
        queue_(queue),
        status_(status),
        recorder_(recorder) {}
  ~Poller() { Join(); }

  // Starts `threads` pollers; each claims one due repository at a time.
  void Start(int threads);
  // Joins the pollers. REQUIRES: ControllerState::stopping is set and poll_cv notified.
  void Join();

  // One check of one repository (`full`: every project is reconciled, changed or not);
  // queues the projects that need a reconcile. Returns the keys queued.
  std::vector<std::string> PollRepository(const std::string& name, bool full);

 private:
  void Loop();
  // The signature gate for a fetched `commit` (controller/signature_gate.h): against
  // `previous`, or in strict mode right after a start against each revision the
  // repository's stacks run (reconcile::Engine::DeployedRevisions).
  base::Result<std::optional<git::Verdict>> CheckFetched(const config::RepositoryConfig& repo,
                                                         git::GitSource& git,
                                                         const std::string& commit,
                                                         const std::string& previous);
  // With replicas sharing the projects: whether this replica holds `repo`'s shard now (also
  // kept in repo.owned), asking for a full check of a repository it has just taken over.
  // True without coordination. REQUIRES: state_.mu held.
  bool TakeOwnership(const std::string& name, RepoState& repo);
  // `d` +-10%, so repositories configured together do not poll in lockstep.
  // REQUIRES: state_.mu held.
  std::chrono::milliseconds Jittered(std::chrono::milliseconds d);

  ControllerState& state_;
  const ControllerDeps& deps_;
  reconcile::Engine& engine_;
  WorkQueue& queue_;
  StatusStore& status_;
  OutcomeRecorder& recorder_;
  // How often the pollers ask which repositories this replica holds, and the longest a
  // poller sleeps without re-reading the clock.
  static constexpr std::chrono::seconds kOwnershipRefresh{1};
  static constexpr std::chrono::seconds kMaxWait{1};

  std::vector<std::thread> threads_;
  // Guarded by state_.mu:
  std::string cursor_;  // the repository claimed last
  std::optional<std::chrono::steady_clock::time_point> owners_asked_;  // the last pass asking all
  bool timer_taken_ = false;  // a poller sleeps until the next repository is due
};

}  // namespace ecsync::controller
