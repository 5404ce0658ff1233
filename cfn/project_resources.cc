#include "cfn/project_resources.h"

#include <map>
#include <string>

#include "cfn/names.h"
#include "cfn/service_connect.h"

namespace ecsync::cfn {

namespace {

// The log group and the Cloud Map namespace.
base::Status AddLogsAndCloudMap(Context& ctx) {
  const std::string& name = ctx.project.name;
  const std::string owner = ctx.ProjectOwner();
  Obj log_group;
  log_group.Add("LogGroupName", "/docker-compose/" + name);
  if (ctx.plan.ext.logs_retention_days) {
    log_group.Add("RetentionInDays", *ctx.plan.ext.logs_retention_days);
  }
  log_group.Add("Tags", ctx.ProjectTags());
  ECSYNC_RETURN_IF_ERROR(
      ctx.tmpl.Add(kLogGroupId, "AWS::Logs::LogGroup", std::move(log_group).Take(), owner));
  return ctx.tmpl.Add(kCloudMapId, "AWS::ServiceDiscovery::PrivateDnsNamespace",
                      Obj()
                          .Add("Description", "Service Map for Docker Compose project " + name)
                          .Add("Name", name + ".local")
                          .Add("Tags", ctx.ProjectTags())
                          .Add("Vpc", ctx.plan.vpc)
                          .Take(),
                      owner);
}

}  // namespace

base::Status AddProjectResources(Context& ctx) {
  const std::string& name = ctx.project.name;
  const std::string owner = ctx.ProjectOwner();
  ctx.tmpl.AddCondition(kUsEast1Condition,
                        Obj().Add("Fn::Equals", Arr(Ref("AWS::Region"), "us-east-1")));

  if (!ctx.plan.ext.cluster.empty()) {
    // A cluster we do not own: ClusterCapacityProviderAssociations would replace its whole
    // provider list and default strategy, breaking the owner's other services. The services
    // only name FARGATE/FARGATE_SPOT, which the owner must have associated (AddCapacity
    // refuses GPU services here, whose provider only ecsync could associate).
    return AddLogsAndCloudMap(ctx);
  }
  Obj cluster;
  cluster.Add("ClusterName", name);
  if (Json defaults = ServiceConnectDefaults(ctx); !defaults.is_null()) {
    cluster.Add("ServiceConnectDefaults", std::move(defaults));
  }
  cluster.Add("Tags", ctx.ProjectTags());
  ECSYNC_RETURN_IF_ERROR(
      ctx.tmpl.Add(kClusterId, "AWS::ECS::Cluster", std::move(cluster).Take(), owner));

  // Capacity providers the services' strategies name (names, or a Ref to the GPU one),
  // keyed by their JSON text: sorted and de-duplicated.
  std::map<std::string, Json> providers;
  for (const auto& [service, parts] : ctx.parts) {
    if (!parts.capacity_provider_strategy.is_array()) continue;
    for (const Json& item : parts.capacity_provider_strategy) {
      const Json& provider = item.at("CapacityProvider");
      providers.emplace(provider.dump(), provider);
    }
  }
  if (!providers.empty()) {
    // A separate resource, not Cluster.CapacityProviders: an EC2 provider's launch template
    // names the cluster, which would make a cycle.
    Json list = Json::array();
    for (auto& [text, provider] : providers) list.push_back(std::move(provider));
    Resource association;
    association.type = "AWS::ECS::ClusterCapacityProviderAssociations";
    association.properties = Obj()
                                 .Add("CapacityProviders", std::move(list))
                                 .Add("Cluster", Ref(kClusterId))
                                 .Add("DefaultCapacityProviderStrategy", Json::array())
                                 .Take();
    ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(kCapacityProvidersId, std::move(association), owner));
    for (auto& [service, parts] : ctx.parts) {
      if (parts.capacity_provider_strategy.is_array()) {
        parts.depends_on.push_back(kCapacityProvidersId);
      }
    }
  }
  return AddLogsAndCloudMap(ctx);
}

}  // namespace ecsync::cfn
