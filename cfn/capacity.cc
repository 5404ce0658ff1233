#include "cfn/capacity.h"

#include <algorithm>
#include <array>
#include <set>

#include "cfn/names.h"
#include "cfn/networks.h"

namespace ecsync::cfn {
namespace {

constexpr char kGpuAmiParameter[] =
    "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id}}";
constexpr int kGpuMaxInstances = 10;

struct GpuInstance {
  const char* type;
  int gpus;
  int vcpus;
  int64_t memory_mib;
};

constexpr int64_t kMibPerGib = 1024;

// g4dn sizes (NVIDIA T4, x86_64 only), smallest first; memory as sold, not as ECS registers it.
constexpr std::array<GpuInstance, 7> kG4dn = {{
    {"g4dn.xlarge", 1, 4, 16 * kMibPerGib},
    {"g4dn.2xlarge", 1, 8, 32 * kMibPerGib},
    {"g4dn.4xlarge", 1, 16, 64 * kMibPerGib},
    {"g4dn.8xlarge", 1, 32, 128 * kMibPerGib},
    {"g4dn.12xlarge", 4, 48, 192 * kMibPerGib},
    {"g4dn.16xlarge", 1, 64, 256 * kMibPerGib},
    {"g4dn.metal", 8, 96, 384 * kMibPerGib},
}};

// The value of `node.<key> == value` among the placement constraints, or "".
std::string Constraint(const compose::Service& service, const std::string& key) {
  if (!service.deploy) return "";
  for (const std::string& constraint : service.deploy->placement.constraints) {
    std::string compact;
    for (char c : constraint) {
      if (c != ' ') compact += c;
    }
    const std::string prefix = "node." + key + "==";
    if (compact.rfind(prefix, 0) == 0) return compact.substr(prefix.size());
  }
  return "";
}

Json TagSpecification(const char* resource_type, Json tags) {
  return Obj().Add("ResourceType", resource_type).Add("Tags", std::move(tags)).Take();
}

Json Ec2AssumeRole() {
  return Obj()
      .Add("Statement", Arr(Obj()
                                .Add("Action", Arr("sts:AssumeRole"))
                                .Add("Effect", "Allow")
                                .Add("Principal", Obj().Add("Service", "ec2.amazonaws.com").Take())
                                .Take()))
      .Add("Version", "2012-10-17")
      .Take();
}

// Why `planned`, a service reserving GPUs, cannot run on the project's EC2 capacity
// provider, or "" when it can.
std::string GpuServiceProblem(const Context& ctx, const PlannedService& planned) {
  if (!ctx.plan.ext.cluster.empty()) {
    return "reserves GPUs, which need an EC2 capacity provider associated with the cluster, but "
           "x-aws-cluster names a cluster ecsync does not own and CloudFormation can only "
           "associate providers by replacing the cluster's whole provider list and default "
           "strategy, which would break the cluster's other services; remove x-aws-cluster so "
           "the project runs in a cluster of its own, or move the GPU service to a separate "
           "compose project without x-aws-cluster";
  }
  if (planned.cpu_architecture != "X86_64") {
    return "reserves GPUs, which run on g4dn instances (x86_64); platform " +
           planned.service->platform + " cannot run there; use linux/amd64";
  }
  if (planned.ext.ephemeral_storage_gib) {
    return "reserves GPUs, which run on EC2, but x-ecsync-ephemeral_storage sizes Fargate "
           "tasks only; remove it (EC2 tasks use the instance's disk)";
  }
  return "";
}

base::Status AddGpuCapacity(Context& ctx) {
  std::string machine;
  std::string ami;
  int gpus = 0;
  double vcpus = 0;
  int64_t memory = 0;
  std::set<std::string> networks;
  for (const PlannedService& planned : ctx.plan.services) {
    if (planned.gpus == 0) continue;
    const std::string problem = GpuServiceProblem(ctx, planned);
    if (!problem.empty()) return base::InvalidError(planned.where + ": " + problem);
    gpus = std::max(gpus, planned.gpus);
    vcpus = std::max(vcpus, planned.size.cpu_units / 1024.0);
    memory = std::max<int64_t>(memory, planned.size.memory_mib);
    networks.insert(planned.networks.begin(), planned.networks.end());
    for (auto [key, value] : {std::pair{"machine", &machine}, std::pair{"ami", &ami}}) {
      const std::string wanted = Constraint(*planned.service, key);
      if (wanted.empty()) continue;
      if (!value->empty() && *value != wanted) {
        return base::InvalidError(planned.where + ": node." + key + " " + wanted +
                                  " differs from another GPU service's " + *value +
                                  "; the project has one GPU capacity provider");
      }
      *value = wanted;
    }
    ctx.parts[planned.service->name].capacity_provider_strategy =
        Arr(Obj().Add("CapacityProvider", Ref(kGpuCapacityProviderId)).Add("Weight", 1).Take());
  }
  if (gpus == 0) return base::Status::Ok();
  const std::string owner = ctx.ProjectOwner() + " (GPU capacity)";
  if (machine.empty()) machine = SmallestGpuInstanceType(gpus, vcpus, memory);
  if (machine.empty()) {
    return base::InvalidError(owner + ": no g4dn instance has " + std::to_string(gpus) +
                              " GPUs with the CPU and memory asked (a task gets an instance's "
                              "memory less max(512 MiB, 6 %)); set node.machine");
  }
  if (!ctx.plan.task_subnets.is_array() && !ctx.plan.task_subnets.is_object()) {
    return base::InvalidError(owner + ": subnets are required");
  }
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(
      kGpuInstanceRoleId, "AWS::IAM::Role",
      Obj()
          .Add("AssumeRolePolicyDocument", Ec2AssumeRole())
          .Add("ManagedPolicyArns",
               Arr("arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"))
          .Add("Tags", ctx.ProjectTags())
          .Take(),
      owner));
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(kGpuInstanceProfileId, "AWS::IAM::InstanceProfile",
                                      Obj().Add("Roles", Arr(Ref(kGpuInstanceRoleId))).Take(),
                                      owner));
  Json groups = Json::array();
  for (const std::string& network : networks) groups.push_back(NetworkSecurityGroup(ctx, network));
  Json user_data = Obj().Add(
      "Fn::Base64",
      Obj()
          .Add("Fn::Sub",
               Arr("#!/bin/bash\necho ECS_CLUSTER=${ClusterName} >> /etc/ecs/ecs.config\n",
                   Obj().Add("ClusterName", Ref(kClusterId)).Take()))
          .Take());
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(
      kGpuLaunchTemplateId, "AWS::EC2::LaunchTemplate",
      Obj()
          .Add("LaunchTemplateData",
               Obj()
                   .Add("IamInstanceProfile",
                        Obj().Add("Arn", GetAtt(kGpuInstanceProfileId, "Arn")).Take())
                   .Add("ImageId", ami.empty() ? std::string(kGpuAmiParameter) : ami)
                   .Add("InstanceType", machine)
                   .Add("SecurityGroupIds", std::move(groups))
                   .Add("TagSpecifications", Arr(TagSpecification("instance", ctx.ProjectTags()),
                                                 TagSpecification("volume", ctx.ProjectTags())))
                   .Add("UserData", std::move(user_data))
                   .Take())
          .Add("TagSpecifications", Arr(TagSpecification("launch-template", ctx.ProjectTags())))
          .Take(),
      owner));
  Resource group;
  group.type = "AWS::AutoScaling::AutoScalingGroup";
  group.properties =
      Obj()
          .Add("LaunchTemplate",
               Obj()
                   .Add("LaunchTemplateId", Ref(kGpuLaunchTemplateId))
                   .Add("Version", GetAtt(kGpuLaunchTemplateId, "LatestVersionNumber"))
                   .Take())
          .Add("MaxSize", std::to_string(kGpuMaxInstances))
          .Add("MinSize", "0")
          .Add("Tags", Arr(Obj()
                               .Add("Key", kProjectTag)
                               .Add("PropagateAtLaunch", true)
                               .Add("Value", ctx.project.name)
                               .Take()))
          .Add("VPCZoneIdentifier", ctx.plan.task_subnets)
          .Take();
  ECSYNC_RETURN_IF_ERROR(ctx.tmpl.Add(kGpuAutoScalingGroupId, std::move(group), owner));
  return ctx.tmpl.Add(
      kGpuCapacityProviderId, "AWS::ECS::CapacityProvider",
      Obj()
          .Add("AutoScalingGroupProvider",
               Obj()
                   .Add("AutoScalingGroupArn", Ref(kGpuAutoScalingGroupId))
                   .Add("ManagedScaling",
                        Obj().Add("Status", "ENABLED").Add("TargetCapacity", 100).Take())
                   .Add("ManagedTerminationProtection", "DISABLED")
                   .Take())
          .Add("Tags", ctx.ProjectTags())
          .Take(),
      owner);
}

}  // namespace

int64_t GpuInstanceTaskMemoryMib(int64_t instance_memory_mib) {
  // An instance registers with ECS less memory than it is sold with (AWS's "Reserving Amazon
  // ECS Linux container instance memory": an 8 GiB m4.large registers 7985 MiB), and ECS
  // places a task only where its whole memory is free. AWS Batch recommends keeping 5 % for
  // the agent and the OS. Rule: a task may use the instance's memory less max(512 MiB, 6 %
  // rounded up), which covers both.
  const int64_t reserved = std::max<int64_t>(512, (instance_memory_mib * 6 + 99) / 100);
  return instance_memory_mib - reserved;
}

std::string SmallestGpuInstanceType(int gpus, double vcpus, int64_t memory_mib) {
  for (const GpuInstance& instance : kG4dn) {
    if (instance.gpus >= gpus && instance.vcpus >= vcpus &&
        GpuInstanceTaskMemoryMib(instance.memory_mib) >= memory_mib) {
      return instance.type;
    }
  }
  return "";
}

base::Status AddCapacity(Context& ctx) {
  for (const PlannedService& planned : ctx.plan.services) {
    if (planned.ext.capacity_providers.empty()) continue;
    Json strategy = Json::array();
    for (const CapacityProviderItem& item : planned.ext.capacity_providers) {
      Obj entry;
      if (item.base > 0) entry.Add("Base", item.base);
      entry.Add("CapacityProvider", item.provider).Add("Weight", item.weight);
      strategy.push_back(std::move(entry).Take());
    }
    ctx.parts[planned.service->name].capacity_provider_strategy = std::move(strategy);
  }
  return AddGpuCapacity(ctx);
}

}  // namespace ecsync::cfn
