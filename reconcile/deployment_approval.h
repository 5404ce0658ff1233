#pragma once

// Continuing or rolling back the ECS service deployments that wait for a manual approval
// (`x-aws-deployment.approval: manual`), for `ecsync approve` and the controller's operator
// API. The stack's approval function (cfn/deployment_resources.cc) reads the service's SSM
// approval parameter: the waiting target service revision's ARN lets the deployment shift
// production traffic, "reject <ARN>" rolls it back.

#include <string>
#include <vector>

#include "base/result.h"
#include "reconcile/targets.h"

namespace ecsync::reconcile {

enum class ApprovalAction {
  kApproved,
  kRolledBack,
  kNothingWaiting,  // no IN_PROGRESS service deployment: nothing written
};

// "approved", "rolled_back", "nothing_waiting".
const char* ApprovalActionName(ApprovalAction action);

struct ServiceApproval {
  std::string service;  // the compose service
  ApprovalAction action = ApprovalAction::kNothingWaiting;
  // The target service revision approved or rejected, and its short form
  // "<cluster>/<service>/<id>"; empty when nothing was waiting.
  std::string revision_arn;
  std::string revision;
  // The deployment's lifecycle stage when it was approved (empty: not started), whether it
  // was paused at the approval hook, and both in words: "paused at POST_TEST_TRAFFIC_SHIFT",
  // or "at <stage>; it goes on when it reaches POST_TEST_TRAFFIC_SHIFT".
  std::string stage;
  bool paused = false;
  std::string where;
};

struct ApprovalReport {
  std::string stack;
  std::vector<ServiceApproval> services;  // in the order the stack lists their parameters

  // True when a deployment was approved or rolled back.
  bool Acted() const;
};

// For each service of `stack` (or only `service`, when not empty) deployed with
// `approval: manual` — a <Svc>ApprovalParameter beside a <Svc>Service among the resources of
// the stack and of its nested stacks, so a split project is found whichever stack holds
// each — writes the target service revision ARN of the service's newest IN_PROGRESS service
// deployment to the parameter, or "reject <ARN>" when `rollback`. A deployment not yet at
// the approval hook goes on when it reaches it.
// Errors, each message starting "stack <stack>" (and naming the service where one is at
// fault): kInvalid when `targets` lack ECS or SSM (stack files), when no service (or not
// `service`) has approval, or when a service ARN does not name its cluster; kInternal when an
// approval parameter has no service beside it; CloudFormation's, ECS's and SSM's kinds for
// their calls (an unknown stack is CloudFormation's error). Services handled before an error
// have been acted on; the report of them is lost.
base::Result<ApprovalReport> ApproveDeployments(const Targets& targets, const std::string& stack,
                                                const std::string& service, bool rollback);

}  // namespace ecsync::reconcile
