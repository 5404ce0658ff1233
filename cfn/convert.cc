#include "cfn/convert.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "cfn/fargate.h"
#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;

constexpr char kProjectTag[] = "com.docker.compose.project";
constexpr char kServiceTag[] = "com.docker.compose.service";
constexpr char kNetworkTag[] = "com.docker.compose.network";
constexpr char kVpcParameter[] = "VpcId";
constexpr char kSubnetsParameter[] = "SubnetIds";
constexpr char kUsEast1Condition[] = "IsUsEast1";
constexpr char kResolvConfImage[] = "docker/ecs-searchdomain-sidecar:1.0";

// One port a service exposes through the load balancer. Compose's published port must
// equal the container port, so one number names both.
struct ExposedPort {
  uint32_t port = 0;
  std::string protocol;  // "tcp" or "udp"
};

// What Convert learns about a service before it emits anything.
struct PlannedService {
  const compose::Service* service = nullptr;
  std::vector<ExposedPort> ports;
  TaskSize size;
  int desired_count = 1;
};

ordered_json Ref(std::string_view id) { return ordered_json{{"Ref", id}}; }

ordered_json GetAtt(std::string_view id, std::string_view attribute) {
  return ordered_json{{"Fn::GetAtt", ordered_json::array({id, attribute})}};
}

ordered_json Tag(std::string_view key, std::string_view value) {
  return ordered_json{{"Key", key}, {"Value", value}};
}

// `service "web" (compose.yaml:3:3)`: the prefix of every per-service error.
std::string Describe(const compose::Service& service) {
  std::string out = "service \"" + service.name + "\"";
  std::string where = service.location.ToString();
  if (!where.empty()) out += " (" + where + ")";
  return out;
}

bool IsValidProjectName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

base::Result<std::vector<ExposedPort>> PlanPorts(const compose::Service& service) {
  std::vector<ExposedPort> ports;
  for (size_t i = 0; i < service.ports.size(); ++i) {
    const compose::PortMapping& mapping = service.ports[i];
    std::string key = Describe(service) + ": ports[" + std::to_string(i) + "]";
    if (mapping.target == 0 || mapping.target > 65535) {
      return base::InvalidError(key + ": container port " + std::to_string(mapping.target) +
                                " is outside 1-65535");
    }
    if (mapping.published && *mapping.published != mapping.target) {
      return base::InvalidError(
          key + ": published port " + std::to_string(*mapping.published) +
          " differs from container port " + std::to_string(mapping.target) +
          "; ECS publishes the container port itself on the load balancer, so write \"" +
          std::to_string(mapping.target) + ":" + std::to_string(mapping.target) + "\"");
    }
    if (mapping.protocol != "tcp" && mapping.protocol != "udp") {
      return base::InvalidError(key + ": protocol \"" + mapping.protocol +
                                "\" is not supported; use tcp or udp");
    }
    if (!mapping.host_ip.empty() && mapping.host_ip != "0.0.0.0" && mapping.host_ip != "::") {
      return base::InvalidError(key + ": host IP " + mapping.host_ip +
                                " cannot be honoured: ECS publishes ports on an internet-facing "
                                "load balancer; remove the host IP or the port");
    }
    ExposedPort port{mapping.target, mapping.protocol};
    bool duplicate = std::any_of(ports.begin(), ports.end(), [&](const ExposedPort& p) {
      return p.port == port.port && p.protocol == port.protocol;
    });
    if (!duplicate) ports.push_back(std::move(port));
  }
  return ports;
}

base::Result<PlannedService> PlanService(const compose::Project& project,
                                         const compose::Service& service) {
  PlannedService plan;
  plan.service = &service;
  if (LogicalIdPart(service.name).empty()) {
    return base::InvalidError(Describe(service) +
                              ": the name needs at least one letter or digit to form "
                              "CloudFormation logical IDs");
  }
  if (service.image.empty()) {
    return base::InvalidError(Describe(service) +
                              ": image is required; ECS cannot build images, so push one "
                              "and set `image`");
  }
  ECSYNC_ASSIGN_OR_RETURN(plan.ports, PlanPorts(service));

  // The task must fit both the limits and the reservations.
  std::optional<double> cpus = service.limits.cpus;
  if (service.reservations.cpus && (!cpus || *service.reservations.cpus > *cpus)) {
    cpus = service.reservations.cpus;
  }
  std::optional<int64_t> memory = service.limits.memory_bytes;
  if (service.reservations.memory_bytes &&
      (!memory || *service.reservations.memory_bytes > *memory)) {
    memory = service.reservations.memory_bytes;
  }
  base::Result<TaskSize> size = SmallestFargateTaskSize(cpus, memory);
  if (!size.ok()) return size.status().WithContext(Describe(service) + ": deploy.resources");
  plan.size = *size;

  if (service.replicas) {
    if (*service.replicas < 0) {
      return base::InvalidError(Describe(service) + ": deploy.replicas must not be negative");
    }
    plan.desired_count = *service.replicas;
  }
  for (const std::string& dependency : service.depends_on) {
    if (project.FindService(dependency) == nullptr) {
      return base::InvalidError(Describe(service) + ": depends_on names \"" + dependency +
                                "\", which is not a service of this project");
    }
  }
  return plan;
}

// kInvalid when depends_on has a cycle: CloudFormation would reject the template.
base::Status CheckNoDependencyCycle(const compose::Project& project) {
  enum class Mark { kNone, kVisiting, kDone };
  std::map<std::string, Mark> marks;
  std::vector<std::string> path;
  // Recursive; the depth is bounded by the number of services.
  auto visit = [&](auto&& self, const compose::Service& service) -> base::Status {
    Mark& mark = marks[service.name];
    if (mark == Mark::kDone) return base::Status::Ok();
    if (mark == Mark::kVisiting) {
      std::string cycle;
      auto start = std::find(path.begin(), path.end(), service.name);
      for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
      return base::InvalidError("depends_on has a cycle: " + cycle + service.name);
    }
    mark = Mark::kVisiting;
    path.push_back(service.name);
    for (const std::string& dependency : service.depends_on) {
      const compose::Service* next = project.FindService(dependency);
      if (next != nullptr) ECSYNC_RETURN_IF_ERROR(self(self, *next));
    }
    path.pop_back();
    marks[service.name] = Mark::kDone;
    return base::Status::Ok();
  };
  for (const compose::Service& service : project.services) {
    ECSYNC_RETURN_IF_ERROR(visit(visit, service));
  }
  return base::Status::Ok();
}

// Builds the template's Resources. Logical IDs are unique by construction except when
// two compose names normalize to the same ID; Add() reports that.
class TemplateBuilder {
 public:
  TemplateBuilder(const compose::Project& project, const ConvertOptions& options)
      : project_(project), options_(options) {}

  base::Result<ordered_json> Build(const std::vector<PlannedService>& plans) {
    bool any_port = false;
    bool all_http = true;
    for (const PlannedService& plan : plans) {
      for (const ExposedPort& port : plan.ports) {
        any_port = true;
        if (port.protocol != "tcp" || (port.port != 80 && port.port != 443)) all_http = false;
      }
    }
    application_lb_ = any_port && all_http;

    ECSYNC_RETURN_IF_ERROR(AddShared(plans, any_port));
    for (const PlannedService& plan : plans) ECSYNC_RETURN_IF_ERROR(AddService(plan));

    ordered_json tmpl = ordered_json::object();
    tmpl["AWSTemplateFormatVersion"] = "2010-09-09";
    ordered_json parameters = ordered_json::object();
    if (options_.vpc_id.empty()) {
      parameters[kVpcParameter] = {{"Type", "AWS::EC2::VPC::Id"},
                                   {"Description", "VPC the project's resources run in"}};
    }
    if (options_.subnet_ids.empty()) {
      parameters[kSubnetsParameter] = {
          {"Type", "List<AWS::EC2::Subnet::Id>"},
          {"Description",
           "Subnets of that VPC for the tasks and the load balancer, in at least two "
           "Availability Zones"}};
    }
    if (!parameters.empty()) tmpl["Parameters"] = std::move(parameters);
    tmpl["Conditions"] = {
        {kUsEast1Condition,
         {{"Fn::Equals", ordered_json::array({Ref("AWS::Region"), "us-east-1"})}}}};
    ordered_json resources = ordered_json::object();
    for (auto& [id, resource] : resources_) resources[id] = std::move(resource);
    tmpl["Resources"] = std::move(resources);
    return tmpl;
  }

 private:
  ordered_json Vpc() const {
    return options_.vpc_id.empty() ? Ref(kVpcParameter) : ordered_json(options_.vpc_id);
  }

  ordered_json Subnets() const {
    return options_.subnet_ids.empty() ? Ref(kSubnetsParameter) : ordered_json(options_.subnet_ids);
  }

  ordered_json ProjectTags() const {
    return ordered_json::array({Tag(kProjectTag, project_.name)});
  }

  ordered_json ServiceTags(const compose::Service& service) const {
    return ordered_json::array({Tag(kProjectTag, project_.name), Tag(kServiceTag, service.name)});
  }

  // Adds a resource; `depends_on` is omitted when empty. `owner` names what asked for
  // the ID, for the collision message.
  base::Status Add(const std::string& id, const std::string& type, ordered_json properties,
                   const std::string& owner, std::vector<std::string> depends_on = {}) {
    auto [it, inserted] = owners_.emplace(id, owner);
    if (!inserted) {
      return base::InvalidError(owner + " and " + it->second + " both need the logical ID " + id +
                                "; rename one of them");
    }
    ordered_json resource = {{"Type", type}};
    if (!depends_on.empty()) resource["DependsOn"] = std::move(depends_on);
    resource["Properties"] = std::move(properties);
    resources_[id] = std::move(resource);
    return base::Status::Ok();
  }

  base::Status AddShared(const std::vector<PlannedService>& plans, bool any_port) {
    const std::string& name = project_.name;
    const std::string owner = "project \"" + name + "\"";
    ECSYNC_RETURN_IF_ERROR(Add(kClusterId, "AWS::ECS::Cluster",
                               {{"ClusterName", name}, {"Tags", ProjectTags()}}, owner));
    ECSYNC_RETURN_IF_ERROR(
        Add(kLogGroupId, "AWS::Logs::LogGroup",
            {{"LogGroupName", "/docker-compose/" + name}, {"Tags", ProjectTags()}}, owner));
    ECSYNC_RETURN_IF_ERROR(Add(kCloudMapId, "AWS::ServiceDiscovery::PrivateDnsNamespace",
                               {{"Description", "Service Map for Docker Compose project " + name},
                                {"Name", name + ".local"},
                                {"Tags", ProjectTags()},
                                {"Vpc", Vpc()}},
                               owner));
    ordered_json network_tags = ProjectTags();
    network_tags.push_back(Tag(kNetworkTag, name + "_default"));
    ECSYNC_RETURN_IF_ERROR(Add(kDefaultNetworkId, "AWS::EC2::SecurityGroup",
                               {{"GroupDescription", name + " Security Group for default network"},
                                {"Tags", std::move(network_tags)},
                                {"VpcId", Vpc()}},
                               owner));
    ECSYNC_RETURN_IF_ERROR(Add(kDefaultNetworkIngressId, "AWS::EC2::SecurityGroupIngress",
                               {{"Description", "Allow communication within network default"},
                                {"GroupId", Ref(kDefaultNetworkId)},
                                {"IpProtocol", "-1"},
                                {"SourceSecurityGroupId", Ref(kDefaultNetworkId)}},
                               owner));
    if (!any_port) return base::Status::Ok();

    ordered_json lb = {{"Scheme", "internet-facing"}};
    // Network load balancers get no security group, as in Docker's integration.
    if (application_lb_) lb["SecurityGroups"] = ordered_json::array({Ref(kDefaultNetworkId)});
    lb["Subnets"] = Subnets();
    lb["Tags"] = ProjectTags();
    lb["Type"] = application_lb_ ? "application" : "network";
    ECSYNC_RETURN_IF_ERROR(
        Add(kLoadBalancerId, "AWS::ElasticLoadBalancingV2::LoadBalancer", std::move(lb), owner));

    // Each port number is one listener on the single load balancer.
    std::map<uint32_t, const compose::Service*> port_owner;
    for (const PlannedService& plan : plans) {
      for (const ExposedPort& port : plan.ports) {
        auto [it, inserted] = port_owner.emplace(port.port, plan.service);
        if (!inserted) {
          const std::string other =
              it->second == plan.service ? "itself (tcp and udp)" : Describe(*it->second);
          return base::InvalidError(
              Describe(*plan.service) + ": port " + std::to_string(port.port) +
              " is also published by " + other +
              "; all services share one load balancer, so each port can be published once");
        }
        ECSYNC_RETURN_IF_ERROR(
            Add(PortIngressId(port.port), "AWS::EC2::SecurityGroupIngress",
                {{"CidrIp", "0.0.0.0/0"},
                 {"Description", plan.service->name + ":" + std::to_string(port.port) + "/" +
                                     port.protocol + " on default network"},
                 {"FromPort", port.port},
                 {"GroupId", Ref(kDefaultNetworkId)},
                 {"IpProtocol", port.protocol == "tcp" ? "TCP" : "UDP"},
                 {"ToPort", port.port}},
                Describe(*plan.service)));
      }
    }
    return base::Status::Ok();
  }

  // Application load balancers speak HTTP on 80 and 443 alike: HTTPS would need a
  // certificate the compose file cannot name.
  std::string LbProtocol(const ExposedPort& port) const {
    if (application_lb_) return "HTTP";
    return port.protocol == "tcp" ? "TCP" : "UDP";
  }

  ordered_json LogConfiguration() const {
    return {{"LogDriver", "awslogs"},
            {"Options",
             {{"awslogs-group", Ref(kLogGroupId)},
              {"awslogs-region", Ref("AWS::Region")},
              {"awslogs-stream-prefix", project_.name}}}};
  }

  ordered_json ContainerDefinitions(const PlannedService& plan) const {
    const compose::Service& service = *plan.service;
    const std::string init_name = ResolvConfContainerName(service.name);
    // The region's default search domain first, then the Cloud Map namespace, so that
    // other services resolve by their bare compose name.
    ordered_json region_domain = {
        {"Fn::If", ordered_json::array({kUsEast1Condition,
                                        "ec2.internal",
                                        {{"Fn::Sub", "${AWS::Region}.compute.internal"}}})}};
    ordered_json init = {
        {"Command", ordered_json::array({std::move(region_domain), project_.name + ".local"})},
        {"Essential", false},
        {"Image", kResolvConfImage},
        {"LogConfiguration", LogConfiguration()},
        {"Name", init_name}};

    ordered_json main = ordered_json::object();
    if (service.command) main["Command"] = *service.command;
    main["DependsOn"] =
        ordered_json::array({{{"Condition", "SUCCESS"}, {"ContainerName", init_name}}});
    if (service.entrypoint) main["EntryPoint"] = *service.entrypoint;
    ordered_json environment = ordered_json::array();
    for (const auto& [key, value] : service.environment) {  // std::map: sorted by name
      // A variable without a value is unset, as with docker compose.
      if (value) environment.push_back({{"Name", key}, {"Value", *value}});
    }
    if (!environment.empty()) main["Environment"] = std::move(environment);
    main["Essential"] = true;
    main["Image"] = service.image;
    main["LinuxParameters"] = ordered_json::object();
    main["LogConfiguration"] = LogConfiguration();
    main["Name"] = service.name;
    if (!plan.ports.empty()) {
      ordered_json mappings = ordered_json::array();
      for (const ExposedPort& port : plan.ports) {
        mappings.push_back(
            {{"ContainerPort", port.port}, {"HostPort", port.port}, {"Protocol", port.protocol}});
      }
      main["PortMappings"] = std::move(mappings);
    }
    return ordered_json::array({std::move(init), std::move(main)});
  }

  base::Status AddService(const PlannedService& plan) {
    const compose::Service& service = *plan.service;
    const std::string owner = Describe(service);
    const std::string role_id = TaskExecutionRoleId(service.name);
    const std::string task_id = TaskDefinitionId(service.name);
    const std::string discovery_id = ServiceDiscoveryEntryId(service.name);

    ordered_json assume_role = {
        {"Statement",
         ordered_json::array({{{"Action", ordered_json::array({"sts:AssumeRole"})},
                               {"Condition", ordered_json::object()},
                               {"Effect", "Allow"},
                               {"Principal", {{"Service", "ecs-tasks.amazonaws.com"}}}}})},
        {"Version", "2012-10-17"}};
    ECSYNC_RETURN_IF_ERROR(
        Add(role_id, "AWS::IAM::Role",
            {{"AssumeRolePolicyDocument", std::move(assume_role)},
             {"ManagedPolicyArns",
              ordered_json::array(
                  {"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                   "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"})},
             {"Tags", ServiceTags(service)}},
            owner));

    ECSYNC_RETURN_IF_ERROR(
        Add(task_id, "AWS::ECS::TaskDefinition",
            {{"ContainerDefinitions", ContainerDefinitions(plan)},
             {"Cpu", std::to_string(plan.size.cpu_units)},
             // Docker refers to the role by name (Ref); the property wants an ARN.
             {"ExecutionRoleArn", GetAtt(role_id, "Arn")},
             {"Family", project_.name + "-" + service.name},
             {"Memory", std::to_string(plan.size.memory_mib)},
             {"NetworkMode", "awsvpc"},
             {"RequiresCompatibilities", ordered_json::array({"FARGATE"})},
             {"Tags", ServiceTags(service)}},
            owner));

    ECSYNC_RETURN_IF_ERROR(
        Add(discovery_id, "AWS::ServiceDiscovery::Service",
            {{"Description", "\"" + service.name + "\" service discovery entry in Cloud Map"},
             {"DnsConfig",
              {{"DnsRecords", ordered_json::array({{{"TTL", 60}, {"Type", "A"}}})},
               {"RoutingPolicy", "MULTIVALUE"}}},
             {"HealthCheckCustomConfig", {{"FailureThreshold", 1}}},
             {"Name", service.name},
             {"NamespaceId", Ref(kCloudMapId)},
             {"Tags", ServiceTags(service)}},
            owner));

    std::vector<std::string> depends_on;
    ordered_json load_balancers = ordered_json::array();
    for (const ExposedPort& port : plan.ports) {
      const std::string group_id = TargetGroupId(service.name, port.protocol, port.port);
      const std::string listener_id = ListenerId(service.name, port.protocol, port.port);
      const std::string protocol = LbProtocol(port);
      ECSYNC_RETURN_IF_ERROR(Add(group_id, "AWS::ElasticLoadBalancingV2::TargetGroup",
                                 {{"Port", port.port},
                                  {"Protocol", protocol},
                                  {"Tags", ServiceTags(service)},
                                  {"TargetType", "ip"},
                                  {"VpcId", Vpc()}},
                                 owner));
      // Docker's ForwardConfig, plus the same group as TargetGroupArn (AWS allows both when
      // they agree): moto, which tests deploy to, only reads TargetGroupArn.
      ordered_json forward = {
          {"ForwardConfig",
           {{"TargetGroups", ordered_json::array({{{"TargetGroupArn", Ref(group_id)}}})}}},
          {"TargetGroupArn", Ref(group_id)},
          {"Type", "forward"}};
      ECSYNC_RETURN_IF_ERROR(Add(listener_id, "AWS::ElasticLoadBalancingV2::Listener",
                                 {{"DefaultActions", ordered_json::array({std::move(forward)})},
                                  {"LoadBalancerArn", Ref(kLoadBalancerId)},
                                  {"Port", port.port},
                                  {"Protocol", protocol}},
                                 owner));
      // ECS refuses a target group that no listener attaches to a load balancer yet.
      depends_on.push_back(listener_id);
      load_balancers.push_back({{"ContainerName", service.name},
                                {"ContainerPort", port.port},
                                {"TargetGroupArn", Ref(group_id)}});
    }
    for (const std::string& dependency : service.depends_on) {
      depends_on.push_back(ServiceId(dependency));
    }

    ordered_json properties = {
        {"Cluster", GetAtt(kClusterId, "Arn")},
        {"DeploymentConfiguration", {{"MaximumPercent", 200}, {"MinimumHealthyPercent", 100}}},
        {"DeploymentController", {{"Type", "ECS"}}},
        {"DesiredCount", plan.desired_count},
        {"LaunchType", "FARGATE"}};
    if (!load_balancers.empty()) properties["LoadBalancers"] = std::move(load_balancers);
    properties["NetworkConfiguration"] = {
        {"AwsvpcConfiguration",
         {{"AssignPublicIp", "ENABLED"},
          {"SecurityGroups", ordered_json::array({Ref(kDefaultNetworkId)})},
          {"Subnets", Subnets()}}}};
    properties["PlatformVersion"] = "1.4.0";
    properties["PropagateTags"] = "SERVICE";
    properties["SchedulingStrategy"] = "REPLICA";
    properties["ServiceRegistries"] =
        ordered_json::array({{{"RegistryArn", GetAtt(discovery_id, "Arn")}}});
    properties["Tags"] = ServiceTags(service);
    properties["TaskDefinition"] = Ref(task_id);
    return Add(ServiceId(service.name), "AWS::ECS::Service", std::move(properties), owner,
               std::move(depends_on));
  }

  const compose::Project& project_;
  const ConvertOptions& options_;
  bool application_lb_ = false;
  // Sorted by logical ID, so the output order does not depend on the order of services.
  std::map<std::string, ordered_json> resources_;
  std::map<std::string, std::string> owners_;  // logical ID -> what added it
};

}  // namespace

base::Result<ordered_json> Convert(const compose::Project& project, const ConvertOptions& options) {
  if (!IsValidProjectName(project.name)) {
    return base::InvalidError("project name \"" + project.name +
                              "\" must be non-empty and use only letters, digits, '-' and '_'");
  }
  if (project.services.empty()) {
    return base::InvalidError("project \"" + project.name +
                              "\" has no services; there is nothing to run on ECS");
  }
  for (size_t i = 0; i < options.subnet_ids.size(); ++i) {
    if (options.subnet_ids[i].empty()) {
      return base::InvalidError("subnet ID #" + std::to_string(i + 1) + " is empty");
    }
  }

  std::vector<PlannedService> plans;
  std::set<std::string> names;
  for (const compose::Service& service : project.services) {
    if (!names.insert(service.name).second) {
      return base::InvalidError(Describe(service) + ": the project defines it twice");
    }
    ECSYNC_ASSIGN_OR_RETURN(PlannedService plan, PlanService(project, service));
    plans.push_back(std::move(plan));
  }
  ECSYNC_RETURN_IF_ERROR(CheckNoDependencyCycle(project));
  return TemplateBuilder(project, options).Build(plans);
}

}  // namespace ecsync::cfn
