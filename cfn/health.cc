#include "cfn/health.h"

#include <algorithm>
#include <chrono>

namespace ecsync::cfn {
namespace {

// Seconds, rounded up, clamped to [min, max]; a warning when clamped.
int Seconds(const compose::Duration& duration, int min, int max, const std::string& what,
            std::vector<std::string>& warnings) {
  const int64_t ns = duration.count();
  const int64_t seconds = ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000;
  const int64_t clamped = std::clamp<int64_t>(seconds, min, max);
  if (clamped != seconds) {
    warnings.push_back(what + " " + std::to_string(seconds) + "s is outside ECS's " +
                       std::to_string(min) + "-" + std::to_string(max) + "s; using " +
                       std::to_string(clamped) + "s");
  }
  return static_cast<int>(clamped);
}

}  // namespace

Json ContainerHealthCheck(const compose::Service& service, const std::string& where,
                          std::vector<std::string>& warnings) {
  if (!service.healthcheck || service.healthcheck->disable) return Json();
  const compose::Healthcheck& check = *service.healthcheck;
  // ECS needs a command; with timings only, the image's own check cannot be expressed.
  if (check.test.empty()) return Json();
  const std::string at = where + ": healthcheck";
  Obj out;
  out.Add("Command", check.test);
  if (check.interval)
    out.Add("Interval", Seconds(*check.interval, 5, 300, at + ".interval", warnings));
  if (check.retries) {
    const int retries = std::clamp(*check.retries, 1, 10);
    if (retries != *check.retries) {
      warnings.push_back(at + ".retries " + std::to_string(*check.retries) +
                         " is outside ECS's 1-10; using " + std::to_string(retries));
    }
    out.Add("Retries", retries);
  }
  if (check.start_period) {
    out.Add("StartPeriod", Seconds(*check.start_period, 0, 300, at + ".start_period", warnings));
  }
  if (check.timeout) out.Add("Timeout", Seconds(*check.timeout, 2, 120, at + ".timeout", warnings));
  return std::move(out).Take();
}

std::optional<std::string> ProbedHttpPath(const compose::Service& service,
                                          uint32_t container_port) {
  if (!service.healthcheck || service.healthcheck->disable) return std::nullopt;
  for (const std::string& arg : service.healthcheck->test) {
    for (const char* host : {"http://localhost", "http://127.0.0.1"}) {
      size_t at = arg.find(host);
      if (at == std::string::npos) continue;
      size_t pos = at + std::char_traits<char>::length(host);
      uint32_t port = 80;
      if (pos < arg.size() && arg[pos] == ':') {
        port = 0;
        ++pos;
        while (pos < arg.size() && arg[pos] >= '0' && arg[pos] <= '9') {
          port = port * 10 + static_cast<uint32_t>(arg[pos] - '0');
          if (port > 65535) break;
          ++pos;
        }
      }
      if (port != container_port) continue;
      std::string path;
      while (pos < arg.size() && arg[pos] != ' ' && arg[pos] != '"' && arg[pos] != '\'' &&
             arg[pos] != '|' && arg[pos] != ';' && arg[pos] != '&') {
        path.push_back(arg[pos++]);
      }
      if (path.empty()) path = "/";
      if (path.front() != '/') continue;
      return path;
    }
  }
  return std::nullopt;
}

void AddTargetGroupHealthCheck(const compose::Service& service,
                               const std::optional<TargetHealthSpec>& spec, bool http,
                               uint32_t container_port, Obj& properties) {
  std::string path = spec ? spec->path : "";
  if (path.empty() && http) path = ProbedHttpPath(service, container_port).value_or("");
  if (spec && spec->interval_seconds) {
    properties.Add("HealthCheckIntervalSeconds", *spec->interval_seconds);
  }
  if (!path.empty()) {
    properties.Add("HealthCheckPath", path);
    // A network load balancer checks TCP unless asked for an HTTP path.
    if (!http) properties.Add("HealthCheckProtocol", "HTTP");
  }
  if (spec && spec->timeout_seconds) {
    properties.Add("HealthCheckTimeoutSeconds", *spec->timeout_seconds);
  }
  if (spec && spec->healthy_threshold) {
    properties.Add("HealthyThresholdCount", *spec->healthy_threshold);
  }
  if (spec && !spec->matcher.empty() && http) {
    properties.Add("Matcher", Obj().Add("HttpCode", spec->matcher).Take());
  }
  if (spec && spec->unhealthy_threshold) {
    properties.Add("UnhealthyThresholdCount", *spec->unhealthy_threshold);
  }
}

}  // namespace ecsync::cfn
