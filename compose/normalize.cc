#include "compose/normalize.h"

#include <algorithm>
#include <utility>

#include "compose/service_fields.h"
#include "compose/short_syntax.h"
#include "compose/typed_reader.h"

namespace ecsync::compose {

namespace {

using internal::At;
using internal::Child;
using internal::Index;
using internal::ParseBuild;
using internal::ParseDependsOn;
using internal::ParseDeploy;
using internal::ParseEnvironment;
using internal::ParseExtraHosts;
using internal::ParseFileReferences;
using internal::ParseGpus;
using internal::ParseHealthcheck;
using internal::ParseLongVolume;
using internal::ParsePorts;
using internal::ParsePreStart;
using internal::ParseShortVolume;
using internal::ParseWords;
using internal::Present;
using internal::Reader;
using internal::WrongType;
using internal::XExtensions;

base::Result<Service> ParseService(const YamlEntry& entry) {
  const std::string path = "services." + entry.key;
  const YamlNode& node = entry.value;
  Service service;
  service.name = entry.key;
  service.location = entry.key_location;
  // A service written with no body ("web:") is an empty service, as in the reference loader.
  if (node.IsNull()) return service;
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  for (const YamlEntry& key : node.entries) {
    service.key_locations[key.key] = key.key_location;
    for (const YamlEntry& inner : key.value.entries) {
      service.key_locations[key.key + "." + inner.key] = inner.key_location;
    }
  }
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.String("image", &service.image));
  if (const YamlNode* command = node.Find("command")) {
    ECSYNC_RETURN_IF_ERROR(ParseWords(*command, r.PathOf("command"), &service.command));
  }
  if (const YamlNode* entrypoint = node.Find("entrypoint")) {
    ECSYNC_RETURN_IF_ERROR(ParseWords(*entrypoint, r.PathOf("entrypoint"), &service.entrypoint));
  }
  if (const YamlNode* environment = r.Get("environment")) {
    ECSYNC_RETURN_IF_ERROR(ParseEnvironment(*environment, r.PathOf("environment"), &service));
  }
  if (const YamlNode* ports = r.Get("ports")) {
    ECSYNC_RETURN_IF_ERROR(ParsePorts(*ports, r.PathOf("ports"), &service));
  }
  if (const YamlNode* deploy = node.Find("deploy"); deploy != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseDeploy(*deploy, r.PathOf("deploy"), &service));
    if (!service.deploy) {
      service.deploy.emplace();
      service.deploy->location = deploy->location;
    }
  }
  if (!service.replicas) ECSYNC_RETURN_IF_ERROR(r.Int("scale", &service.replicas));
  if (const YamlNode* depends_on = r.Get("depends_on")) {
    ECSYNC_RETURN_IF_ERROR(ParseDependsOn(*depends_on, r.PathOf("depends_on"), &service));
  }
  if (const YamlNode* volumes = r.Get("volumes")) {
    for (size_t i = 0; i < volumes->items.size(); ++i) {
      const YamlNode& item = volumes->items[i];
      const std::string item_path = Index(r.PathOf("volumes"), i);
      ECSYNC_ASSIGN_OR_RETURN(ServiceVolume volume, item.IsScalar()
                                                        ? ParseShortVolume(item, item_path)
                                                        : ParseLongVolume(item, item_path));
      service.volumes.push_back(std::move(volume));
    }
  }
  if (const YamlNode* secrets = r.Get("secrets")) {
    ECSYNC_RETURN_IF_ERROR(ParseFileReferences(*secrets, r.PathOf("secrets"), &service.secrets));
  }
  if (const YamlNode* configs = r.Get("configs")) {
    ECSYNC_RETURN_IF_ERROR(ParseFileReferences(*configs, r.PathOf("configs"), &service.configs));
  }
  if (const YamlNode* networks = r.Get("networks")) {
    if (networks->IsSequence()) {
      for (const YamlNode& item : networks->items) {
        service.networks[item.scalar].location = item.location;
      }
    } else {
      for (const YamlEntry& network : networks->entries) {
        ServiceNetwork attachment;
        attachment.location = network.key_location;
        if (network.value.IsMapping()) {
          const Reader n(network.value, Child(r.PathOf("networks"), network.key));
          ECSYNC_RETURN_IF_ERROR(n.Strings("aliases", &attachment.aliases));
          ECSYNC_RETURN_IF_ERROR(n.String("ipv4_address", &attachment.ipv4_address));
          ECSYNC_RETURN_IF_ERROR(n.String("ipv6_address", &attachment.ipv6_address));
          ECSYNC_RETURN_IF_ERROR(n.String("mac_address", &attachment.mac_address));
          ECSYNC_RETURN_IF_ERROR(n.Strings("link_local_ips", &attachment.link_local_ips));
          ECSYNC_RETURN_IF_ERROR(n.Int("priority", &attachment.priority));
          ECSYNC_RETURN_IF_ERROR(n.StringMap("driver_opts", &attachment.driver_opts));
          attachment.extensions = XExtensions(network.value);
        }
        service.networks[network.key] = std::move(attachment);
      }
    }
  }
  if (const YamlNode* env_file = r.Get("env_file")) {
    const std::vector<YamlNode> single = {*env_file};
    const std::vector<YamlNode>& items = env_file->IsScalar() ? single : env_file->items;
    for (size_t i = 0; i < items.size(); ++i) {
      EnvFile file;
      file.location = items[i].location;
      if (items[i].IsScalar()) {
        file.path = items[i].scalar;
      } else {
        const Reader e(items[i], Index(r.PathOf("env_file"), i));
        ECSYNC_RETURN_IF_ERROR(e.String("path", &file.path));
        ECSYNC_RETURN_IF_ERROR(e.Bool("required", &file.required));
        ECSYNC_RETURN_IF_ERROR(e.String("format", &file.format));
      }
      service.env_file.push_back(std::move(file));
    }
  }
  if (const YamlNode* healthcheck = r.Get("healthcheck")) {
    ECSYNC_RETURN_IF_ERROR(ParseHealthcheck(*healthcheck, r.PathOf("healthcheck"), &service));
  }
  if (const YamlNode* gpus = r.Get("gpus")) {
    ECSYNC_RETURN_IF_ERROR(ParseGpus(*gpus, r.PathOf("gpus"), &service));
  }
  if (const YamlNode* pre_start = r.Get("pre_start")) {
    ECSYNC_RETURN_IF_ERROR(ParsePreStart(*pre_start, r.PathOf("pre_start"), &service));
  }
  if (const YamlNode* logging = r.Get("logging")) {
    const Reader l(*logging, r.PathOf("logging"));
    Logging out;
    ECSYNC_RETURN_IF_ERROR(l.String("driver", &out.driver));
    ECSYNC_RETURN_IF_ERROR(l.StringMap("options", &out.options));
    service.logging = std::move(out);
  }
  if (const YamlNode* ulimits = r.Get("ulimits")) {
    for (const YamlEntry& limit : ulimits->entries) {
      const std::string limit_path = Child(r.PathOf("ulimits"), limit.key);
      Ulimit out;
      if (limit.value.IsScalar()) {
        ECSYNC_ASSIGN_OR_RETURN(out.soft,
                                At(ParseInt64(limit.value.scalar), limit.value, limit_path));
        out.hard = out.soft;
        out.single = true;
      } else {
        const Reader u(limit.value, limit_path);
        std::optional<int64_t> soft;
        std::optional<int64_t> hard;
        ECSYNC_RETURN_IF_ERROR(u.Int64("soft", &soft));
        ECSYNC_RETURN_IF_ERROR(u.Int64("hard", &hard));
        if (!soft || !hard) {
          return ErrorAt(limit.value.location, limit_path, "needs both soft and hard");
        }
        out.soft = *soft;
        out.hard = *hard;
      }
      service.ulimits[limit.key] = out;
    }
  }
  ECSYNC_RETURN_IF_ERROR(r.StringMap("labels", &service.labels));
  ECSYNC_RETURN_IF_ERROR(r.StringMap("annotations", &service.annotations));
  ECSYNC_RETURN_IF_ERROR(r.String("user", &service.user));
  ECSYNC_RETURN_IF_ERROR(r.String("working_dir", &service.working_dir));
  ECSYNC_RETURN_IF_ERROR(r.OptionalBool("init", &service.init));
  ECSYNC_RETURN_IF_ERROR(r.Strings("cap_add", &service.cap_add));
  ECSYNC_RETURN_IF_ERROR(r.Strings("cap_drop", &service.cap_drop));
  ECSYNC_RETURN_IF_ERROR(r.Strings("tmpfs", &service.tmpfs));
  ECSYNC_RETURN_IF_ERROR(r.StringMap("sysctls", &service.sysctls));
  ECSYNC_RETURN_IF_ERROR(r.Duration("stop_grace_period", &service.stop_grace_period));
  ECSYNC_RETURN_IF_ERROR(r.String("stop_signal", &service.stop_signal));
  ECSYNC_RETURN_IF_ERROR(r.String("platform", &service.platform));
  ECSYNC_RETURN_IF_ERROR(r.Strings("expose", &service.expose));
  ECSYNC_RETURN_IF_ERROR(r.Strings("dns", &service.dns));
  ECSYNC_RETURN_IF_ERROR(r.Strings("dns_search", &service.dns_search));
  ECSYNC_RETURN_IF_ERROR(r.Strings("dns_opt", &service.dns_opt));
  if (const YamlNode* hosts = r.Get("extra_hosts")) {
    ECSYNC_RETURN_IF_ERROR(ParseExtraHosts(*hosts, r.PathOf("extra_hosts"), &service));
  }
  ECSYNC_RETURN_IF_ERROR(r.String("network_mode", &service.network_mode));
  ECSYNC_RETURN_IF_ERROR(r.Strings("profiles", &service.profiles));
  if (const YamlNode* build = node.Find("build"); build != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseBuild(*build, r.PathOf("build"), &service));
    if (!service.build) {
      service.build.emplace();
      service.build->context = ".";
      service.build->location = build->location;
    }
  }
  ECSYNC_RETURN_IF_ERROR(r.String("pull_policy", &service.pull_policy));
  ECSYNC_RETURN_IF_ERROR(r.Bool("read_only", &service.read_only));
  ECSYNC_RETURN_IF_ERROR(r.Bool("privileged", &service.privileged));
  ECSYNC_RETURN_IF_ERROR(r.Bool("use_api_socket", &service.use_api_socket));
  ECSYNC_RETURN_IF_ERROR(r.Bool("tty", &service.tty));
  ECSYNC_RETURN_IF_ERROR(r.Bool("stdin_open", &service.stdin_open));
  ECSYNC_RETURN_IF_ERROR(r.String("restart", &service.restart));
  ECSYNC_RETURN_IF_ERROR(r.String("hostname", &service.hostname));
  ECSYNC_RETURN_IF_ERROR(r.String("domainname", &service.domainname));
  ECSYNC_RETURN_IF_ERROR(r.String("container_name", &service.container_name));
  ECSYNC_RETURN_IF_ERROR(r.String("ipc", &service.ipc));
  ECSYNC_RETURN_IF_ERROR(r.String("pid", &service.pid));
  ECSYNC_RETURN_IF_ERROR(r.Strings("links", &service.links));
  ECSYNC_RETURN_IF_ERROR(r.Strings("external_links", &service.external_links));
  ECSYNC_RETURN_IF_ERROR(r.Strings("volumes_from", &service.volumes_from));
  ECSYNC_RETURN_IF_ERROR(r.Strings("security_opt", &service.security_opt));
  ECSYNC_RETURN_IF_ERROR(r.Strings("label_file", &service.label_file));
  ECSYNC_RETURN_IF_ERROR(r.Double("cpus", &service.cpus));
  ECSYNC_RETURN_IF_ERROR(r.Bytes("mem_limit", &service.mem_limit_bytes));
  ECSYNC_RETURN_IF_ERROR(r.Bytes("mem_reservation", &service.mem_reservation_bytes));
  service.extensions = XExtensions(node);
  return service;
}

// external: true | false | {name: N}; the deprecated external.name becomes the name.
base::Status ParseExternal(const Reader& r, bool* external, std::string* name) {
  const YamlNode* node = r.Get("external");
  if (node == nullptr) return base::Status::Ok();
  if (node->IsMapping()) {
    *external = true;
    if (const YamlNode* n = node->Find("name"); Present(n)) *name = n->scalar;
    return base::Status::Ok();
  }
  return r.Bool("external", external);
}

base::Status ParseNetworks(const YamlNode& node, Project* project) {
  for (const YamlEntry& entry : node.entries) {
    NetworkConfig network;
    network.location = entry.key_location;
    if (entry.value.IsMapping()) {
      const Reader r(entry.value, "networks." + entry.key);
      ECSYNC_RETURN_IF_ERROR(r.String("name", &network.name));
      ECSYNC_RETURN_IF_ERROR(r.String("driver", &network.driver));
      ECSYNC_RETURN_IF_ERROR(r.StringMap("driver_opts", &network.driver_opts));
      if (const YamlNode* ipam = r.Get("ipam")) {
        const Reader i(*ipam, r.PathOf("ipam"));
        ECSYNC_RETURN_IF_ERROR(i.String("driver", &network.ipam_driver));
        if (const YamlNode* config = i.Get("config")) {
          for (size_t k = 0; k < config->items.size(); ++k) {
            const Reader c(config->items[k], Index(i.PathOf("config"), k));
            IpamPool pool;
            ECSYNC_RETURN_IF_ERROR(c.String("subnet", &pool.subnet));
            ECSYNC_RETURN_IF_ERROR(c.String("ip_range", &pool.ip_range));
            ECSYNC_RETURN_IF_ERROR(c.String("gateway", &pool.gateway));
            ECSYNC_RETURN_IF_ERROR(c.StringMap("aux_addresses", &pool.aux_addresses));
            network.ipam_config.push_back(std::move(pool));
          }
        }
      }
      ECSYNC_RETURN_IF_ERROR(ParseExternal(r, &network.external, &network.name));
      ECSYNC_RETURN_IF_ERROR(r.Bool("internal", &network.internal));
      ECSYNC_RETURN_IF_ERROR(r.Bool("attachable", &network.attachable));
      ECSYNC_RETURN_IF_ERROR(r.OptionalBool("enable_ipv4", &network.enable_ipv4));
      ECSYNC_RETURN_IF_ERROR(r.OptionalBool("enable_ipv6", &network.enable_ipv6));
      ECSYNC_RETURN_IF_ERROR(r.StringMap("labels", &network.labels));
      network.extensions = XExtensions(entry.value);
    }
    project->networks[entry.key] = std::move(network);
  }
  return base::Status::Ok();
}

base::Status ParseVolumes(const YamlNode& node, Project* project) {
  for (const YamlEntry& entry : node.entries) {
    VolumeConfig volume;
    volume.location = entry.key_location;
    if (entry.value.IsMapping()) {
      const Reader r(entry.value, "volumes." + entry.key);
      ECSYNC_RETURN_IF_ERROR(r.String("name", &volume.name));
      ECSYNC_RETURN_IF_ERROR(r.String("driver", &volume.driver));
      ECSYNC_RETURN_IF_ERROR(r.StringMap("driver_opts", &volume.driver_opts));
      ECSYNC_RETURN_IF_ERROR(ParseExternal(r, &volume.external, &volume.name));
      ECSYNC_RETURN_IF_ERROR(r.StringMap("labels", &volume.labels));
      volume.extensions = XExtensions(entry.value);
    }
    project->volumes[entry.key] = std::move(volume);
  }
  return base::Status::Ok();
}

base::Status ParseFileObjects(const YamlNode& node, const std::string& section,
                              std::map<std::string, FileObjectConfig>* out) {
  for (const YamlEntry& entry : node.entries) {
    FileObjectConfig object;
    object.location = entry.key_location;
    const std::string path = section + "." + entry.key;
    if (entry.value.IsMapping()) {
      const Reader r(entry.value, path);
      ECSYNC_RETURN_IF_ERROR(r.String("name", &object.name));
      ECSYNC_RETURN_IF_ERROR(r.String("file", &object.file));
      ECSYNC_RETURN_IF_ERROR(r.String("environment", &object.environment));
      ECSYNC_RETURN_IF_ERROR(r.String("content", &object.content));
      ECSYNC_RETURN_IF_ERROR(ParseExternal(r, &object.external, &object.name));
      ECSYNC_RETURN_IF_ERROR(r.StringMap("labels", &object.labels));
      ECSYNC_RETURN_IF_ERROR(r.String("driver", &object.driver));
      ECSYNC_RETURN_IF_ERROR(r.StringMap("driver_opts", &object.driver_opts));
      ECSYNC_RETURN_IF_ERROR(r.String("template_driver", &object.template_driver));
      object.extensions = XExtensions(entry.value);
    }
    const int sources = !object.file.empty() + !object.environment.empty() +
                        !object.content.empty() + object.external;
    if (sources != 1) {
      return ErrorAt(entry.key_location, path,
                     "needs exactly one of file, environment" +
                         std::string(section == "configs" ? ", content" : "") + " or external");
    }
    (*out)[entry.key] = std::move(object);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<Project> NormalizeProject(const YamlNode& root) {
  Project project;
  const YamlNode* services = root.Find("services");
  if (services != nullptr && !services->IsNull()) {
    if (!services->IsMapping()) return WrongType(*services, "services", "a mapping");
    for (const YamlEntry& entry : services->entries) {
      ECSYNC_ASSIGN_OR_RETURN(Service service, ParseService(entry));
      project.services.push_back(std::move(service));
    }
  }
  std::sort(project.services.begin(), project.services.end(),
            [](const Service& a, const Service& b) { return a.name < b.name; });
  if (const YamlNode* networks = root.Find("networks"); Present(networks)) {
    ECSYNC_RETURN_IF_ERROR(ParseNetworks(*networks, &project));
  }
  if (const YamlNode* volumes = root.Find("volumes"); Present(volumes)) {
    ECSYNC_RETURN_IF_ERROR(ParseVolumes(*volumes, &project));
  }
  if (const YamlNode* secrets = root.Find("secrets"); Present(secrets)) {
    ECSYNC_RETURN_IF_ERROR(ParseFileObjects(*secrets, "secrets", &project.secrets));
  }
  if (const YamlNode* configs = root.Find("configs"); Present(configs)) {
    ECSYNC_RETURN_IF_ERROR(ParseFileObjects(*configs, "configs", &project.configs));
  }
  project.extensions = XExtensions(root);
  return project;
}

}  // namespace ecsync::compose
