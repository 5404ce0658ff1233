#pragma once

// Health checks: the container's (compose `healthcheck` to ECS HealthCheck) and the load
// balancer's check of a target group, taken from x-ecsync-target_health or, failing that,
// from an HTTP URL the compose healthcheck probes (`curl -f http://localhost:8080/up`), so
// that apps whose `/` is not 200 keep their targets healthy. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cfn/extensions.h"
#include "cfn/json.h"
#include "compose/model.h"

namespace ecsync::cfn {

// The ECS container HealthCheck, or null when the service has none (or disables it).
// Timings outside what ECS takes (interval 5-300s, timeout 2-120s, start period 0-300s,
// retries 1-10) are brought into range, with a warning (prefixed with `where`) each.
Json ContainerHealthCheck(const compose::Service& service, const std::string& where,
                          std::vector<std::string>& warnings);

// The path of http://localhost[:port]/path or http://127.0.0.1[:port]/path in the
// healthcheck's test, when it probes `container_port` (no port means 80). nullopt otherwise.
std::optional<std::string> ProbedHttpPath(const compose::Service& service, uint32_t container_port);

// Appends the target group's HealthCheck* and Matcher properties to `properties`.
// `http` is true for HTTP target groups.
void AddTargetGroupHealthCheck(const compose::Service& service,
                               const std::optional<TargetHealthSpec>& spec, bool http,
                               uint32_t container_port, Obj& properties);

}  // namespace ecsync::cfn
