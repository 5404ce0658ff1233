#pragma once

// Health checks: the container's (compose `healthcheck` to ECS HealthCheck) and the load
// balancer's check of a target group, taken from x-ecsync-target_health or, failing that,
// from the compose healthcheck: the HTTP URL it probes (`curl -f http://localhost:8080/up`),
// so that apps whose `/` is not 200 keep their targets healthy, and its timings. Pure
// functions.

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
// `http` is true for HTTP target groups. What `spec` leaves out comes from the compose
// healthcheck when it is not disabled: interval (clamped to ELB's 5-300s), timeout (2-120s),
// retries as the unhealthy threshold (2-10). When the interval and timeout that take effect
// (ELB's defaults for what stays unset) would not leave the timeout below the interval, the
// one not given by `spec` is moved: the timeout down, else the interval up. Without a
// healthcheck and `spec`, nothing is added and ELB's defaults apply.
void AddTargetGroupHealthCheck(const compose::Service& service,
                               const std::optional<TargetHealthSpec>& spec, bool http,
                               uint32_t container_port, Obj& properties);

// The healthcheck's start_period in whole seconds (rounded up), when the service has an
// enabled healthcheck with one; the ECS service's grace period should be at least this long.
std::optional<int> HealthcheckStartPeriodSeconds(const compose::Service& service);

}  // namespace ecsync::cfn
