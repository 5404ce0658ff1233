#pragma once

// The normalized compose model: every short syntax expanded into typed fields.
// Produced by compose::Load, consumed by cfn::Convert. Plain values; no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ecsync::compose {

// Where a value came from, for error messages ("compose.yaml:12:5").
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string ToString() const;
};

struct PortMapping {
  std::string host_ip;           // empty when not given
  uint32_t target = 0;           // container port
  std::optional<uint32_t> published;  // host/published port; nullopt when only a target is given
  std::string protocol = "tcp";  // "tcp" or "udp"
};

struct ResourceSpec {
  std::optional<double> cpus;           // e.g. 0.5
  std::optional<int64_t> memory_bytes;  // e.g. 512 MiB = 536870912
};

struct Service {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> command;     // nullopt: image default
  std::optional<std::vector<std::string>> entrypoint;  // nullopt: image default
  // Variable name -> value; nullopt value means "set but unresolved" (KEY with no '=').
  std::map<std::string, std::optional<std::string>> environment;
  std::vector<PortMapping> ports;
  std::optional<int> replicas;  // deploy.replicas
  ResourceSpec limits;          // deploy.resources.limits
  ResourceSpec reservations;    // deploy.resources.reservations
  std::vector<std::string> depends_on;  // sorted, de-duplicated service names
  SourceLocation location;              // of the service's key
};

struct Project {
  std::string name;                // lower-case [a-z0-9_-]
  std::vector<Service> services;   // sorted by name
  std::vector<std::string> files;  // the compose files loaded, in order
  // The service named `name`, or nullptr.
  const Service* FindService(const std::string& name) const;
};

}  // namespace ecsync::compose
