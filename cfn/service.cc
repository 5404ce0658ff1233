#include "cfn/service.h"

#include <algorithm>
#include <optional>

#include "cfn/deployment_resources.h"
#include "cfn/health.h"
#include "cfn/iam.h"
#include "cfn/names.h"
#include "cfn/task_definition.h"

namespace ecsync::cfn {
namespace {

constexpr char kExecutionPolicy[] =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
constexpr char kEcrReadOnlyPolicy[] = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";

base::Status AddExecutionRole(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  Json statements = ctx.parts[service.name].execution_statements;
  if (!planned.ext.pull_credentials.empty()) {
    statements.push_back(
        Obj()
            .Add("Action", Arr("secretsmanager:GetSecretValue", "ssm:GetParameters", "kms:Decrypt"))
            .Add("Effect", "Allow")
            .Add("Resource", Arr(planned.ext.pull_credentials))
            .Take());
  }
  Obj role;
  role.Add("AssumeRolePolicyDocument", AssumeRole("ecs-tasks.amazonaws.com"))
      .Add("ManagedPolicyArns", Arr(kExecutionPolicy, kEcrReadOnlyPolicy));
  if (!statements.empty()) {
    role.Add("Policies", Arr(Policy(LogicalIdPart(service.name) + "GrantAccessToSecrets",
                                    std::move(statements))));
  }
  role.Add("Tags", ctx.ServiceTags(service));
  return ctx.tmpl.Add(TaskExecutionRoleId(service.name), "AWS::IAM::Role", std::move(role).Take(),
                      planned.where);
}

// "" when the service needs no task role.
base::Result<std::string> AddTaskRole(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  const ServiceParts& parts = ctx.parts[service.name];
  Json statements = parts.task_statements;
  if (planned.ext.exec) {
    // What the ECS Exec agent in the task needs to open its SSM session channels.
    statements.push_back(
        Obj()
            .Add("Action", Arr("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                               "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"))
            .Add("Effect", "Allow")
            .Add("Resource", "*")
            .Take());
  }
  std::vector<std::string> managed = planned.ext.policies;
  managed.insert(managed.end(), parts.task_policy_arns.begin(), parts.task_policy_arns.end());
  if (statements.empty() && managed.empty() && planned.ext.role.is_null()) return std::string();

  const std::string id = TaskRoleId(service.name);
  Obj role;
  role.Add("AssumeRolePolicyDocument", AssumeRole("ecs-tasks.amazonaws.com"));
  if (!managed.empty()) role.Add("ManagedPolicyArns", std::move(managed));
  Json policies = Json::array();
  if (!planned.ext.role.is_null()) {
    policies.push_back(Obj()
                           .Add("PolicyDocument", planned.ext.role)
                           .Add("PolicyName", LogicalIdPart(service.name) + "Policy")
                           .Take());
  }
  if (!statements.empty()) {
    policies.push_back(Policy(LogicalIdPart(service.name) + "EcsyncPolicy", std::move(statements)));
  }
  if (!policies.empty()) role.Add("Policies", std::move(policies));
  role.Add("Tags", ctx.ServiceTags(service));
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(id, "AWS::IAM::Role", std::move(role).Take(), planned.where));
  return id;
}

base::Status AddDiscoveryEntry(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  return ctx.tmpl.Add(
      ServiceDiscoveryEntryId(service.name), "AWS::ServiceDiscovery::Service",
      Obj()
          .Add("Description", "\"" + service.name + "\" service discovery entry in Cloud Map")
          .Add("DnsConfig",
               Obj()
                   .Add("DnsRecords", Arr(Obj().Add("TTL", 60).Add("Type", "A").Take()))
                   .Add("RoutingPolicy", "MULTIVALUE")
                   .Take())
          .Add("HealthCheckCustomConfig", Obj().Add("FailureThreshold", 1).Take())
          .Add("Name", service.name)
          .Add("NamespaceId", Ref(kCloudMapId))
          .Add("Tags", ctx.ServiceTags(service))
          .Take(),
      planned.where);
}

// Rolling-update bounds: x-aws-min_percent/x-aws-max_percent, else update_config
// (parallelism tasks at a time, start-first or stop-first), else 100/200.
std::pair<int, int> DeploymentPercents(const PlannedService& planned) {
  int min = 100;
  int max = 200;
  const compose::Service& service = *planned.service;
  if (service.deploy && service.deploy->update_config && planned.desired_count > 0) {
    const compose::UpdateConfig& update = *service.deploy->update_config;
    if (update.parallelism && *update.parallelism > 0) {
      const int step = std::min(
          100, (*update.parallelism * 100 + planned.desired_count - 1) / planned.desired_count);
      if (update.order == "stop-first") {
        min = 100 - step;
        max = 100;
      } else {
        max = 100 + step;
      }
    }
  }
  if (planned.ext.min_percent) min = *planned.ext.min_percent;
  if (planned.ext.max_percent) max = *planned.ext.max_percent;
  return {min, max};
}

base::Status AddEcsService(Context& ctx, const PlannedService& planned) {
  const compose::Service& service = *planned.service;
  ServiceParts& parts = ctx.parts[service.name];
  const auto [min_percent, max_percent] = DeploymentPercents(planned);
  ECSYNC_ASSIGN_OR_RETURN(Json deployment,
                          DeploymentConfiguration(ctx, planned, min_percent, max_percent));

  Obj properties;
  if (!planned.ext.az_rebalancing.empty()) {
    properties.Add("AvailabilityZoneRebalancing", planned.ext.az_rebalancing);
  }
  if (parts.capacity_provider_strategy.is_array()) {
    properties.Add("CapacityProviderStrategy", parts.capacity_provider_strategy);
  }
  properties.Add("Cluster", ctx.ClusterRef())
      .Add("DeploymentConfiguration", std::move(deployment))
      .Add("DeploymentController", Obj().Add("Type", "ECS").Take())
      .Add("DesiredCount", planned.desired_count);
  if (planned.ext.exec) properties.Add("EnableExecuteCommand", true);
  if (parts.behind_load_balancer) {
    // Load balancer checks count only after the healthcheck's own start period.
    int grace = ctx.options.health_check_grace_period_seconds;
    if (std::optional<int> start = HealthcheckStartPeriodSeconds(service)) {
      grace = std::max(grace, *start);
    }
    properties.Add("HealthCheckGracePeriodSeconds",
                   planned.ext.health_check_grace_period.value_or(grace));
  }
  const bool fargate = planned.gpus == 0;
  if (!parts.capacity_provider_strategy.is_array()) properties.Add("LaunchType", "FARGATE");
  if (!parts.load_balancers.empty()) properties.Add("LoadBalancers", parts.load_balancers);
  Obj awsvpc;
  // EC2 tasks (GPU) cannot have public IPs.
  if (fargate) awsvpc.Add("AssignPublicIp", ctx.plan.assign_public_ip ? "ENABLED" : "DISABLED");
  awsvpc.Add("SecurityGroups", parts.security_groups).Add("Subnets", ctx.plan.task_subnets);
  properties.Add("NetworkConfiguration",
                 Obj().Add("AwsvpcConfiguration", std::move(awsvpc).Take()).Take());
  if (fargate) properties.Add("PlatformVersion", "1.4.0");
  properties.Add("PropagateTags", "SERVICE").Add("SchedulingStrategy", "REPLICA");
  if (!parts.service_connect.is_null()) {
    properties.Add("ServiceConnectConfiguration", parts.service_connect);
  } else {
    properties.Add(
        "ServiceRegistries",
        Arr(Obj().Add("RegistryArn", GetAtt(ServiceDiscoveryEntryId(service.name), "Arn")).Take()));
  }
  Json tags = ctx.ServiceTags(service);
  if (service.deploy) {
    for (const auto& [key, value] : service.deploy->labels) tags.push_back(Tag(key, value));
  }
  properties.Add("Tags", std::move(tags));
  properties.Add("TaskDefinition", Ref(TaskDefinitionId(service.name)));

  Resource resource;
  resource.type = "AWS::ECS::Service";
  resource.properties = std::move(properties).Take();
  resource.depends_on = parts.depends_on;
  for (const std::string& dependency : service.depends_on) {
    resource.depends_on.push_back(ServiceId(dependency));
  }
  return ctx.tmpl.Add(ServiceId(service.name), std::move(resource), planned.where);
}

}  // namespace

base::Status AddServices(Context& ctx) {
  for (const PlannedService& planned : ctx.plan.services) {
    ECSYNC_RETURN_IF_ERROR(AddExecutionRole(ctx, planned));
    ECSYNC_ASSIGN_OR_RETURN(std::string task_role, AddTaskRole(ctx, planned));
    ECSYNC_RETURN_IF_ERROR(AddTaskDefinition(ctx, planned, task_role));
    // Service Connect registers the service in Cloud Map itself.
    if (ctx.parts[planned.service->name].service_connect.is_null()) {
      ECSYNC_RETURN_IF_ERROR(AddDiscoveryEntry(ctx, planned));
    }
    ECSYNC_RETURN_IF_ERROR(AddEcsService(ctx, planned));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::cfn
