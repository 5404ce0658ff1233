#pragma once

#include <string>

#include "controller/controller_deps.h"
#include "controller/outcome_recorder.h"
#include "controller/projects.h"
#include "controller/state.h"
#include "controller/work_queue.h"
#include "reconcile/engine.h"

namespace ecsync::controller {

// Runs one project from the work queue: skips it while suspended or while its failed
// revision backs off, reconciles it through the engine, decides what a failure means for
// the next attempt (stall for input, back off a rejected deploy, retry transient trouble),
// records the outcome, and checks drift afterwards when it is due (re-queueing the project
// to heal it when configured). Thread-safe; the work queue runs one key at a time.
class ProjectRunner {
 public:
  // All must outlive this.
  ProjectRunner(ControllerState& state, const ControllerDeps& deps, reconcile::Engine& engine,
                WorkQueue& queue, OutcomeRecorder& recorder)
      : state_(state), deps_(deps), engine_(engine), queue_(queue), recorder_(recorder) {}

  WorkQueue::Outcome Run(const std::string& key);

 private:
  // The project's condition in ControllerState (the poller queues Ready projects for drift).
  void SetCondition(const std::string& key, Condition condition);
  void CheckDrift(const std::string& key, const ProjectSpec& spec);
  // Applies the deploy windows to a run that would change the stack. True when the run is
  // held: the project is Held, re-queued for the instant the windows open, and keeps its
  // self-heal request. Logs the release of a project held before.
  bool HoldForWindows(const std::string& key, const ProjectState& state,
                      const std::string& fingerprint);
  // A run that found the revision's images missing: WaitingForImages and re-queued after
  // images.poll_interval, or Stalled for input once the revision has waited images.wait.
  void WaitForImages(const std::string& key, const std::string& fingerprint,
                     const ProjectSpec& spec, const reconcile::ReconcileReport& report,
                     FinishedRun* finished);

  // Manual approval. A run whose change waits for an operator: AwaitingApproval, the change
  // shown; a change set it replaces is deleted (superseded).
  void AwaitApproval(const std::string& key, const std::string& fingerprint,
                     const ProjectSpec& spec, const reconcile::ReconcileReport& report,
                     FinishedRun* finished);
  // A run that reported without waiting: the approval it applied goes into the run record;
  // a change that was waiting and is no longer needed is superseded.
  void SettleApproval(const std::string& key, const ProjectSpec& spec,
                      const reconcile::ReconcileReport& report, FinishedRun* finished);
  // Deletes a superseded update's change set (creates and deletes have none) and says so.
  void Supersede(const std::string& key, const ProjectSpec& spec,
                 const ProjectState::PendingApproval& old, const std::string& replacement);

  ControllerState& state_;
  const ControllerDeps& deps_;
  reconcile::Engine& engine_;
  WorkQueue& queue_;
  OutcomeRecorder& recorder_;
};

}  // namespace ecsync::controller
