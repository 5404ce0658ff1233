#include "compose/project_json.h"

#include <cstdio>
#include <string>

namespace ecsync::compose {

namespace {

using Json = nlohmann::ordered_json;

// Go-style duration text ("1m30s", "500ms"), as compose writes durations.
std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns % 1'000'000'000 != 0) {
    if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
    return std::to_string(ns) + "ns";
  }
  int64_t s = ns / 1'000'000'000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60 || !out.empty()) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  return out + std::to_string(s) + "s";
}

void PutString(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}
template <typename T>
void PutList(Json& j, const char* key, const std::vector<T>& value) {
  if (!value.empty()) j[key] = value;
}
void PutMap(Json& j, const char* key, const std::map<std::string, std::string>& value) {
  if (!value.empty()) j[key] = value;
}
void PutDuration(Json& j, const char* key, const std::optional<Duration>& value) {
  if (value) j[key] = FormatDuration(*value);
}
void PutExtensions(Json& j, const Extensions& extensions) {
  if (!extensions.is_object()) return;
  for (const auto& [key, value] : extensions.items()) j[key] = value;
}

Json Device(const DeviceRequest& device) {
  Json d = Json::object();
  PutList(d, "capabilities", device.capabilities);
  if (device.count) d["count"] = *device.count < 0 ? Json("all") : Json(*device.count);
  PutList(d, "device_ids", device.device_ids);
  PutString(d, "driver", device.driver);
  PutMap(d, "options", device.options);
  return d;
}

Json Resources(const ResourceSpec& spec) {
  Json j = Json::object();
  if (spec.cpus) j["cpus"] = *spec.cpus;
  if (spec.memory_bytes) j["memory"] = std::to_string(*spec.memory_bytes);
  if (spec.pids) j["pids"] = *spec.pids;
  for (const DeviceRequest& device : spec.devices) j["devices"].push_back(Device(device));
  for (const GenericResource& resource : spec.generic_resources) {
    j["generic_resources"].push_back(
        {{"discrete_resource_spec", {{"kind", resource.kind}, {"value", resource.value}}}});
  }
  return j;
}

Json Update(const UpdateConfig& u) {
  Json j = Json::object();
  if (u.parallelism) j["parallelism"] = *u.parallelism;
  PutDuration(j, "delay", u.delay);
  PutString(j, "failure_action", u.failure_action);
  PutDuration(j, "monitor", u.monitor);
  if (u.max_failure_ratio) j["max_failure_ratio"] = *u.max_failure_ratio;
  PutString(j, "order", u.order);
  return j;
}

Json References(const std::vector<FileReference>& refs) {
  Json out = Json::array();
  for (const FileReference& r : refs) {
    Json j = {{"source", r.source}};
    PutString(j, "target", r.target);
    PutString(j, "uid", r.uid);
    PutString(j, "gid", r.gid);
    if (r.mode) {
      char octal[16];
      std::snprintf(octal, sizeof(octal), "0%o", *r.mode);
      j["mode"] = octal;
    }
    PutExtensions(j, r.extensions);
    out.push_back(std::move(j));
  }
  return out;
}

Json ServiceJson(const Service& s) {
  Json j = Json::object();
  if (s.build) {
    Json b = Json::object();
    PutString(b, "context", s.build->context);
    PutString(b, "dockerfile", s.build->dockerfile);
    PutString(b, "dockerfile_inline", s.build->dockerfile_inline);
    for (const auto& [key, value] : s.build->args) b["args"][key] = value ? Json(*value) : Json();
    PutString(b, "target", s.build->target);
    PutString(b, "network", s.build->network);
    PutList(b, "cache_from", s.build->cache_from);
    PutList(b, "cache_to", s.build->cache_to);
    PutList(b, "tags", s.build->tags);
    PutList(b, "platforms", s.build->platforms);
    PutMap(b, "labels", s.build->labels);
    PutMap(b, "additional_contexts", s.build->additional_contexts);
    PutList(b, "ssh", s.build->ssh);
    if (!s.build->secrets.empty()) b["secrets"] = References(s.build->secrets);
    if (s.build->pull) b["pull"] = true;
    if (s.build->no_cache) b["no_cache"] = true;
    j["build"] = std::move(b);
  }
  PutList(j, "cap_add", s.cap_add);
  PutList(j, "cap_drop", s.cap_drop);
  j["command"] = s.command ? Json(*s.command) : Json();
  if (!s.configs.empty()) j["configs"] = References(s.configs);
  PutString(j, "container_name", s.container_name);
  if (s.cpus) j["cpus"] = *s.cpus;
  for (const ServiceDependency& d : s.dependencies) {
    j["depends_on"][d.service] = {{"condition", d.condition}, {"required", d.required}};
    if (d.restart) j["depends_on"][d.service]["restart"] = true;
  }
  if (s.deploy || s.replicas || s.limits.cpus || s.limits.memory_bytes || s.reservations.cpus ||
      s.reservations.memory_bytes) {
    Json d = Json::object();
    const Deploy empty;
    const Deploy& deploy = s.deploy ? *s.deploy : empty;
    PutString(d, "mode", deploy.mode);
    if (s.replicas) d["replicas"] = *s.replicas;
    PutMap(d, "labels", deploy.labels);
    if (deploy.update_config) d["update_config"] = Update(*deploy.update_config);
    if (deploy.rollback_config) d["rollback_config"] = Update(*deploy.rollback_config);
    Json limits = Resources(s.limits);
    Json reservations = Resources(s.reservations);
    if (!limits.empty()) d["resources"]["limits"] = std::move(limits);
    if (!reservations.empty()) d["resources"]["reservations"] = std::move(reservations);
    if (deploy.restart_policy) {
      Json r = Json::object();
      PutString(r, "condition", deploy.restart_policy->condition);
      PutDuration(r, "delay", deploy.restart_policy->delay);
      if (deploy.restart_policy->max_attempts) {
        r["max_attempts"] = *deploy.restart_policy->max_attempts;
      }
      PutDuration(r, "window", deploy.restart_policy->window);
      d["restart_policy"] = std::move(r);
    }
    const Placement& p = deploy.placement;
    if (!p.constraints.empty() || !p.preferences.empty() || p.max_replicas_per_node) {
      Json placement = Json::object();
      PutList(placement, "constraints", p.constraints);
      for (const PlacementPreference& pref : p.preferences) {
        placement["preferences"].push_back({{"spread", pref.spread}});
      }
      if (p.max_replicas_per_node) placement["max_replicas_per_node"] = *p.max_replicas_per_node;
      d["placement"] = std::move(placement);
    }
    PutString(d, "endpoint_mode", deploy.endpoint_mode);
    PutExtensions(d, deploy.extensions);
    j["deploy"] = std::move(d);
  }
  PutList(j, "dns", s.dns);
  PutList(j, "dns_opt", s.dns_opt);
  PutList(j, "dns_search", s.dns_search);
  PutString(j, "domainname", s.domainname);
  j["entrypoint"] = s.entrypoint ? Json(*s.entrypoint) : Json();
  for (const EnvFile& f : s.env_file) {
    Json e = {{"path", f.path}};
    if (!f.required) e["required"] = false;
    PutString(e, "format", f.format);
    j["env_file"].push_back(std::move(e));
  }
  for (const auto& [key, value] : s.environment) {
    j["environment"][key] = value ? Json(*value) : Json();
  }
  PutList(j, "expose", s.expose);
  PutList(j, "external_links", s.external_links);
  for (const ExtraHost& host : s.extra_hosts) j["extra_hosts"].push_back(host.host + "=" + host.ip);
  for (const DeviceRequest& device : s.gpus) j["gpus"].push_back(Device(device));
  if (s.healthcheck) {
    Json h = Json::object();
    PutList(h, "test", s.healthcheck->test);
    PutDuration(h, "timeout", s.healthcheck->timeout);
    PutDuration(h, "interval", s.healthcheck->interval);
    if (s.healthcheck->retries) h["retries"] = *s.healthcheck->retries;
    PutDuration(h, "start_period", s.healthcheck->start_period);
    PutDuration(h, "start_interval", s.healthcheck->start_interval);
    if (s.healthcheck->disable) h["disable"] = true;
    j["healthcheck"] = std::move(h);
  }
  PutString(j, "hostname", s.hostname);
  PutString(j, "image", s.image);
  if (s.init) j["init"] = *s.init;
  PutString(j, "ipc", s.ipc);
  PutMap(j, "labels", s.labels);
  PutList(j, "links", s.links);
  if (s.logging) {
    Json l = Json::object();
    PutString(l, "driver", s.logging->driver);
    PutMap(l, "options", s.logging->options);
    j["logging"] = std::move(l);
  }
  if (s.mem_limit_bytes) j["mem_limit"] = std::to_string(*s.mem_limit_bytes);
  if (s.mem_reservation_bytes) j["mem_reservation"] = std::to_string(*s.mem_reservation_bytes);
  PutString(j, "network_mode", s.network_mode);
  for (const auto& [name, n] : s.networks) {
    Json a = Json::object();
    PutList(a, "aliases", n.aliases);
    PutString(a, "ipv4_address", n.ipv4_address);
    PutString(a, "ipv6_address", n.ipv6_address);
    PutString(a, "mac_address", n.mac_address);
    PutList(a, "link_local_ips", n.link_local_ips);
    if (n.priority) a["priority"] = *n.priority;
    PutMap(a, "driver_opts", n.driver_opts);
    PutExtensions(a, n.extensions);
    j["networks"][name] = a.empty() ? Json() : a;
  }
  PutString(j, "pid", s.pid);
  PutString(j, "platform", s.platform);
  for (const PortMapping& p : s.ports) {
    Json port = {{"mode", p.mode}};
    PutString(port, "name", p.name);
    PutString(port, "host_ip", p.host_ip);
    port["target"] = p.target;
    if (p.published) port["published"] = std::to_string(*p.published);
    port["protocol"] = p.protocol;
    PutString(port, "app_protocol", p.app_protocol);
    PutExtensions(port, p.extensions);
    j["ports"].push_back(std::move(port));
  }
  for (const PreStartHook& hook : s.pre_start) {
    Json step = Json::object();
    if (hook.command) step["command"] = *hook.command;
    for (const auto& [key, value] : hook.environment) {
      step["environment"][key] = value ? Json(*value) : Json();
    }
    PutString(step, "image", hook.image);
    if (hook.per_replica) step["per_replica"] = true;
    if (hook.privileged) step["privileged"] = true;
    PutString(step, "user", hook.user);
    PutString(step, "working_dir", hook.working_dir);
    j["pre_start"].push_back(std::move(step));
  }
  if (s.privileged) j["privileged"] = true;
  if (s.use_api_socket) j["use_api_socket"] = true;
  PutList(j, "profiles", s.profiles);
  PutString(j, "pull_policy", s.pull_policy);
  if (s.read_only) j["read_only"] = true;
  PutString(j, "restart", s.restart);
  if (!s.secrets.empty()) j["secrets"] = References(s.secrets);
  PutList(j, "security_opt", s.security_opt);
  if (s.stdin_open) j["stdin_open"] = true;
  PutDuration(j, "stop_grace_period", s.stop_grace_period);
  PutString(j, "stop_signal", s.stop_signal);
  PutMap(j, "sysctls", s.sysctls);
  PutList(j, "tmpfs", s.tmpfs);
  if (s.tty) j["tty"] = true;
  for (const auto& [name, u] : s.ulimits) {
    j["ulimits"][name] = u.single ? Json(u.soft) : Json({{"soft", u.soft}, {"hard", u.hard}});
  }
  PutString(j, "user", s.user);
  for (const ServiceVolume& v : s.volumes) {
    Json vol = {{"type", v.type}};
    PutString(vol, "source", v.source);
    vol["target"] = v.target;
    if (v.read_only) vol["read_only"] = true;
    PutString(vol, "consistency", v.consistency);
    if (v.type == "bind") {
      Json b = Json::object();
      PutString(b, "propagation", v.bind_propagation);
      if (v.bind_create_host_path) b["create_host_path"] = *v.bind_create_host_path;
      PutString(b, "selinux", v.bind_selinux);
      vol["bind"] = std::move(b);
    }
    if (v.type == "volume") {
      Json o = Json::object();
      if (v.volume_nocopy) o["nocopy"] = true;
      PutString(o, "subpath", v.volume_subpath);
      vol["volume"] = std::move(o);
    }
    if (v.type == "tmpfs" && (v.tmpfs_size_bytes || v.tmpfs_mode)) {
      if (v.tmpfs_size_bytes) vol["tmpfs"]["size"] = std::to_string(*v.tmpfs_size_bytes);
      if (v.tmpfs_mode) vol["tmpfs"]["mode"] = *v.tmpfs_mode;
    }
    PutExtensions(vol, v.extensions);
    j["volumes"].push_back(std::move(vol));
  }
  PutList(j, "volumes_from", s.volumes_from);
  PutString(j, "working_dir", s.working_dir);
  PutExtensions(j, s.extensions);
  return j;
}

Json FileObjects(const std::map<std::string, FileObjectConfig>& objects) {
  Json out = Json::object();
  for (const auto& [key, o] : objects) {
    Json j = Json::object();
    PutString(j, "name", o.name);
    PutString(j, "file", o.file);
    PutString(j, "environment", o.environment);
    PutString(j, "content", o.content);
    if (o.external) j["external"] = true;
    PutMap(j, "labels", o.labels);
    PutString(j, "driver", o.driver);
    PutMap(j, "driver_opts", o.driver_opts);
    PutString(j, "template_driver", o.template_driver);
    PutExtensions(j, o.extensions);
    out[key] = std::move(j);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json ProjectToJson(const Project& project) {
  Json j = Json::object();
  j["name"] = project.name;
  Json services = Json::object();
  for (const Service& service : project.services) services[service.name] = ServiceJson(service);
  j["services"] = std::move(services);
  if (!project.networks.empty()) {
    for (const auto& [key, n] : project.networks) {
      Json net = Json::object();
      PutString(net, "name", n.name);
      PutString(net, "driver", n.driver);
      PutMap(net, "driver_opts", n.driver_opts);
      if (!n.ipam_driver.empty() || !n.ipam_config.empty()) {
        Json ipam = Json::object();
        PutString(ipam, "driver", n.ipam_driver);
        for (const IpamPool& pool : n.ipam_config) {
          Json p = Json::object();
          PutString(p, "subnet", pool.subnet);
          PutString(p, "gateway", pool.gateway);
          PutString(p, "ip_range", pool.ip_range);
          PutMap(p, "aux_addresses", pool.aux_addresses);
          ipam["config"].push_back(std::move(p));
        }
        net["ipam"] = std::move(ipam);
      }
      if (n.external) net["external"] = true;
      if (n.internal) net["internal"] = true;
      if (n.attachable) net["attachable"] = true;
      if (n.enable_ipv4) net["enable_ipv4"] = *n.enable_ipv4;
      if (n.enable_ipv6) net["enable_ipv6"] = *n.enable_ipv6;
      PutMap(net, "labels", n.labels);
      PutExtensions(net, n.extensions);
      j["networks"][key] = std::move(net);
    }
  }
  for (const auto& [key, v] : project.volumes) {
    Json vol = Json::object();
    PutString(vol, "name", v.name);
    PutString(vol, "driver", v.driver);
    PutMap(vol, "driver_opts", v.driver_opts);
    if (v.external) vol["external"] = true;
    PutMap(vol, "labels", v.labels);
    PutExtensions(vol, v.extensions);
    j["volumes"][key] = std::move(vol);
  }
  if (!project.secrets.empty()) j["secrets"] = FileObjects(project.secrets);
  if (!project.configs.empty()) j["configs"] = FileObjects(project.configs);
  PutExtensions(j, project.extensions);
  return j;
}

}  // namespace ecsync::compose
