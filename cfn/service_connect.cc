#include "cfn/service_connect.h"

#include <set>
#include <utility>

#include "cfn/deployment_resources.h"
#include "cfn/names.h"

namespace ecsync::cfn {
namespace {

constexpr size_t kMaxPortName = 64;

bool IsPortNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The compose service's name as the start of a port name.
std::string PortNamePrefix(const std::string& service) {
  std::string out;
  for (char c : service) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    out += IsPortNameChar(lower) ? lower : '-';
  }
  if (!out.empty() && out.front() == '-') out.front() = '_';
  return out;
}

// The Cloud Map service Service Connect registers the port under. Never the compose
// service's bare name, which its DNS discovery entry holds while a project switches over.
std::string DiscoveryName(const std::string& service, const PlannedPort& port) {
  const std::string prefix = PortNamePrefix(service) + "-";
  if (port.name.rfind(prefix, 0) == 0) return port.name;
  return prefix + port.name;
}

}  // namespace

bool IsPortName(const std::string& name) {
  if (name.empty() || name.size() > kMaxPortName || name.front() == '-') return false;
  for (char c : name) {
    if (!IsPortNameChar(c)) return false;
  }
  return true;
}

void AssignServiceConnectPortNames(ProjectPlan& plan) {
  for (PlannedService& planned : plan.services) {
    const std::string prefix = PortNamePrefix(planned.service->name);
    for (PlannedPort& port : planned.ports) {
      if (!port.name.empty() || port.protocol != "tcp") continue;
      std::string name = prefix + "-" + std::to_string(port.target);
      // Longer names keep their end, where the port number is.
      if (name.size() > kMaxPortName) name = name.substr(name.size() - kMaxPortName);
      if (name.front() == '-') name.front() = '_';
      port.name = std::move(name);
    }
  }
}

base::Status AddServiceConnect(Context& ctx) {
  if (!ctx.plan.ext.service_connect) return base::Status::Ok();
  for (const PlannedService& planned : ctx.plan.services) {
    const compose::Service& service = *planned.service;
    Json services = Json::array();
    // One endpoint per container port, as the task definition maps them (first name wins).
    std::set<uint32_t> seen;
    for (const PlannedPort& port : planned.ports) {
      if (port.protocol != "tcp" || port.name.empty() || !seen.insert(port.target).second) {
        continue;  // Service Connect carries TCP only
      }
      Obj alias;
      alias.Add("DnsName", service.name).Add("Port", port.target);
      // While a blue/green, linear or canary deployment runs, requests with the test header
      // reach the new revision before any production traffic does, as behind the load
      // balancer.
      if (planned.ext.deployment && planned.ext.deployment->ShiftsTraffic()) {
        alias.Add("TestTrafficRules",
                  Obj()
                      .Add("Header", Obj()
                                         .Add("Name", kTestTrafficHeader)
                                         .Add("Value", Obj().Add("Exact", kTestTrafficValue).Take())
                                         .Take())
                      .Take());
      }
      services.push_back(Obj()
                             .Add("ClientAliases", Arr(std::move(alias).Take()))
                             .Add("DiscoveryName", DiscoveryName(service.name, port))
                             .Add("PortName", port.name)
                             .Take());
    }
    // A service without ports is a client only: it resolves the others' aliases.
    Obj config;
    config.Add("Enabled", true)
        .Add("LogConfiguration", ctx.LogConfiguration())
        .Add("Namespace", GetAtt(kCloudMapId, "Arn"));
    if (!services.empty()) config.Add("Services", std::move(services));
    ctx.parts[service.name].service_connect = std::move(config).Take();
  }
  return base::Status::Ok();
}

Json ServiceConnectDefaults(const Context& ctx) {
  if (!ctx.plan.ext.service_connect) return Json();
  return Obj().Add("Namespace", GetAtt(kCloudMapId, "Arn")).Take();
}

}  // namespace ecsync::cfn
