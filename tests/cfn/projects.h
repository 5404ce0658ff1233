#pragma once

// Test-only: compose projects built directly as model structs, so cfn tests do not
// depend on the loader.

#include <string>
#include <vector>

#include "compose/model.h"

namespace ecsync::cfn::testing {

inline compose::PortMapping Port(uint32_t port, std::string protocol = "tcp") {
  compose::PortMapping mapping;
  mapping.target = port;
  mapping.published = port;
  mapping.protocol = std::move(protocol);
  return mapping;
}

inline compose::Service Service(std::string name, std::string image,
                                std::vector<compose::PortMapping> ports = {}) {
  compose::Service service;
  service.name = std::move(name);
  service.image = std::move(image);
  service.ports = std::move(ports);
  service.location = {"compose.yaml", 2, 3};
  return service;
}

inline compose::Project Project(std::string name, std::vector<compose::Service> services) {
  compose::Project project;
  project.name = std::move(name);
  project.services = std::move(services);
  project.files = {"compose.yaml"};
  return project;
}

// input/simple-single-service.yaml of Docker's golden test.
inline compose::Project SimpleSingleService() {
  return Project("TestSimpleConvert", {Service("simple", "nginx", {Port(80)})});
}

// A web front, an API on a non-HTTP port, a worker with no ports, and a cache:
// several services, depends_on, environment, command, sizes; needs a network LB.
inline compose::Project MultiServiceNetworkLb() {
  compose::Service web = Service("web", "nginx:1.25", {Port(80)});
  web.depends_on = {"api"};
  compose::Service api = Service("api", "example/api:2", {Port(8080)});
  api.environment = {{"LOG_LEVEL", "debug"}, {"DB_HOST", "db"}, {"UNSET", std::nullopt}};
  api.command = std::vector<std::string>{"serve", "--port", "8080"};
  api.replicas = 3;
  api.limits.cpus = 1.0;
  api.limits.memory_bytes = int64_t{3} * 1024 * 1024 * 1024;
  api.depends_on = {"cache"};
  compose::Service worker = Service("queue-worker", "example/worker");
  worker.entrypoint = std::vector<std::string>{"/bin/worker"};
  worker.command = std::vector<std::string>{"--concurrency", "4"};
  worker.depends_on = {"api", "cache"};
  compose::Service cache = Service("cache", "redis:7");
  cache.reservations.memory_bytes = int64_t{1024} * 1024 * 1024;
  return Project("shop", {api, cache, worker, web});
}

// Only ports 80 and 443, over two services: an application LB.
inline compose::Project MultiServiceApplicationLb() {
  compose::Service front = Service("front_end", "nginx", {Port(80)});
  compose::Service admin = Service("admin", "example/admin", {Port(443)});
  admin.environment = {{"TRUE_FLAG", "true"}, {"PORT", "443"}, {"EMPTY", ""}};
  compose::Service jobs = Service("jobs", "example/jobs");
  jobs.replicas = 0;
  return Project("portal", {admin, front, jobs});
}

}  // namespace ecsync::cfn::testing
