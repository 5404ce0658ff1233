#include "reconcile/deployment_approval.h"

#include <optional>
#include <utility>

namespace ecsync::reconcile {
namespace {

constexpr char kParameterSuffix[] = "ApprovalParameter";
constexpr char kServiceSuffix[] = "Service";
// The stage the approval hook holds a deployment at (cfn/deployment_resources.cc).
constexpr char kApprovalStage[] = "POST_TEST_TRAFFIC_SHIFT";

// A service of the stack deployed with `approval: manual`.
struct Approvable {
  std::string service;      // the compose service, from the parameter's name
  std::string parameter;    // /ecsync/<stack>/<service>/approval
  std::string service_arn;  // its AWS::ECS::Service
};

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The compose service of an approval parameter's name: /ecsync/<stack>/<service>/approval.
std::string ServiceOfParameter(const std::string& name) {
  const std::string tail = "/approval";
  if (!EndsWith(name, tail)) return "";
  const std::string head = name.substr(0, name.size() - tail.size());
  return head.substr(head.rfind('/') + 1);
}

// The cluster of a service ARN in the long format, arn:...:service/<cluster>/<name>; empty
// for the old format, which does not name it.
std::string ClusterOf(const std::string& service_arn) {
  const size_t start = service_arn.find(":service/");
  if (start == std::string::npos) return "";
  const std::string path = service_arn.substr(start + 9);
  const size_t slash = path.find('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// "arn:aws:ecs:...:service-revision/shop/web/123" -> "shop/web/123".
std::string ServiceRevisionName(const std::string& arn) {
  const size_t start = arn.find(":service-revision/");
  return start == std::string::npos ? arn : arn.substr(start + 18);
}

// The stack's resources and, one level down, those of its nested stacks (a split project
// keeps the parameter in the parent and may put the service in a child).
base::Result<std::vector<aws::StackResource>> ResourcesOf(aws::CloudFormation& cloudformation,
                                                          const std::string& stack) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackResource> resources,
                          cloudformation.DescribeStackResources(stack));
  const size_t own = resources.size();
  for (size_t i = 0; i < own; ++i) {
    if (resources[i].resource_type != "AWS::CloudFormation::Stack" ||
        resources[i].physical_id.empty()) {
      continue;
    }
    ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackResource> nested,
                            cloudformation.DescribeStackResources(resources[i].physical_id));
    resources.insert(resources.end(), nested.begin(), nested.end());
  }
  return resources;
}

// Every service of `stack` with an approval parameter, paired with its ECS service through
// the logical IDs <Svc>ApprovalParameter and <Svc>Service.
base::Result<std::vector<Approvable>> FindApprovable(aws::CloudFormation& cloudformation,
                                                     const std::string& stack) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::StackResource> resources,
                          ResourcesOf(cloudformation, stack));
  std::vector<Approvable> found;
  for (const aws::StackResource& parameter : resources) {
    if (parameter.resource_type != "AWS::SSM::Parameter" ||
        !EndsWith(parameter.logical_id, kParameterSuffix)) {
      continue;
    }
    const std::string part = parameter.logical_id.substr(
        0, parameter.logical_id.size() - std::string(kParameterSuffix).size());
    Approvable approvable{ServiceOfParameter(parameter.physical_id), parameter.physical_id, ""};
    for (const aws::StackResource& service : resources) {
      if (service.resource_type == "AWS::ECS::Service" &&
          service.logical_id == part + kServiceSuffix) {
        approvable.service_arn = service.physical_id;
      }
    }
    if (approvable.service.empty() || approvable.service_arn.empty()) {
      return base::InternalError("stack " + stack + ": approval parameter " + parameter.logical_id +
                                 " (" + parameter.physical_id + ") has no ECS service " + part +
                                 kServiceSuffix + " beside it; was the stack made by ecsync?");
    }
    found.push_back(std::move(approvable));
  }
  return found;
}

// The newest IN_PROGRESS deployment of the service, described; nullopt when none runs.
base::Result<std::optional<aws::EcsServiceDeployment>> Waiting(aws::Ecs& ecs,
                                                               const Approvable& approvable) {
  const std::string cluster = ClusterOf(approvable.service_arn);
  if (cluster.empty()) {
    return base::InvalidError("service " + approvable.service + ": its ARN " +
                              approvable.service_arn +
                              " does not name its cluster; turn on the long ARN format "
                              "(serviceLongArnFormat) in the account");
  }
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::EcsServiceDeploymentBrief> briefs,
                          ecs.ListServiceDeployments(cluster, approvable.service_arn));
  for (const aws::EcsServiceDeploymentBrief& brief : briefs) {  // newest first
    if (brief.status != "IN_PROGRESS") continue;
    ECSYNC_ASSIGN_OR_RETURN(aws::EcsServiceDeployments described,
                            ecs.DescribeServiceDeployments({brief.arn}));
    if (described.deployments.empty()) continue;  // gone meanwhile
    return std::optional<aws::EcsServiceDeployment>(described.deployments.front());
  }
  return std::optional<aws::EcsServiceDeployment>();
}

// Where the deployment is, for the report line.
std::string WhereItIs(const aws::EcsServiceDeployment& deployment) {
  if (deployment.lifecycle_stage == kApprovalStage || !deployment.paused_hook_id.empty()) {
    return "paused at " + deployment.lifecycle_stage;
  }
  return "at " +
         (deployment.lifecycle_stage.empty() ? std::string("its start")
                                             : deployment.lifecycle_stage) +
         "; it goes on when it reaches " + kApprovalStage;
}

// `status` with "stack <stack>, service <service>: " before its message.
base::Status InStack(const std::string& stack, const std::string& service,
                     const base::Status& status) {
  return base::Status(status.kind(),
                      "stack " + stack + ", service " + service + ": " + status.message());
}

// Writes the approval (or the rejection) of the deployment waiting in `approvable`.
base::Result<ServiceApproval> Approve(const Targets& targets, const std::string& stack,
                                      const Approvable& approvable, bool rollback) {
  ServiceApproval done;
  done.service = approvable.service;
  auto deployment = Waiting(*targets.ecs, approvable);
  if (!deployment.ok()) return InStack(stack, approvable.service, deployment.status());
  if (!*deployment) return done;
  const aws::EcsServiceDeployment& waiting = **deployment;
  const std::string& revision = waiting.target_service_revision_arn;
  const std::string value = rollback ? "reject " + revision : revision;
  if (base::Status put = targets.ssm->PutParameter(approvable.parameter, value); !put.ok()) {
    return InStack(
        stack, approvable.service,
        base::Status(put.kind(), "writing " + approvable.parameter + ": " + put.message() +
                                     " (does the caller have ssm:PutParameter on it?)"));
  }
  done.action = rollback ? ApprovalAction::kRolledBack : ApprovalAction::kApproved;
  done.revision_arn = revision;
  done.revision = ServiceRevisionName(revision);
  done.stage = waiting.lifecycle_stage;
  done.paused = waiting.lifecycle_stage == kApprovalStage || !waiting.paused_hook_id.empty();
  done.where = WhereItIs(waiting);
  return done;
}

}  // namespace

const char* ApprovalActionName(ApprovalAction action) {
  switch (action) {
    case ApprovalAction::kApproved:
      return "approved";
    case ApprovalAction::kRolledBack:
      return "rolled_back";
    case ApprovalAction::kNothingWaiting:
      return "nothing_waiting";
  }
  return "nothing_waiting";
}

bool ApprovalReport::Acted() const {
  for (const ServiceApproval& s : services) {
    if (s.action != ApprovalAction::kNothingWaiting) return true;
  }
  return false;
}

base::Result<ApprovalReport> ApproveDeployments(const Targets& targets, const std::string& stack,
                                                const std::string& service, bool rollback) {
  if (targets.cloudformation == nullptr || targets.ecs == nullptr || targets.ssm == nullptr) {
    return base::InvalidError("stack " + stack +
                              ": approving a deployment needs AWS (ECS and SSM), not stack files");
  }
  auto approvable = FindApprovable(*targets.cloudformation, stack);
  if (!approvable.ok()) {
    return base::Status(approvable.status().kind(),
                        "stack " + stack + ": " + approvable.status().message());
  }
  std::vector<Approvable> chosen;
  for (const Approvable& a : *approvable) {
    if (service.empty() || a.service == service) chosen.push_back(a);
  }
  if (chosen.empty()) {
    const std::string what = service.empty() ? "no service" : "service " + service + " is not one";
    return base::InvalidError("stack " + stack + ": " + what +
                              " deployed with `approval: manual` (set x-aws-deployment.approval "
                              "and deploy it first)");
  }
  ApprovalReport report;
  report.stack = stack;
  for (const Approvable& a : chosen) {
    ECSYNC_ASSIGN_OR_RETURN(ServiceApproval done, Approve(targets, stack, a, rollback));
    report.services.push_back(std::move(done));
  }
  return report;
}

}  // namespace ecsync::reconcile
