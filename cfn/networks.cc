#include "cfn/networks.h"

#include <set>

#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

const compose::NetworkConfig* FindNetwork(const Context& ctx, const std::string& network) {
  auto it = ctx.project.networks.find(network);
  return it == ctx.project.networks.end() ? nullptr : &it->second;
}

}  // namespace

Json NetworkSecurityGroup(const Context& ctx, const std::string& network) {
  const compose::NetworkConfig* config = FindNetwork(ctx, network);
  if (config != nullptr && config->external) return config->name.empty() ? network : config->name;
  return Ref(NetworkId(network));
}

base::Status AddNetworks(Context& ctx) {
  std::set<std::string> used;
  for (const PlannedService& service : ctx.plan.services) {
    used.insert(service.networks.begin(), service.networks.end());
  }
  for (const std::string& network : used) {
    const compose::NetworkConfig* config = FindNetwork(ctx, network);
    const std::string owner = "network \"" + network + "\"" +
                              (config != nullptr && !config->location.ToString().empty()
                                   ? " (" + config->location.ToString() + ")"
                                   : "");
    if (LogicalIdPart(network).empty()) {
      return base::InvalidError(owner + ": the name needs a letter or digit");
    }
    if (config != nullptr && config->external) {
      const std::string group = config->name.empty() ? network : config->name;
      if (group.rfind("sg-", 0) != 0) {
        return base::InvalidError(owner +
                                  ": an external network must name an existing "
                                  "security group (name: sg-…), not \"" +
                                  group + "\"");
      }
      continue;
    }
    const std::string id = NetworkId(network);
    Json tags = ctx.ProjectTags();
    tags.push_back(Tag(kNetworkTag, ctx.project.name + "_" + network));
    ECSYNC_RETURN_IF_ERROR(
        ctx.tmpl.Add(id, "AWS::EC2::SecurityGroup",
                     Obj()
                         .Add("GroupDescription",
                              ctx.project.name + " Security Group for " + network + " network")
                         .Add("Tags", std::move(tags))
                         .Add("VpcId", ctx.plan.vpc)
                         .Take(),
                     owner));
    ECSYNC_RETURN_IF_ERROR(
        ctx.tmpl.Add(NetworkIngressId(network), "AWS::EC2::SecurityGroupIngress",
                     Obj()
                         .Add("Description", "Allow communication within network " + network)
                         .Add("GroupId", Ref(id))
                         .Add("IpProtocol", "-1")
                         .Add("SourceSecurityGroupId", Ref(id))
                         .Take(),
                     owner));
  }
  for (const PlannedService& service : ctx.plan.services) {
    Json& groups = ctx.parts[service.service->name].security_groups;
    for (const std::string& network : service.networks) {
      groups.push_back(NetworkSecurityGroup(ctx, network));
    }
  }
  return base::Status::Ok();
}

}  // namespace ecsync::cfn
