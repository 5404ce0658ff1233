#include "cfn/plan.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "base/strings.h"
#include "cfn/names.h"
#include "cfn/service_connect.h"

namespace ecsync::cfn {
namespace {

constexpr char kVpcParameter[] = "VpcId";
constexpr char kSubnetsParameter[] = "SubnetIds";

bool IsValidProjectName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// x-aws-protocol on a long-syntax port (Docker's): http or https asks for an application
// load balancer on any port; tcp (ecsync's) keeps a port off HTTP even on 80/443, e.g. for
// TLS passed through to the container.
base::Status ApplyProtocolExtension(const compose::PortMapping& mapping, const std::string& key,
                                    PlannedPort* port) {
  if (!mapping.extensions.is_object() || !mapping.extensions.contains("x-aws-protocol")) {
    return base::Status::Ok();
  }
  const std::string at = key + ": x-aws-protocol";
  const Json& value = mapping.extensions["x-aws-protocol"];
  if (!value.is_string()) return base::InvalidError(at + ": must be http, https or tcp");
  std::string protocol = value.get<std::string>();
  protocol = base::AsciiLower(protocol);
  if (protocol == "http" || protocol == "https") {
    if (port->protocol != "tcp") {
      return base::InvalidError(at + ": " + protocol + " needs protocol tcp, not " +
                                port->protocol);
    }
    if (port->http && port->https != (protocol == "https")) {
      return base::InvalidError(at + ": " + protocol + " contradicts app_protocol " +
                                mapping.app_protocol + "; remove one of them");
    }
    port->http = true;
    port->https = protocol == "https";
    return base::Status::Ok();
  }
  if (protocol == "tcp") {
    if (port->http) {
      return base::InvalidError(at + ": tcp contradicts app_protocol " + mapping.app_protocol +
                                "; remove one of them");
    }
    if (port->protocol != "tcp") {
      return base::InvalidError(at + ": tcp contradicts protocol " + port->protocol);
    }
    port->raw_tcp = true;
    return base::Status::Ok();
  }
  return base::InvalidError(at + ": \"" + value.get<std::string>() +
                            "\" is not supported; use http, https or tcp (for UDP, set the "
                            "port's protocol: udp)");
}

// The port's Name and AppProtocol in the task definition (Service Connect reads both).
// app_protocol https keeps its load balancer meaning (an HTTPS listener) and, TLS ending at
// the load balancer, the container speaks http.
base::Status PlanPortIdentity(const compose::PortMapping& mapping, const std::string& key,
                              const std::vector<PlannedPort>& earlier, PlannedPort* port) {
  const std::string at = key + " (" + mapping.location.ToString() + ")";
  const std::string& app = mapping.app_protocol;
  if (app == "http" || app == "http2" || app == "grpc") {
    port->app_protocol = app;
  } else if (app == "https") {
    port->app_protocol = "http";
  } else if (!app.empty()) {
    return base::InvalidError(at + ": app_protocol \"" + app +
                              "\" is not one ECS knows; use http, http2 or grpc (or https for an "
                              "HTTPS listener), or remove it for plain TCP");
  }
  if (!port->app_protocol.empty() && port->protocol != "tcp") {
    return base::InvalidError(at + ": app_protocol " + app + " needs protocol tcp");
  }
  if (mapping.name.empty()) return base::Status::Ok();
  if (!IsPortName(mapping.name)) {
    return base::InvalidError(at + ": name \"" + mapping.name +
                              "\" cannot name an ECS port mapping; use up to 64 lower-case "
                              "letters, digits, '_' and '-', not starting with '-'");
  }
  for (const PlannedPort& other : earlier) {
    if (other.name == mapping.name && other.target != port->target) {
      return base::InvalidError(at + ": name \"" + mapping.name +
                                "\" names another port of the service too; port names must "
                                "be unique");
    }
  }
  port->name = mapping.name;
  return base::Status::Ok();
}

base::Result<std::vector<PlannedPort>> PlanPorts(const compose::Service& service,
                                                 const std::string& where) {
  std::vector<PlannedPort> ports;
  for (size_t i = 0; i < service.ports.size(); ++i) {
    const compose::PortMapping& mapping = service.ports[i];
    const std::string key = where + ": ports[" + std::to_string(i) + "]";
    if (mapping.target == 0 || mapping.target > 65535) {
      return base::InvalidError(key + ": container port " + std::to_string(mapping.target) +
                                " is outside 1-65535");
    }
    if (mapping.published && (*mapping.published == 0 || *mapping.published > 65535)) {
      return base::InvalidError(key + ": published port " + std::to_string(*mapping.published) +
                                " is outside 1-65535");
    }
    if (mapping.protocol != "tcp" && mapping.protocol != "udp") {
      return base::InvalidError(key + ": protocol \"" + mapping.protocol +
                                "\" is not supported; use tcp or udp");
    }
    if (mapping.HostScope() == compose::PortMapping::Scope::kOneInterface) {
      return base::InvalidError(key + ": host IP " + mapping.host_ip +
                                " cannot be honoured: a Fargate task has no host interfaces to "
                                "bind to; remove the host IP, or use 127.0.0.1 (or `mode: host`) "
                                "to keep the port inside the project's networks");
    }
    PlannedPort port;
    port.target = mapping.target;
    port.published = mapping.published.value_or(mapping.target);
    port.protocol = mapping.protocol;
    port.https = mapping.app_protocol == "https";
    port.http = mapping.app_protocol == "http" || port.https;
    // A loopback host IP keeps the port inside the project, as `mode: host` does.
    port.listener =
        mapping.mode != "host" && mapping.HostScope() != compose::PortMapping::Scope::kProjectOnly;
    if (port.http && port.protocol != "tcp") {
      return base::InvalidError(key + ": app_protocol " + mapping.app_protocol +
                                " needs protocol tcp");
    }
    ECSYNC_RETURN_IF_ERROR(ApplyProtocolExtension(mapping, key, &port));
    ECSYNC_RETURN_IF_ERROR(PlanPortIdentity(mapping, key, ports, &port));
    bool duplicate = std::any_of(ports.begin(), ports.end(), [&](const PlannedPort& p) {
      return p.target == port.target && p.published == port.published &&
             p.protocol == port.protocol && p.listener == port.listener;
    });
    if (!duplicate) ports.push_back(std::move(port));
  }
  return ports;
}

base::Result<std::string> CpuArchitecture(const compose::Service& service,
                                          const std::string& where) {
  const std::string& platform = service.platform;
  if (platform.empty() || platform == "linux/amd64" || platform == "linux/x86_64") {
    return std::string("X86_64");
  }
  if (platform == "linux/arm64" || platform == "linux/arm64/v8" || platform == "linux/aarch64") {
    return std::string("ARM64");
  }
  return base::InvalidError(where + ": platform \"" + platform +
                            "\" cannot run on ECS; use linux/amd64 or linux/arm64");
}

int GpusOf(const compose::Service& service) {
  int gpus = 0;
  // The service-level `gpus` key asks for the same as a device reservation.
  std::vector<compose::DeviceRequest> devices = service.reservations.devices;
  devices.insert(devices.end(), service.gpus.begin(), service.gpus.end());
  for (const compose::DeviceRequest& device : devices) {
    if (std::find(device.capabilities.begin(), device.capabilities.end(), "gpu") ==
        device.capabilities.end()) {
      continue;
    }
    // `count: all` (-1) or no count: one GPU, the least an instance offers.
    int64_t count = device.count.value_or(1);
    if (!device.device_ids.empty()) count = static_cast<int64_t>(device.device_ids.size());
    gpus += count <= 0 ? 1 : static_cast<int>(count);
  }
  for (const compose::GenericResource& resource : service.reservations.generic_resources) {
    if (resource.kind == "gpus" || resource.kind == "gpu") gpus += static_cast<int>(resource.value);
  }
  return gpus;
}

bool WantsSpot(const compose::Service& service) {
  if (!service.deploy) return false;
  for (const std::string& constraint : service.deploy->placement.constraints) {
    std::string compact;
    for (char c : constraint) {
      if (c != ' ') compact += c;
    }
    if (compact == "node.lifecycle==spot") return true;
  }
  return false;
}

base::Result<PlannedService> PlanService(const compose::Project& project,
                                         const compose::Service& service) {
  PlannedService plan;
  plan.service = &service;
  plan.where = Describe(service);
  const std::string& where = plan.where;
  if (LogicalIdPart(service.name).empty()) {
    return base::InvalidError(where +
                              ": the name needs at least one letter or digit to form "
                              "CloudFormation logical IDs");
  }
  if (service.image.empty()) {
    return base::InvalidError(where +
                              ": image is required; ECS cannot build images, so push one "
                              "and set `image`");
  }
  if (!service.network_mode.empty() && service.network_mode != "awsvpc" &&
      service.network_mode != "host") {
    return base::InvalidError(where + ": network_mode \"" + service.network_mode +
                              "\" is not supported: ECS tasks run in awsvpc mode, each with "
                              "its own network interface; remove network_mode");
  }
  ECSYNC_ASSIGN_OR_RETURN(plan.ports, PlanPorts(service, where));
  ECSYNC_ASSIGN_OR_RETURN(plan.cpu_architecture, CpuArchitecture(service, where));
  ECSYNC_ASSIGN_OR_RETURN(plan.ext, ParseServiceExtensions(service, where));
  plan.gpus = GpusOf(service);
  if (plan.ext.capacity_providers.empty() && WantsSpot(service)) {
    plan.ext.capacity_providers.push_back({"FARGATE_SPOT", 0, 1});
  }
  if (plan.cpu_architecture == "ARM64") {
    for (const CapacityProviderItem& item : plan.ext.capacity_providers) {
      if (item.provider == "FARGATE_SPOT") {
        return base::InvalidError(where + ": FARGATE_SPOT does not run linux/arm64 tasks");
      }
    }
  }
  if (plan.gpus > 0 && !plan.ext.capacity_providers.empty()) {
    return base::InvalidError(where +
                              ": a service reserving GPUs runs on its own EC2 capacity "
                              "provider; remove x-ecsync-capacity_providers or the spot "
                              "placement constraint");
  }

  // The task must fit both the limits and the reservations (and the legacy keys).
  auto larger = [](std::optional<double> a, std::optional<double> b) {
    if (!a) return b;
    if (!b) return a;
    return std::optional<double>(std::max(*a, *b));
  };
  std::optional<double> cpus =
      larger(larger(service.limits.cpus, service.reservations.cpus), service.cpus);
  auto to_double = [](std::optional<int64_t> v) {
    return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
  };
  std::optional<double> memory = larger(
      larger(to_double(service.limits.memory_bytes), to_double(service.reservations.memory_bytes)),
      larger(to_double(service.mem_limit_bytes), to_double(service.mem_reservation_bytes)));
  std::optional<int64_t> memory_bytes =
      memory ? std::optional<int64_t>(static_cast<int64_t>(*memory)) : std::nullopt;
  base::Result<TaskSize> size = SmallestFargateTaskSize(cpus, memory_bytes);
  if (!size.ok()) return size.status().WithContext(where + ": deploy.resources");
  plan.size = *size;

  if (service.replicas) {
    if (*service.replicas < 0) {
      return base::InvalidError(where + ": deploy.replicas must not be negative");
    }
    plan.desired_count = *service.replicas;
  }
  if (plan.ext.autoscaling) {
    plan.desired_count =
        std::clamp(plan.desired_count, plan.ext.autoscaling->min, plan.ext.autoscaling->max);
  }
  for (const std::string& dependency : service.depends_on) {
    if (project.FindService(dependency) == nullptr) {
      return base::InvalidError(where + ": depends_on names \"" + dependency +
                                "\", which is not a service of this project");
    }
  }
  for (const auto& [network, attachment] : service.networks) {
    if (network != "default" && project.networks.count(network) == 0) {
      return base::InvalidError(where + ": networks names \"" + network +
                                "\", which the top-level networks do not define");
    }
    plan.networks.push_back(network);
  }
  if (plan.networks.empty()) plan.networks.push_back("default");
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

base::Status CheckIds(const std::vector<std::string>& ids, const std::string& what) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) {
      return base::InvalidError(what + " #" + std::to_string(i + 1) + " is empty");
    }
  }
  return base::Status::Ok();
}

// VPC, subnets and public IPs: the compose file's extensions win over the options; what
// neither gives becomes a parameter.
base::Status PlanNetwork(const ConvertOptions& options, ProjectPlan& plan) {
  ECSYNC_RETURN_IF_ERROR(CheckIds(options.subnet_ids, "subnet ID"));
  ECSYNC_RETURN_IF_ERROR(CheckIds(options.public_subnet_ids, "public subnet ID"));
  const ProjectExtensions& ext = plan.ext;
  // Subnets from the options belong to the options' VPC.
  const bool options_vpc_applies = ext.vpc.empty() || ext.vpc == options.vpc_id;
  const std::string vpc = ext.vpc.empty() ? options.vpc_id : ext.vpc;
  if (vpc.empty()) {
    plan.vpc = Ref(kVpcParameter);
    plan.parameters.emplace_back(kVpcParameter,
                                 Obj()
                                     .Add("Type", "AWS::EC2::VPC::Id")
                                     .Add("Description", "VPC the project's resources run in")
                                     .Take());
  } else {
    plan.vpc = vpc;
  }
  std::vector<std::string> tasks = ext.subnets;
  if (tasks.empty() && options_vpc_applies) tasks = options.subnet_ids;
  std::vector<std::string> lb = ext.public_subnets;
  if (lb.empty() && options_vpc_applies) lb = options.public_subnet_ids;
  const bool separate_lb_subnets = !lb.empty() && lb != tasks;
  if (tasks.empty()) {
    plan.task_subnets = Ref(kSubnetsParameter);
    plan.parameters.emplace_back(
        kSubnetsParameter,
        Obj()
            .Add("Type", "List<AWS::EC2::Subnet::Id>")
            .Add("Description",
                 "Subnets of that VPC for the tasks (and the load balancer, unless it has its "
                 "own), in at least two Availability Zones")
            .Take());
  } else {
    plan.task_subnets = tasks;
  }
  plan.lb_subnets = lb.empty() ? plan.task_subnets : Json(lb);
  plan.assign_public_ip = !separate_lb_subnets;
  if (options.assign_public_ip) plan.assign_public_ip = *options.assign_public_ip;
  if (ext.assign_public_ip) plan.assign_public_ip = *ext.assign_public_ip;
  return base::Status::Ok();
}

// The load balancer type an ELBv2 ARN names: ...:loadbalancer/app/<name>/<id> or /net/.
std::string TypeFromArn(const std::string& arn) {
  if (arn.find(":loadbalancer/app/") != std::string::npos) return "application";
  if (arn.find(":loadbalancer/net/") != std::string::npos) return "network";
  if (arn.find(":loadbalancer/gwy/") != std::string::npos) return "gateway";
  return "";
}

// x-aws-loadbalancer: the listeners go onto that load balancer, whose type (not the ports)
// decides how they speak. Sets plan.ext.load_balancer to the ARN.
base::Status PlanExistingLoadBalancer(const compose::Project& project,
                                      const ConvertOptions& options, bool all_http,
                                      ProjectPlan& plan) {
  const std::string where =
      "project \"" + project.name + "\": x-aws-loadbalancer \"" + plan.ext.load_balancer + "\"";
  std::string arn;
  std::string type;
  if (options.load_balancer) {
    arn = options.load_balancer->arn;
    type = options.load_balancer->type;
  } else if (plan.ext.load_balancer.rfind("arn:", 0) == 0) {
    arn = plan.ext.load_balancer;
    type = TypeFromArn(arn);
    if (type.empty()) {
      return base::InvalidError(where +
                                ": is not an Elastic Load Balancing v2 load balancer "
                                "ARN (…:loadbalancer/app/… or …:loadbalancer/net/…)");
    }
  } else {
    return base::InvalidError(where +
                              ": is a name, which ecsync looks up when it deploys; without "
                              "that lookup (converting offline) give the load balancer's ARN");
  }
  if (type != "application" && type != "network") {
    return base::InvalidError(where + ": is a " + type +
                              " load balancer; ECS services need an application or network one");
  }
  if (type == "application" && plan.any_listener && !all_http) {
    for (const PlannedService& service : plan.services) {
      for (const PlannedPort& port : service.ports) {
        if (!port.listener) continue;
        if (port.protocol != "tcp" || port.raw_tcp) {
          return base::InvalidError(service.where + ": publishes " + port.protocol + " port " +
                                    std::to_string(port.published) + ", but " + where +
                                    " is an application load balancer, which speaks HTTP only");
        }
      }
    }
  }
  plan.ext.load_balancer = arn;
  plan.application_lb = plan.any_listener && type == "application";
  return base::Status::Ok();
}

}  // namespace

std::string Describe(const compose::Service& service) {
  std::string out = "service \"" + service.name + "\"";
  std::string where = service.location.ToString();
  if (!where.empty()) out += " (" + where + ")";
  return out;
}

base::Result<ProjectPlan> PlanProject(const compose::Project& project,
                                      const ConvertOptions& options) {
  if (!IsValidProjectName(project.name)) {
    return base::InvalidError("project name \"" + project.name +
                              "\" must be non-empty and use only letters, digits, '-' and '_'");
  }
  if (project.services.empty()) {
    return base::InvalidError("project \"" + project.name +
                              "\" has no services; there is nothing to run on ECS");
  }
  ProjectPlan plan;
  ECSYNC_ASSIGN_OR_RETURN(plan.ext, ParseProjectExtensions(project));
  ECSYNC_RETURN_IF_ERROR(PlanNetwork(options, plan));

  std::set<std::string> names;
  plan.services.reserve(project.services.size());
  for (const compose::Service& service : project.services) {
    if (!names.insert(service.name).second) {
      return base::InvalidError(Describe(service) + ": the project defines it twice");
    }
    ECSYNC_ASSIGN_OR_RETURN(PlannedService planned, PlanService(project, service));
    plan.services.push_back(std::move(planned));
  }
  ECSYNC_RETURN_IF_ERROR(CheckNoDependencyCycle(project));

  // One load balancer for the project: application when every listener speaks HTTP(S).
  bool all_http = true;
  for (const PlannedService& service : plan.services) {
    for (const PlannedPort& port : service.ports) {
      if (!port.listener) continue;
      plan.any_listener = true;
      const bool http = port.protocol == "tcp" && !port.raw_tcp &&
                        (port.http || port.published == 80 || port.published == 443);
      if (!http) all_http = false;
    }
  }
  plan.application_lb = plan.any_listener && all_http;
  if (plan.ext.service_connect) AssignServiceConnectPortNames(plan);
  if (!plan.ext.load_balancer.empty()) {
    ECSYNC_RETURN_IF_ERROR(PlanExistingLoadBalancer(project, options, all_http, plan));
  }
  return plan;
}

}  // namespace ecsync::cfn
