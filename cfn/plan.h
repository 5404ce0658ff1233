#pragma once

// The decisions Convert makes before it emits anything: which ports reach the load
// balancer and how, task sizes, networks, subnets, extensions. Everything ECS cannot run
// is rejected here with kInvalid naming the service, file and line. Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "cfn/convert.h"
#include "cfn/extensions.h"
#include "cfn/fargate.h"
#include "cfn/json.h"
#include "compose/model.h"

namespace ecsync::cfn {

// One container port of a service.
struct PlannedPort {
  uint32_t target = 0;     // the container port
  uint32_t published = 0;  // the load balancer's listener port; == target unless "P:T"
  std::string protocol;    // "tcp" or "udp"
  bool http = false;       // app_protocol or x-aws-protocol http/https: asks for an ALB
  bool https = false;      // ... https: an HTTPS listener (needs x-ecsync-certificate)
  bool raw_tcp = false;    // x-aws-protocol: tcp: never HTTP, even on 80/443
  bool listener = true;    // false for `mode: host`: reachable inside the networks only
  // The container's PortMapping Name: compose's `name`, or with Service Connect (and tcp) a
  // generated one (AssignServiceConnectPortNames); empty: none.
  std::string name;
  std::string app_protocol;  // the PortMapping AppProtocol: http, http2, grpc; empty: none
};

struct PlannedService {
  const compose::Service* service = nullptr;
  std::string where;  // `service "web" (compose.yaml:3:3)`: prefix of its error messages
  std::vector<PlannedPort> ports;  // de-duplicated, in the order written
  TaskSize size;
  int desired_count = 1;
  std::vector<std::string> networks;  // keys of Project::networks, sorted; "default" if none
  std::string cpu_architecture;       // "X86_64" or "ARM64", from `platform`
  int gpus = 0;                       // GPUs reserved: the service runs on EC2, not Fargate
  ServiceExtensions ext;
};

struct ProjectPlan {
  ProjectExtensions ext;
  std::vector<PlannedService> services;  // in the project's order (sorted by name)
  bool any_listener = false;             // something publishes a port on the load balancer
  bool application_lb = false;           // every listener port is HTTP(S)
  Json vpc;                              // "vpc-…" or {"Ref": "VpcId"}
  Json task_subnets;                     // list or {"Ref": "SubnetIds"}
  Json lb_subnets;                       // list or {"Ref": ...}
  bool assign_public_ip = true;
  // Parameters the template declares for what the options left open, name -> definition.
  std::vector<std::pair<std::string, Json>> parameters;
};

base::Result<ProjectPlan> PlanProject(const compose::Project& project,
                                      const ConvertOptions& options);

// `service "web" (compose.yaml:3:3)`
std::string Describe(const compose::Service& service);

}  // namespace ecsync::cfn
