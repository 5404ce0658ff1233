#pragma once

// What the resource builders share while converting one project: the input, the plan,
// the template under construction, and per service the pieces one builder produces and
// another consumes (the load balancer's target groups for the ECS service, the secrets'
// init container for the task definition, ...). Not thread-safe; one per conversion.

#include <map>
#include <string>
#include <vector>

#include "cfn/convert.h"
#include "cfn/json.h"
#include "cfn/plan.h"
#include "cfn/template.h"
#include "compose/model.h"

namespace ecsync::cfn {

inline constexpr char kProjectTag[] = "com.docker.compose.project";
inline constexpr char kServiceTag[] = "com.docker.compose.service";
inline constexpr char kNetworkTag[] = "com.docker.compose.network";
inline constexpr char kUsEast1Condition[] = "IsUsEast1";

// Pieces of one service's task definition and ECS service contributed by other builders.
struct ServiceParts {
  std::vector<std::string> depends_on;   // resources the ECS service must wait for
  Json load_balancers = Json::array();   // AWS::ECS::Service LoadBalancers entries
  Json security_groups = Json::array();  // of the service's networks
  Json init_containers = Json::array();  // run to success before the service's container
  // Init containers the service's container waits for with another condition than SUCCESS
  // (e.g. COMPLETE: exited, whatever the code), by container name.
  std::map<std::string, std::string> init_conditions;
  Json volumes = Json::array();               // task definition Volumes
  Json mount_points = Json::array();          // the service container's MountPoints
  Json execution_statements = Json::array();  // IAM statements for the execution role
  Json task_statements = Json::array();       // IAM statements for the task role
  std::vector<std::string> task_policy_arns;  // managed policies for the task role
  Json capacity_provider_strategy;            // null: LaunchType FARGATE
  // The ECS service's ServiceConnectConfiguration; null: Cloud Map DNS discovery instead.
  Json service_connect;
  bool behind_load_balancer = false;
};

struct Context {
  Context(const compose::Project& project, const ConvertOptions& options, ProjectPlan& plan)
      : project(project), options(options), plan(plan) {}

  const compose::Project& project;
  const ConvertOptions& options;
  ProjectPlan& plan;
  TemplateBuilder tmpl;
  std::map<std::string, ServiceParts> parts;  // by service name
  std::vector<SecretParameter> secret_parameters;
  std::vector<std::string> warnings;  // what the template leaves out, for the user

  std::string ProjectOwner() const { return "project \"" + project.name + "\""; }
  Json ProjectTags() const { return Arr(Tag(kProjectTag, project.name)); }
  Json ServiceTags(const compose::Service& service) const {
    return Arr(Tag(kProjectTag, project.name), Tag(kServiceTag, service.name));
  }
  // The cluster: the x-aws-cluster name or ARN, else the Cluster resource's ARN.
  Json ClusterRef() const;
  // awslogs options of the project's log group, plus `extra` options.
  Json LogConfiguration(const std::map<std::string, std::string>& extra = {}) const;
};

}  // namespace ecsync::cfn
