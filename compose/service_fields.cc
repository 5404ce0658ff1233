#include "compose/service_fields.h"

#include <utility>

#include "base/strings.h"
#include "compose/short_syntax.h"
#include "compose/typed_reader.h"

namespace ecsync::compose::internal {

base::Status ParseWords(const YamlNode& node, const std::string& path,
                        std::optional<std::vector<std::string>>* out) {
  if (node.IsNull()) return base::Status::Ok();
  if (node.IsScalar()) {
    ECSYNC_ASSIGN_OR_RETURN(*out, At(SplitShellWords(node.scalar), node, path));
    return base::Status::Ok();
  }
  if (!node.IsSequence()) return WrongType(node, path, "a string or a list of strings");
  std::vector<std::string> words;
  for (size_t i = 0; i < node.items.size(); ++i) {
    ECSYNC_ASSIGN_OR_RETURN(std::string word, ScalarString(node.items[i], Index(path, i)));
    words.push_back(std::move(word));
  }
  *out = std::move(words);
  return base::Status::Ok();
}

base::Status ParseEnvironment(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsNull()) return base::Status::Ok();
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      const YamlNode& item = node.items[i];
      ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(item, Index(path, i)));
      const size_t equals = text.find('=');
      const std::string key = text.substr(0, equals);
      if (key.empty()) {
        return ErrorAt(item.location, Index(path, i),
                       "invalid environment entry \"" + text + "\"; use KEY=VALUE or KEY");
      }
      if (equals == std::string::npos) {
        service->environment[key] = std::nullopt;
      } else {
        service->environment[key] = text.substr(equals + 1);
      }
    }
    return base::Status::Ok();
  }
  if (!node.IsMapping()) return WrongType(node, path, "a list of KEY=VALUE or a mapping");
  for (const YamlEntry& entry : node.entries) {
    const std::string entry_path = Child(path, entry.key);
    if (entry.key.empty()) {
      return ErrorAt(entry.key_location, path,
                     "an entry has an empty variable name; use KEY=VALUE or KEY");
    }
    if (entry.value.IsNull()) {
      service->environment[entry.key] = std::nullopt;
    } else if (entry.value.IsScalar()) {
      service->environment[entry.key] = entry.value.scalar;
    } else {
      return WrongType(entry.value, entry_path, "a string, a number, a boolean or null");
    }
  }
  return base::Status::Ok();
}

namespace {

base::Result<PortMapping> ParseLongPort(const YamlNode& node, const std::string& path) {
  PortMapping mapping;
  mapping.location = node.location;
  const Reader r(node, path);
  const YamlNode* target = r.Get("target");
  if (target == nullptr) {
    return ErrorAt(node.location, path, "a port mapping needs \"target\" (the container port)");
  }
  ECSYNC_ASSIGN_OR_RETURN(std::string target_text, ScalarString(*target, r.PathOf("target")));
  ECSYNC_ASSIGN_OR_RETURN(mapping.target,
                          At(ParsePortNumber(target_text), *target, r.PathOf("target")));
  if (const YamlNode* published = r.Get("published")) {
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*published, r.PathOf("published")));
    // A published range ("8000-8001") in the long form: the first port is used.
    const size_t dash = text.find('-');
    ECSYNC_ASSIGN_OR_RETURN(mapping.published, At(ParsePortNumber(text.substr(0, dash)), *published,
                                                  r.PathOf("published")));
  }
  ECSYNC_RETURN_IF_ERROR(r.String("host_ip", &mapping.host_ip));
  ECSYNC_RETURN_IF_ERROR(r.String("name", &mapping.name));
  ECSYNC_RETURN_IF_ERROR(r.String("app_protocol", &mapping.app_protocol));
  mapping.extensions = XExtensions(node);
  if (const YamlNode* mode = r.Get("mode")) {
    if (mode->scalar != "host" && mode->scalar != "ingress") {
      return ErrorAt(mode->location, r.PathOf("mode"),
                     "invalid mode \"" + mode->scalar + "\"; use host or ingress");
    }
    mapping.mode = mode->scalar;
  }
  if (const YamlNode* protocol = r.Get("protocol")) {
    const std::string text = base::AsciiLower(protocol->scalar);
    if (text != "tcp" && text != "udp") {
      return ErrorAt(protocol->location, r.PathOf("protocol"),
                     "invalid protocol \"" + protocol->scalar + "\"; use tcp or udp");
    }
    mapping.protocol = text;
  }
  return mapping;
}

}  // namespace

base::Status ParsePorts(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsNull()) return base::Status::Ok();
  if (!node.IsSequence()) return WrongType(node, path, "a list");
  for (size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = node.items[i];
    const std::string item_path = Index(path, i);
    if (item.IsScalar()) {
      ECSYNC_ASSIGN_OR_RETURN(std::vector<PortMapping> mappings,
                              At(ParsePortSpec(item.scalar), item, item_path));
      for (PortMapping& mapping : mappings) {
        mapping.location = item.location;
        service->ports.push_back(std::move(mapping));
      }
    } else if (item.IsMapping()) {
      ECSYNC_ASSIGN_OR_RETURN(PortMapping mapping, ParseLongPort(item, item_path));
      service->ports.push_back(std::move(mapping));
    } else {
      return WrongType(item, item_path, "a port string such as \"8080:80\" or a mapping");
    }
  }
  return base::Status::Ok();
}

base::Status ParseDependsOn(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsNull()) return base::Status::Ok();
  std::vector<ServiceDependency> dependencies;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      ServiceDependency dependency;
      ECSYNC_ASSIGN_OR_RETURN(dependency.service, ScalarString(node.items[i], Index(path, i)));
      dependency.location = node.items[i].location;
      dependencies.push_back(std::move(dependency));
    }
  } else if (node.IsMapping()) {
    for (const YamlEntry& entry : node.entries) {
      ServiceDependency dependency;
      dependency.service = entry.key;
      dependency.location = entry.key_location;
      if (entry.value.IsMapping()) {
        const Reader r(entry.value, Child(path, entry.key));
        ECSYNC_RETURN_IF_ERROR(r.String("condition", &dependency.condition));
        if (dependency.condition.empty()) dependency.condition = "service_started";
        ECSYNC_RETURN_IF_ERROR(r.Bool("restart", &dependency.restart));
        ECSYNC_RETURN_IF_ERROR(r.Bool("required", &dependency.required));
      } else if (!entry.value.IsNull()) {
        return WrongType(entry.value, Child(path, entry.key),
                         "a mapping such as {condition: service_started}");
      }
      dependencies.push_back(std::move(dependency));
    }
  } else {
    return WrongType(node, path, "a list of service names or a mapping");
  }
  for (ServiceDependency& dependency : dependencies) {
    auto same = [&](const ServiceDependency& d) { return d.service == dependency.service; };
    if (std::none_of(service->dependencies.begin(), service->dependencies.end(), same)) {
      service->dependencies.push_back(std::move(dependency));
    }
  }
  return base::Status::Ok();
}

// SOURCE:TARGET[:MODE] or TARGET. Paths were resolved when the file was read, so a bind
// source starts with "/", "./" or "../" (or is "." / "..").
base::Result<ServiceVolume> ParseShortVolume(const YamlNode& node, const std::string& path) {
  ServiceVolume volume;
  volume.location = node.location;
  std::vector<std::string> parts;
  size_t start = 0;
  const std::string& spec = node.scalar;
  while (true) {
    const size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3 || parts[0].empty() || (parts.size() >= 2 && parts[1].empty())) {
    return ErrorAt(node.location, path,
                   "invalid volume \"" + spec + "\"; use [SOURCE:]TARGET[:ro|rw]");
  }
  if (parts.size() == 1) {
    volume.type = "volume";
    volume.target = parts[0];
    return volume;
  }
  volume.source = parts[0];
  volume.target = parts[1];
  const bool is_path = volume.source[0] == '/' || volume.source[0] == '.' ||
                       volume.source[0] == '~' || volume.source.find('/') != std::string::npos;
  volume.type = is_path ? "bind" : "volume";
  if (volume.type == "bind") volume.bind_create_host_path = true;
  if (parts.size() == 3) {
    size_t begin = 0;
    const std::string& modes = parts[2];
    while (begin <= modes.size()) {
      const size_t comma = modes.find(',', begin);
      const std::string mode = modes.substr(begin, comma - begin);
      if (mode == "ro") {
        volume.read_only = true;
      } else if (mode == "rw") {
        volume.read_only = false;
      } else if (mode == "z" || mode == "Z") {
        volume.bind_selinux = mode;
      } else if (mode == "nocopy") {
        volume.volume_nocopy = true;
      } else if (mode == "cached" || mode == "delegated" || mode == "consistent") {
        volume.consistency = mode;
      } else if (mode == "shared" || mode == "rshared" || mode == "slave" || mode == "rslave" ||
                 mode == "private" || mode == "rprivate") {
        volume.bind_propagation = mode;
      } else {
        return ErrorAt(node.location, path,
                       "invalid volume mode \"" + mode + "\" in \"" + spec +
                           "\"; use ro, rw, z, Z, nocopy or a propagation mode");
      }
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  }
  return volume;
}

base::Result<ServiceVolume> ParseLongVolume(const YamlNode& node, const std::string& path) {
  ServiceVolume volume;
  volume.location = node.location;
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.String("type", &volume.type));
  if (volume.type.empty()) {
    return ErrorAt(node.location, path, "a volume mapping needs \"type\" (volume, bind or tmpfs)");
  }
  ECSYNC_RETURN_IF_ERROR(r.String("source", &volume.source));
  ECSYNC_RETURN_IF_ERROR(r.String("target", &volume.target));
  ECSYNC_RETURN_IF_ERROR(r.Bool("read_only", &volume.read_only));
  ECSYNC_RETURN_IF_ERROR(r.String("consistency", &volume.consistency));
  if (const YamlNode* bind = r.Get("bind")) {
    const Reader b(*bind, r.PathOf("bind"));
    ECSYNC_RETURN_IF_ERROR(b.String("propagation", &volume.bind_propagation));
    ECSYNC_RETURN_IF_ERROR(b.OptionalBool("create_host_path", &volume.bind_create_host_path));
    ECSYNC_RETURN_IF_ERROR(b.String("selinux", &volume.bind_selinux));
  }
  if (const YamlNode* options = r.Get("volume")) {
    const Reader v(*options, r.PathOf("volume"));
    ECSYNC_RETURN_IF_ERROR(v.Bool("nocopy", &volume.volume_nocopy));
    ECSYNC_RETURN_IF_ERROR(v.String("subpath", &volume.volume_subpath));
  }
  if (const YamlNode* tmpfs = r.Get("tmpfs")) {
    const Reader t(*tmpfs, r.PathOf("tmpfs"));
    ECSYNC_RETURN_IF_ERROR(t.Bytes("size", &volume.tmpfs_size_bytes));
    if (const YamlNode* mode = t.Get("mode")) {
      ECSYNC_ASSIGN_OR_RETURN(volume.tmpfs_mode,
                              At(ParseFileMode(mode->scalar), *mode, t.PathOf("mode")));
    }
  }
  if (volume.target.empty()) {
    return ErrorAt(node.location, path, "a volume mapping needs \"target\"");
  }
  volume.extensions = XExtensions(node);
  return volume;
}

base::Status ParseFileReferences(const YamlNode& node, const std::string& path,
                                 std::vector<FileReference>* out) {
  if (node.IsNull()) return base::Status::Ok();
  if (!node.IsSequence()) return WrongType(node, path, "a list");
  for (size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = node.items[i];
    FileReference reference;
    reference.location = item.location;
    if (item.IsScalar()) {
      reference.source = item.scalar;
    } else {
      const Reader r(item, Index(path, i));
      ECSYNC_RETURN_IF_ERROR(r.String("source", &reference.source));
      ECSYNC_RETURN_IF_ERROR(r.String("target", &reference.target));
      ECSYNC_RETURN_IF_ERROR(r.String("uid", &reference.uid));
      ECSYNC_RETURN_IF_ERROR(r.String("gid", &reference.gid));
      if (const YamlNode* mode = r.Get("mode")) {
        ECSYNC_ASSIGN_OR_RETURN(reference.mode,
                                At(ParseFileMode(mode->scalar), *mode, r.PathOf("mode")));
      }
      reference.extensions = XExtensions(item);
    }
    if (reference.source.empty()) {
      return ErrorAt(item.location, Index(path, i), "needs \"source\"");
    }
    out->push_back(std::move(reference));
  }
  return base::Status::Ok();
}

base::Status ParseHealthcheck(const YamlNode& node, const std::string& path, Service* service) {
  Healthcheck check;
  check.location = node.location;
  const Reader r(node, path);
  if (const YamlNode* test = r.Get("test")) {
    if (test->IsScalar()) {
      check.test = {"CMD-SHELL", test->scalar};
    } else {
      ECSYNC_RETURN_IF_ERROR(r.Strings("test", &check.test));
    }
  }
  ECSYNC_RETURN_IF_ERROR(r.Duration("interval", &check.interval));
  ECSYNC_RETURN_IF_ERROR(r.Duration("timeout", &check.timeout));
  ECSYNC_RETURN_IF_ERROR(r.Int("retries", &check.retries));
  ECSYNC_RETURN_IF_ERROR(r.Duration("start_period", &check.start_period));
  ECSYNC_RETURN_IF_ERROR(r.Duration("start_interval", &check.start_interval));
  ECSYNC_RETURN_IF_ERROR(r.Bool("disable", &check.disable));
  if (!check.test.empty() && check.test[0] == "NONE") check.disable = true;
  service->healthcheck = std::move(check);
  return base::Status::Ok();
}

base::Status ParseBuild(const YamlNode& node, const std::string& path, Service* service) {
  Build build;
  build.location = node.location;
  if (node.IsScalar()) {
    build.context = node.scalar;
    service->build = std::move(build);
    return base::Status::Ok();
  }
  if (!node.IsMapping()) return base::Status::Ok();
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.String("context", &build.context));
  if (build.context.empty()) build.context = ".";
  ECSYNC_RETURN_IF_ERROR(r.String("dockerfile", &build.dockerfile));
  ECSYNC_RETURN_IF_ERROR(r.String("dockerfile_inline", &build.dockerfile_inline));
  if (const YamlNode* args = r.Get("args"); args != nullptr && args->IsMapping()) {
    for (const YamlEntry& entry : args->entries) {
      build.args[entry.key] =
          entry.value.IsNull() ? std::nullopt : std::optional<std::string>(entry.value.scalar);
    }
  }
  ECSYNC_RETURN_IF_ERROR(r.String("target", &build.target));
  ECSYNC_RETURN_IF_ERROR(r.String("network", &build.network));
  ECSYNC_RETURN_IF_ERROR(r.Strings("cache_from", &build.cache_from));
  ECSYNC_RETURN_IF_ERROR(r.Strings("cache_to", &build.cache_to));
  ECSYNC_RETURN_IF_ERROR(r.Strings("tags", &build.tags));
  ECSYNC_RETURN_IF_ERROR(r.Strings("platforms", &build.platforms));
  ECSYNC_RETURN_IF_ERROR(r.StringMap("labels", &build.labels));
  ECSYNC_RETURN_IF_ERROR(r.StringMap("additional_contexts", &build.additional_contexts));
  if (const YamlNode* ssh = r.Get("ssh")) {
    if (ssh->IsMapping()) {
      for (const YamlEntry& entry : ssh->entries) {
        build.ssh.push_back(entry.value.IsNull() ? entry.key
                                                 : entry.key + "=" + entry.value.scalar);
      }
    } else {
      ECSYNC_RETURN_IF_ERROR(r.Strings("ssh", &build.ssh));
    }
  }
  if (const YamlNode* secrets = r.Get("secrets")) {
    ECSYNC_RETURN_IF_ERROR(ParseFileReferences(*secrets, r.PathOf("secrets"), &build.secrets));
  }
  ECSYNC_RETURN_IF_ERROR(r.Bool("pull", &build.pull));
  ECSYNC_RETURN_IF_ERROR(r.Bool("no_cache", &build.no_cache));
  build.extensions = XExtensions(node);
  service->build = std::move(build);
  return base::Status::Ok();
}

base::Status ParseExtraHosts(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsMapping()) {
    for (const YamlEntry& entry : node.entries) {
      if (entry.value.IsSequence()) {
        for (const YamlNode& ip : entry.value.items) {
          service->extra_hosts.push_back({entry.key, ip.scalar});
        }
      } else {
        service->extra_hosts.push_back({entry.key, entry.value.scalar});
      }
    }
    return base::Status::Ok();
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    const std::string& text = node.items[i].scalar;
    size_t split = text.find('=');
    if (split == std::string::npos) split = text.find(':');
    if (split == std::string::npos || split == 0) {
      return ErrorAt(node.items[i].location, Index(path, i),
                     "invalid extra host \"" + text + "\"; use HOST=IP or HOST:IP");
    }
    std::string ip = text.substr(split + 1);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    service->extra_hosts.push_back({text.substr(0, split), ip});
  }
  return base::Status::Ok();
}

}  // namespace ecsync::compose::internal
