#include "compose/ecs_check.h"

#include <functional>
#include <string>
#include <utility>

#include "base/path.h"

namespace ecsync::compose {

namespace {

using base::IsInside;

class EcsChecker {
 public:
  EcsChecker(std::string root_dir, std::vector<Diagnostic>* warnings,
             const EcsCheckOptions& options)
      : root_dir_(std::move(root_dir)), warnings_(warnings), options_(options) {}

  void Service(const compose::Service& s) {
    const std::string p = "services." + s.name;
    const SourceLocation& at = s.location;
    // Where `key` (relative to the service) was written; the service's line when unknown.
    auto key = [&s](const std::string& relative) -> const SourceLocation& {
      auto it = s.key_locations.find(relative);
      return it == s.key_locations.end() ? s.location : it->second;
    };
    if (s.build && options_.images_built) {
      // The builder names and pins the image; `image:` beside `build:` is a local name.
    } else if (s.build && s.image.empty()) {
      Error(key("build"), p + ".build",
            "ECS cannot build images; set images.builder in the configuration (or pass "
            "--builder): `external` names the image CI pushes, `codebuild` builds it in AWS "
            "CodeBuild; or build and push the image yourself and set image:");
    } else if (s.build) {
      Warn(key("build"), p + ".build",
           "ignored: ECS runs the image named by image: (configure images.builder to build it)");
    }
    if (s.image.empty() && !s.build) {
      Error(at, p, "has no image; set image: to an image ECS can pull");
    }
    for (size_t i = 0; i < s.ports.size(); ++i) {
      const PortMapping& port = s.ports[i];
      const std::string pp = p + ".ports[" + std::to_string(i) + "]";
      if (port.published && *port.published != port.target) {
        // The converter keeps the meaning: the load balancer listens on the published port
        // and forwards to the container port. Said once so nobody is surprised by the mapping.
        Warn(port.location, pp,
             "published port " + std::to_string(*port.published) + " differs from target " +
                 std::to_string(port.target) + "; the load balancer listens on " +
                 std::to_string(*port.published) + " and forwards to the container's " +
                 std::to_string(port.target));
      }
      switch (port.HostScope()) {
        case PortMapping::Scope::kPublic:
          break;
        case PortMapping::Scope::kProjectOnly:
          // 127.0.0.1:8080:80 means "not public": the port stays open to the project's other
          // services (as with mode: host) and gets no load balancer listener.
          Warn(port.location, pp,
               "host IP " + port.host_ip + " keeps port " + std::to_string(port.target) +
                   " inside the project: no load balancer listener; remove the host IP to "
                   "publish it");
          break;
        case PortMapping::Scope::kOneInterface:
          Error(port.location, pp,
                "host IP " + port.host_ip +
                    " cannot be honoured: a Fargate task has no host interfaces to bind to; "
                    "remove the host IP to publish the port on the load balancer, or use "
                    "127.0.0.1 (or `mode: host`) to keep it inside the project's networks");
          break;
      }
    }
    for (size_t i = 0; i < s.volumes.size(); ++i) {
      const ServiceVolume& v = s.volumes[i];
      const std::string vp = p + ".volumes[" + std::to_string(i) + "]";
      if (v.type == "bind") {
        if (!IsInside(root_dir_, v.source)) {
          Error(v.location, vp,
                "bind mount of " + v.source +
                    ": a path on the host, which a Fargate task cannot reach (only files inside "
                    "the repository are delivered); use a named volume (backed by EFS) or bake "
                    "the files into the image");
        } else if (!v.read_only) {
          Warn(v.location, vp,
               "bind mount of " + v.source +
                   " is a copy of the repository's files; changes are lost when the task stops "
                   "(add :ro or read_only: true to say it is read-only)");
        }
      } else if (v.type == "tmpfs") {
        // Mapped by the converter: a task-scoped scratch volume at the target.
      } else if (v.type != "volume") {
        Error(v.location, vp, "volume type " + v.type + " is not supported on ECS");
      }
    }
    if (!s.network_mode.empty() && s.network_mode != "awsvpc") {
      Error(key("network_mode"), p + ".network_mode",
            "network_mode \"" + s.network_mode +
                "\" cannot run on Fargate, which always uses awsvpc; remove it");
    }
    if (s.privileged) {
      Error(key("privileged"), p + ".privileged", "Fargate does not run privileged containers");
    }
    for (const std::string& cap : s.cap_add) {
      if (cap != "SYS_PTRACE") {
        Error(key("cap_add"), p + ".cap_add", "Fargate only allows adding SYS_PTRACE, not " + cap);
      }
    }
    if (s.ipc == "host" || s.pid == "host") {
      Error(key(s.ipc == "host" ? "ipc" : "pid"), p + (s.ipc == "host" ? ".ipc" : ".pid"),
            "Fargate cannot share the host's IPC or PID namespace");
    }
    if (!s.volumes_from.empty()) {
      Error(key("volumes_from"), p + ".volumes_from",
            "volumes_from is not supported; use named volumes");
    }
    if (!s.extra_hosts.empty()) {
      Error(key("extra_hosts"), p + ".extra_hosts",
            "Fargate (awsvpc) does not support extra_hosts; use DNS (Cloud Map) names instead");
    }
    if (s.deploy && s.deploy->mode == "global") {
      Error(key("deploy.mode"), p + ".deploy.mode",
            "global services (one per host) do not exist on Fargate; use replicas");
    }
    WarnIf(!s.container_name.empty(), key("container_name"), p + ".container_name",
           "ECS names tasks itself");
    WarnIf(!s.hostname.empty(), key("hostname"), p + ".hostname", "not supported with awsvpc");
    WarnIf(!s.domainname.empty(), key("domainname"), p + ".domainname", "not supported on ECS");
    WarnIf(!s.links.empty(), key("links"), p + ".links",
           "services reach each other by name (Cloud Map)");
    WarnIf(!s.external_links.empty(), key("external_links"), p + ".external_links",
           "not supported on ECS");
    WarnIf(!s.dns.empty(), key("dns"), p + ".dns", "not supported with awsvpc");
    WarnIf(!s.dns_search.empty(), key("dns_search"), p + ".dns_search",
           "not supported with awsvpc");
    WarnIf(!s.dns_opt.empty(), key("dns_opt"), p + ".dns_opt", "not supported with awsvpc");
    Restart(s, key);
    WarnIf(!s.security_opt.empty(), key("security_opt"), p + ".security_opt",
           "not supported on Fargate");
    WarnIf(!s.stop_signal.empty(), key("stop_signal"), p + ".stop_signal",
           "ECS always sends SIGTERM");
    WarnIf(!s.expose.empty(), key("expose"), p + ".expose",
           "every port is reachable inside the VPC's security group; expose has no effect");
    WarnIf(s.cpus.has_value(), key("cpus"), p + ".cpus", "use deploy.resources.limits.cpus");
    WarnIf(s.mem_limit_bytes.has_value(), key("mem_limit"), p + ".mem_limit",
           "use deploy.resources.limits.memory");
    WarnIf(s.mem_reservation_bytes.has_value(), key("mem_reservation"), p + ".mem_reservation",
           "use deploy.resources.reservations.memory");
    WarnIf(!s.pull_policy.empty(), key("pull_policy"), p + ".pull_policy",
           "ECS always pulls the image");
    WarnIf(s.healthcheck && s.healthcheck->start_interval.has_value(),
           key("healthcheck.start_interval"), p + ".healthcheck.start_interval",
           "not supported by ECS health checks");
    Lifecycle(s, key);
    if (s.logging && !s.logging->driver.empty() && s.logging->driver != "awslogs") {
      Warn(key("logging.driver"), p + ".logging.driver",
           "ignored: logs go to CloudWatch (awslogs), not " + s.logging->driver);
    }
    if (s.deploy) {
      const Deploy& d = *s.deploy;
      if (d.restart_policy) {
        const RestartPolicy& policy = *d.restart_policy;
        WarnIf(policy.max_attempts.has_value(), key("deploy.restart_policy"),
               p + ".deploy.restart_policy.max_attempts",
               "ECS restarts a container without a limit on attempts (the task is replaced "
               "when the container keeps failing its health check)");
        WarnIf(policy.delay.has_value(), key("deploy.restart_policy"),
               p + ".deploy.restart_policy.delay", "ECS restarts a container at once");
        WarnIf(policy.window.has_value(), key("deploy.restart_policy"),
               p + ".deploy.restart_policy.window",
               "ECS waits 300s of running before it restarts a container again");
      }
      WarnIf(d.rollback_config.has_value(), key("deploy.rollback_config"),
             p + ".deploy.rollback_config", "CloudFormation rolls back failed updates itself");
      WarnIf(!d.endpoint_mode.empty(), key("deploy.endpoint_mode"), p + ".deploy.endpoint_mode",
             "not supported on ECS");
    }
    for (const auto& [network, attachment] : s.networks) {
      WarnIf(!attachment.ipv4_address.empty() || !attachment.ipv6_address.empty() ||
                 !attachment.mac_address.empty(),
             attachment.location, p + ".networks." + network,
             "fixed addresses are not supported with awsvpc");
    }
  }

  const std::vector<Diagnostic>& errors() const { return errors_; }

 private:
  using KeyAt = std::function<const SourceLocation&(const std::string&)>;

  // restart maps to the container's ECS restart policy; what that policy cannot say is
  // reported (deploy.restart_policy, when given, is the one mapped).
  void Restart(const compose::Service& s, const KeyAt& key) {
    const std::string p = "services." + s.name + ".restart";
    if (s.restart.rfind("on-failure:", 0) == 0) {
      Warn(key("restart"), p,
           "the retry limit " + s.restart.substr(11) +
               " is ignored on ECS: a container's restart policy has no limit on attempts; "
               "use on-failure");
    }
    if (!s.restart.empty() && s.deploy && s.deploy->restart_policy) {
      Warn(key("restart"), p, "ignored: deploy.restart_policy is the one that applies");
    }
  }

  // Keys of the lifecycle and of the development loop that ECS has no place for.
  void Lifecycle(const compose::Service& s, const KeyAt& key) {
    const std::string p = "services." + s.name;
    auto has = [&s](const char* name) { return s.key_locations.count(name) != 0; };
    WarnIf(has("post_start"), key("post_start"), p + ".post_start",
           "ECS cannot run a command inside a started container; run it from the image's "
           "entrypoint");
    WarnIf(has("pre_stop"), key("pre_stop"), p + ".pre_stop",
           "ECS cannot run a command before it stops a container; handle SIGTERM in the "
           "application");
    WarnIf(has("develop"), key("develop"), p + ".develop",
           "compose watch is a local development loop; a new commit is what updates ECS");
    WarnIf(has("models"), key("models"), p + ".models",
           "ECS has no model runner, so the variables naming the models are not set; run the "
           "model as a service and set them in environment");
    if (has("provider")) {
      Error(key("provider"), p + ".provider",
            "a provider service is created by a compose plugin on the local machine, which ECS "
            "cannot run; create that resource elsewhere and pass its address in environment");
    }
    if (s.use_api_socket) {
      Error(key("use_api_socket"), p + ".use_api_socket",
            "Fargate has no Docker Engine API socket to mount into the container; remove it");
    }
    for (size_t i = 0; i < s.pre_start.size(); ++i) {
      const PreStartHook& hook = s.pre_start[i];
      const std::string hp = p + ".pre_start[" + std::to_string(i) + "]";
      if (hook.privileged) {
        Error(hook.location, hp + ".privileged",
              "Fargate does not run privileged containers; remove privileged");
      }
      if (!hook.per_replica && s.replicas.value_or(1) > 1) {
        Warn(hook.location, hp,
             "runs once per task on ECS, not once for the service: each of the " +
                 std::to_string(*s.replicas) +
                 " replicas runs it; make it safe to repeat, or set per_replica: true to say so");
      }
    }
  }

  void Error(const SourceLocation& at, const std::string& path, const std::string& what) {
    errors_.push_back(Diagnostic{at, path, what});
  }
  void Warn(const SourceLocation& at, const std::string& path, const std::string& what) {
    warnings_->push_back(Diagnostic{at, path, what});
  }
  void WarnIf(bool condition, const SourceLocation& at, const std::string& path,
              const std::string& what) {
    if (condition) Warn(at, path, "ignored on ECS: " + what);
  }

  std::string root_dir_;
  std::vector<Diagnostic>* warnings_;
  EcsCheckOptions options_;
  std::vector<Diagnostic> errors_;
};

}  // namespace

base::Status CheckEcs(const Project& project, std::vector<Diagnostic>* warnings,
                      const EcsCheckOptions& options) {
  EcsChecker checker(project.root_dir, warnings, options);
  for (const Service& service : project.services) checker.Service(service);
  for (const auto& [name, network] : project.networks) {
    if (!network.driver.empty() || !network.ipam_config.empty()) {
      warnings->push_back(Diagnostic{network.location, "networks." + name,
                                     "ignored on ECS: driver and ipam (networks become "
                                     "security groups)"});
    }
  }
  if (checker.errors().empty()) return base::Status::Ok();
  std::string message;
  for (const Diagnostic& error : checker.errors()) {
    if (!message.empty()) message += "\n";
    message += error.ToString();
  }
  return base::InvalidError(message);
}

}  // namespace ecsync::compose
