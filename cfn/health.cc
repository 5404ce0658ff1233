#include "cfn/health.h"

#include <algorithm>
#include <chrono>

namespace ecsync::cfn {
namespace {

int64_t CeilSeconds(const compose::Duration& duration) {
  const int64_t ns = duration.count();
  return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000;
}

// Seconds, rounded up, clamped to [min, max]; a warning when clamped.
int Seconds(const compose::Duration& duration, int min, int max, const std::string& what,
            std::vector<std::string>& warnings) {
  const int64_t seconds = CeilSeconds(duration);
  const int64_t clamped = std::clamp<int64_t>(seconds, min, max);
  if (clamped != seconds) {
    warnings.push_back(what + " " + std::to_string(seconds) + "s is outside ECS's " +
                       std::to_string(min) + "-" + std::to_string(max) + "s; using " +
                       std::to_string(clamped) + "s");
  }
  return static_cast<int>(clamped);
}

// The healthcheck the service runs, or null when it has none or disables it.
const compose::Healthcheck* EnabledHealthcheck(const compose::Service& service) {
  if (!service.healthcheck || service.healthcheck->disable) return nullptr;
  return &*service.healthcheck;
}

// ELB's default health check timeout: 5s on an application load balancer; on a network
// one 6s for HTTP checks and 10s for TCP ones. The default interval is 30s for both.
constexpr int kDefaultTargetInterval = 30;
int DefaultTargetTimeout(bool http, bool http_check) {
  if (http) return 5;
  return http_check ? 6 : 10;
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
  const compose::Healthcheck* check = EnabledHealthcheck(service);
  std::string path = spec ? spec->path : "";
  if (path.empty() && http) path = ProbedHttpPath(service, container_port).value_or("");

  // Each setting: the extension's, else the healthcheck's brought into ELB's range; 0 when
  // neither gives it (ELB's default applies).
  auto from_healthcheck = [check](std::optional<compose::Duration> compose::Healthcheck::*field,
                                  int64_t min, int64_t max) -> int {
    if (check == nullptr || !(check->*field)) return 0;
    return static_cast<int>(std::clamp(CeilSeconds(*(check->*field)), min, max));
  };
  const bool spec_interval = spec && spec->interval_seconds;
  const bool spec_timeout = spec && spec->timeout_seconds;
  int interval = spec_interval ? *spec->interval_seconds
                               : from_healthcheck(&compose::Healthcheck::interval, 5, 300);
  int timeout = spec_timeout ? *spec->timeout_seconds
                             : from_healthcheck(&compose::Healthcheck::timeout, 2, 120);
  int unhealthy = 0;
  if (spec && spec->unhealthy_threshold) {
    unhealthy = *spec->unhealthy_threshold;
  } else if (check != nullptr && check->retries) {
    unhealthy = std::clamp(*check->retries, 2, 10);
  }
  // ELB rejects a timeout that is not below the interval.
  const int effective_interval = interval != 0 ? interval : kDefaultTargetInterval;
  const int effective_timeout = timeout != 0 ? timeout : DefaultTargetTimeout(http, !path.empty());
  if (effective_timeout >= effective_interval) {
    if (!spec_timeout) {
      timeout = effective_interval - 1;
    } else if (!spec_interval) {
      interval = std::min(300, effective_timeout + 1);
    }
  }

  if (interval != 0) properties.Add("HealthCheckIntervalSeconds", interval);
  if (!path.empty()) {
    properties.Add("HealthCheckPath", path);
    // A network load balancer checks TCP unless asked for an HTTP path.
    if (!http) properties.Add("HealthCheckProtocol", "HTTP");
  }
  if (timeout != 0) properties.Add("HealthCheckTimeoutSeconds", timeout);
  if (spec && spec->healthy_threshold) {
    properties.Add("HealthyThresholdCount", *spec->healthy_threshold);
  }
  if (spec && !spec->matcher.empty() && http) {
    properties.Add("Matcher", Obj().Add("HttpCode", spec->matcher).Take());
  }
  if (unhealthy != 0) properties.Add("UnhealthyThresholdCount", unhealthy);
}

std::optional<int> HealthcheckStartPeriodSeconds(const compose::Service& service) {
  const compose::Healthcheck* check = EnabledHealthcheck(service);
  if (check == nullptr || !check->start_period) return std::nullopt;
  // ECS takes a grace period up to 2^31-1 seconds.
  return static_cast<int>(std::min<int64_t>(CeilSeconds(*check->start_period), 2147483647));
}

}  // namespace ecsync::cfn
