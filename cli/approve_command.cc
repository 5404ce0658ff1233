#include "cli/approve_command.h"

#include <ostream>
#include <vector>

#include "aws/make_clients.h"
#include "cli/aws_setup.h"

namespace ecsync::cli {
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
std::string ShortRevision(const std::string& arn) {
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

}  // namespace

ExitCode RunApprove(const ApproveCommand& command, const CommandContext& context) {
  auto clients = MakeClients(command.aws, context.env);
  if (!clients.ok()) return Fail(context, clients.status());
  auto approvable = FindApprovable(*clients->cloudformation, command.stack_name);
  if (!approvable.ok()) {
    return Fail(context,
                base::Status(approvable.status().kind(),
                             "stack " + command.stack_name + ": " + approvable.status().message()));
  }
  std::vector<Approvable> chosen;
  for (const Approvable& a : *approvable) {
    if (command.service.empty() || a.service == command.service) chosen.push_back(a);
  }
  if (chosen.empty()) {
    const std::string what =
        command.service.empty() ? "no service" : "service " + command.service + " is not one";
    return Fail(context, base::InvalidError("stack " + command.stack_name + ": " + what +
                                            " deployed with `approval: manual` (set "
                                            "x-aws-deployment.approval and deploy it first)"));
  }
  bool acted = false;
  for (const Approvable& a : chosen) {
    auto deployment = Waiting(*clients->ecs, a);
    if (!deployment.ok()) {
      return Fail(context, base::Status(deployment.status().kind(),
                                        "stack " + command.stack_name + ", service " + a.service +
                                            ": " + deployment.status().message()));
    }
    if (!*deployment) {
      context.out << a.service << ": nothing waiting for approval\n";
      continue;
    }
    const std::string& revision = (*deployment)->target_service_revision_arn;
    const std::string value = command.rollback ? "reject " + revision : revision;
    if (base::Status put = clients->ssm->PutParameter(a.parameter, value); !put.ok()) {
      return Fail(context, base::Status(put.kind(), "stack " + command.stack_name + ", service " +
                                                        a.service + ": writing " + a.parameter +
                                                        ": " + put.message() +
                                                        " (does the caller have "
                                                        "ssm:PutParameter on it?)"));
    }
    acted = true;
    context.out << a.service << ": " << (command.rollback ? "rolled back " : "approved ")
                << ShortRevision(revision) << " (" << WhereItIs(**deployment) << ")\n";
  }
  return acted ? kExitOk : kExitFailed;
}

}  // namespace ecsync::cli
