#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/fence.h"
#include "config/config.h"
#include "git/source.h"
#include "metrics/metrics.h"
#include "notify/publisher.h"
#include "reconcile/targets.h"

namespace ecsync::controller {

// What the controller talks to. Not owned; they outlive the controller.
struct ControllerDeps {
  git::GitSource* git = nullptr;
  // Makes the git source of one repository entry, which reaches the remote with that entry's
  // credentials only and keeps what they fetched apart from other entries (see
  // MakeRepositoryGitSource). Called when an entry is added or changed, with the controller's
  // lock held (so it must not call back). Empty: every repository uses `git` (tests).
  std::function<std::shared_ptr<git::GitSource>(const config::RepositoryConfig&)> git_for;
  // Where stacks go and what a reconcile may ask besides (see reconcile::Targets). Without
  // EC2 the network must be configured (aws.vpc_id, subnet_ids).
  reconcile::Targets targets;
  base::Clock* clock = nullptr;
  metrics::Metrics* metrics = nullptr;  // may be null
  // Receives what happens to projects (deploy started, succeeded, failed, drift, stalled,
  // pruned) for notifications and commit statuses; may be null. Publish never blocks.
  notify::EventPublisher* events = nullptr;
  // Replicas sharing the projects (docs/high-availability.md): the fence of the shard a
  // repository (by its URL) belongs to while this replica holds it, nullopt while it does
  // not. Repositories without a fence are not checked, and their projects neither reconciled
  // nor pruned; every write to CloudFormation for a project obeys its fence. Thread-safe;
  // called with the controller's lock held (so it must not call back). Empty: this process
  // owns every project and writes unfenced.
  std::function<std::optional<base::Fence>(const std::string& repo_url)> fence_for;
  // How often stacks are polled while a deploy runs.
  std::chrono::milliseconds stack_poll_interval{std::chrono::seconds(5)};
  // How long a stack listing may decide that a stack is up to date without asking
  // CloudFormation again (a restart queues every project at once; they run inside this
  // window). Later runs (drift checks, retries) ask for their one stack.
  std::chrono::milliseconds snapshot_trust{std::chrono::seconds(60)};
};

}  // namespace ecsync::controller
