#include "compose/normalize.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>
#include <vector>

#include "base/duration.h"
#include "base/strings.h"
#include "compose/interpolate.h"
#include "compose/schema.h"
#include "compose/short_syntax.h"

namespace ecsync::compose {

namespace {

using Json = nlohmann::ordered_json;

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

base::Status WrongType(const YamlNode& node, const std::string& path, const std::string& want) {
  return ErrorAt(node.location, path,
                 std::string("must be ") + want + ", found " + KindName(node));
}

// Adds the location to an error from a parser that only knows the value.
template <typename T>
base::Result<T> At(base::Result<T> result, const YamlNode& node, const std::string& path) {
  if (result.ok()) return result;
  return ErrorAt(node.location, path, result.status().message());
}

bool Present(const YamlNode* node) { return node != nullptr && !node->IsNull(); }

base::Result<std::string> ScalarString(const YamlNode& node, const std::string& path) {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return WrongType(node, path, "a string");
  return node.scalar;
}

// Reads one typed value of the mapping `parent` at key `key`, when it is present.
class Reader {
 public:
  Reader(const YamlNode& parent, std::string path) : parent_(parent), path_(std::move(path)) {}

  const YamlNode* Get(const char* key) const {
    const YamlNode* node = parent_.Find(key);
    return Present(node) ? node : nullptr;
  }
  std::string PathOf(const char* key) const { return Child(path_, key); }

  base::Status String(const char* key, std::string* out) const {
    if (const YamlNode* node = Get(key)) {
      ECSYNC_ASSIGN_OR_RETURN(*out, ScalarString(*node, PathOf(key)));
    }
    return base::Status::Ok();
  }
  base::Status Bool(const char* key, bool* out) const {
    std::optional<bool> value;
    ECSYNC_RETURN_IF_ERROR(OptionalBool(key, &value));
    if (value) *out = *value;
    return base::Status::Ok();
  }
  base::Status OptionalBool(const char* key, std::optional<bool>* out) const {
    const YamlNode* node = Get(key);
    if (node == nullptr) return base::Status::Ok();
    std::string text = node->IsScalar() ? node->scalar : "";
    text = base::AsciiLower(text);
    if (text == "true" || text == "yes" || text == "on") {
      *out = true;
    } else if (text == "false" || text == "no" || text == "off") {
      *out = false;
    } else {
      return ErrorAt(node->location, PathOf(key),
                     "invalid boolean \"" + node->scalar + "\"; use true or false");
    }
    return base::Status::Ok();
  }
  base::Status Int(const char* key, std::optional<int>* out) const {
    if (const YamlNode* node = Get(key)) {
      ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
      ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseNonNegativeInt(text), *node, PathOf(key)));
    }
    return base::Status::Ok();
  }
  base::Status Int64(const char* key, std::optional<int64_t>* out) const {
    if (const YamlNode* node = Get(key)) {
      ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
      ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseInt64(text), *node, PathOf(key)));
    }
    return base::Status::Ok();
  }
  base::Status Double(const char* key, std::optional<double>* out) const {
    if (const YamlNode* node = Get(key)) {
      ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
      ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseCpus(text), *node, PathOf(key)));
    }
    return base::Status::Ok();
  }
  base::Status Bytes(const char* key, std::optional<int64_t>* out) const {
    if (const YamlNode* node = Get(key)) {
      ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
      ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseBytes(text), *node, PathOf(key)));
    }
    return base::Status::Ok();
  }
  base::Status Duration(const char* key, std::optional<compose::Duration>* out) const {
    if (const YamlNode* node = Get(key)) {
      ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
      ECSYNC_ASSIGN_OR_RETURN(*out, At(base::ParseDuration(text), *node, PathOf(key)));
    }
    return base::Status::Ok();
  }
  // A string or a list of strings.
  base::Status Strings(const char* key, std::vector<std::string>* out) const {
    const YamlNode* node = Get(key);
    if (node == nullptr) return base::Status::Ok();
    if (node->IsScalar()) {
      out->push_back(node->scalar);
      return base::Status::Ok();
    }
    if (!node->IsSequence()) return WrongType(*node, PathOf(key), "a list of strings");
    for (size_t i = 0; i < node->items.size(); ++i) {
      ECSYNC_ASSIGN_OR_RETURN(std::string item,
                              ScalarString(node->items[i], Index(PathOf(key), i)));
      out->push_back(std::move(item));
    }
    return base::Status::Ok();
  }
  // A mapping of strings (null values become ""), or a list of "KEY=VALUE".
  base::Status StringMap(const char* key, std::map<std::string, std::string>* out) const {
    const YamlNode* node = Get(key);
    if (node == nullptr) return base::Status::Ok();
    if (node->IsSequence()) {
      for (size_t i = 0; i < node->items.size(); ++i) {
        ECSYNC_ASSIGN_OR_RETURN(std::string item,
                                ScalarString(node->items[i], Index(PathOf(key), i)));
        const size_t equals = item.find('=');
        (*out)[item.substr(0, equals)] =
            equals == std::string::npos ? "" : item.substr(equals + 1);
      }
      return base::Status::Ok();
    }
    if (!node->IsMapping()) return WrongType(*node, PathOf(key), "a mapping");
    for (const YamlEntry& entry : node->entries) {
      ECSYNC_ASSIGN_OR_RETURN((*out)[entry.key],
                              ScalarString(entry.value, Child(PathOf(key), entry.key)));
    }
    return base::Status::Ok();
  }

 private:
  const YamlNode& parent_;
  std::string path_;
};

Json XExtensions(const YamlNode& node) {
  Json out;
  if (!node.IsMapping()) return out;
  for (const YamlEntry& entry : node.entries) {
    if (entry.key.rfind("x-", 0) == 0) out[entry.key] = YamlToJson(entry.value);
  }
  return out;
}

// A string (split like a shell) or a list of strings. Null leaves `out` unset.
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
    ECSYNC_ASSIGN_OR_RETURN(mapping.published,
                            At(ParsePortNumber(text.substr(0, dash)), *published,
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
    std::string text = protocol->scalar;
    text = base::AsciiLower(text);
    if (text != "tcp" && text != "udp") {
      return ErrorAt(protocol->location, r.PathOf("protocol"),
                     "invalid protocol \"" + protocol->scalar + "\"; use tcp or udp");
    }
    mapping.protocol = text;
  }
  return mapping;
}

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

base::Result<DeviceRequest> ParseDevice(const YamlNode& node, const std::string& path) {
  DeviceRequest device;
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.Strings("capabilities", &device.capabilities));
  if (const YamlNode* count = r.Get("count")) {
    if (count->scalar == "all") {
      device.count = -1;
    } else {
      ECSYNC_RETURN_IF_ERROR(r.Int64("count", &device.count));
    }
  }
  ECSYNC_RETURN_IF_ERROR(r.Strings("device_ids", &device.device_ids));
  ECSYNC_RETURN_IF_ERROR(r.String("driver", &device.driver));
  ECSYNC_RETURN_IF_ERROR(r.StringMap("options", &device.options));
  return device;
}

base::Status ParseResourceSpec(const YamlNode& node, const std::string& path, ResourceSpec* out) {
  if (node.IsNull()) return base::Status::Ok();
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.Double("cpus", &out->cpus));
  ECSYNC_RETURN_IF_ERROR(r.Bytes("memory", &out->memory_bytes));
  ECSYNC_RETURN_IF_ERROR(r.Int64("pids", &out->pids));
  if (const YamlNode* devices = r.Get("devices")) {
    for (size_t i = 0; i < devices->items.size(); ++i) {
      ECSYNC_ASSIGN_OR_RETURN(DeviceRequest device,
                              ParseDevice(devices->items[i], Index(r.PathOf("devices"), i)));
      out->devices.push_back(std::move(device));
    }
  }
  if (const YamlNode* generic = r.Get("generic_resources")) {
    for (size_t i = 0; i < generic->items.size(); ++i) {
      const YamlNode* spec = generic->items[i].Find("discrete_resource_spec");
      if (!Present(spec)) continue;
      const Reader s(*spec, Index(r.PathOf("generic_resources"), i) + ".discrete_resource_spec");
      GenericResource resource;
      ECSYNC_RETURN_IF_ERROR(s.String("kind", &resource.kind));
      std::optional<int64_t> value;
      ECSYNC_RETURN_IF_ERROR(s.Int64("value", &value));
      resource.value = value.value_or(0);
      out->generic_resources.push_back(std::move(resource));
    }
  }
  return base::Status::Ok();
}

base::Result<UpdateConfig> ParseUpdateConfig(const YamlNode& node, const std::string& path) {
  UpdateConfig config;
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.Int("parallelism", &config.parallelism));
  ECSYNC_RETURN_IF_ERROR(r.Duration("delay", &config.delay));
  ECSYNC_RETURN_IF_ERROR(r.String("failure_action", &config.failure_action));
  ECSYNC_RETURN_IF_ERROR(r.Duration("monitor", &config.monitor));
  ECSYNC_RETURN_IF_ERROR(r.Double("max_failure_ratio", &config.max_failure_ratio));
  ECSYNC_RETURN_IF_ERROR(r.String("order", &config.order));
  return config;
}

base::Status ParseDeploy(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsNull()) return base::Status::Ok();
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  Deploy deploy;
  deploy.location = node.location;
  const Reader r(node, path);
  ECSYNC_RETURN_IF_ERROR(r.Int("replicas", &service->replicas));
  ECSYNC_RETURN_IF_ERROR(r.String("mode", &deploy.mode));
  ECSYNC_RETURN_IF_ERROR(r.String("endpoint_mode", &deploy.endpoint_mode));
  ECSYNC_RETURN_IF_ERROR(r.StringMap("labels", &deploy.labels));
  if (const YamlNode* resources = r.Get("resources")) {
    const Reader res(*resources, r.PathOf("resources"));
    if (const YamlNode* limits = res.Get("limits")) {
      ECSYNC_RETURN_IF_ERROR(ParseResourceSpec(*limits, res.PathOf("limits"), &service->limits));
    }
    if (const YamlNode* reservations = res.Get("reservations")) {
      ECSYNC_RETURN_IF_ERROR(ParseResourceSpec(*reservations, res.PathOf("reservations"),
                                               &service->reservations));
    }
  }
  if (const YamlNode* policy = r.Get("restart_policy")) {
    const Reader p(*policy, r.PathOf("restart_policy"));
    RestartPolicy restart;
    ECSYNC_RETURN_IF_ERROR(p.String("condition", &restart.condition));
    ECSYNC_RETURN_IF_ERROR(p.Duration("delay", &restart.delay));
    ECSYNC_RETURN_IF_ERROR(p.Int("max_attempts", &restart.max_attempts));
    ECSYNC_RETURN_IF_ERROR(p.Duration("window", &restart.window));
    deploy.restart_policy = std::move(restart);
  }
  if (const YamlNode* update = r.Get("update_config")) {
    ECSYNC_ASSIGN_OR_RETURN(deploy.update_config,
                            ParseUpdateConfig(*update, r.PathOf("update_config")));
  }
  if (const YamlNode* rollback = r.Get("rollback_config")) {
    ECSYNC_ASSIGN_OR_RETURN(deploy.rollback_config,
                            ParseUpdateConfig(*rollback, r.PathOf("rollback_config")));
  }
  if (const YamlNode* placement = r.Get("placement")) {
    const Reader p(*placement, r.PathOf("placement"));
    ECSYNC_RETURN_IF_ERROR(p.Strings("constraints", &deploy.placement.constraints));
    if (const YamlNode* preferences = p.Get("preferences")) {
      for (const YamlNode& item : preferences->items) {
        PlacementPreference preference;
        if (const YamlNode* spread = item.Find("spread"); Present(spread)) {
          preference.spread = spread->scalar;
        }
        deploy.placement.preferences.push_back(std::move(preference));
      }
    }
    ECSYNC_RETURN_IF_ERROR(p.Int("max_replicas_per_node", &deploy.placement.max_replicas_per_node));
  }
  deploy.extensions = XExtensions(node);
  service->deploy = std::move(deploy);
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
        ECSYNC_ASSIGN_OR_RETURN(out.soft, At(ParseInt64(limit.value.scalar), limit.value,
                                             limit_path));
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

Json YamlToJson(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return nullptr;
    case YamlNode::Kind::kScalar: {
      const ScalarType type = node.interpolated ? ScalarType::kString : ResolveScalar(node);
      const std::string& s = node.scalar;
      switch (type) {
        case ScalarType::kNull:
          return nullptr;
        case ScalarType::kBoolean:
          return s[0] == 't' || s[0] == 'T';
        case ScalarType::kInteger: {
          base::Result<int64_t> value = ParseInt64(s[0] == '+' ? s.substr(1) : s);
          if (value.ok()) return *value;
          return s;
        }
        case ScalarType::kNumber:
          try {
            const double value = std::stod(s);
            if (std::isfinite(value)) return value;
          } catch (...) {
          }
          return s;
        case ScalarType::kString:
          return s;
      }
      return s;
    }
    case YamlNode::Kind::kSequence: {
      Json out = Json::array();
      for (const YamlNode& item : node.items) out.push_back(YamlToJson(item));
      return out;
    }
    case YamlNode::Kind::kMapping: {
      Json out = Json::object();
      for (const YamlEntry& entry : node.entries) out[entry.key] = YamlToJson(entry.value);
      return out;
    }
  }
  return nullptr;
}

base::Status InterpolateTree(const std::map<std::string, std::string>& environment,
                             const std::string& path, YamlNode* node) {
  switch (node->kind) {
    case YamlNode::Kind::kNull:
      return base::Status::Ok();
    case YamlNode::Kind::kScalar: {
      if (node->scalar.find('$') == std::string::npos) return base::Status::Ok();
      ECSYNC_ASSIGN_OR_RETURN(std::string value,
                              At(Interpolate(node->scalar, environment), *node, path));
      if (value != node->scalar) {
        node->scalar = std::move(value);
        node->interpolated = true;
      }
      return base::Status::Ok();
    }
    case YamlNode::Kind::kSequence:
      for (size_t i = 0; i < node->items.size(); ++i) {
        ECSYNC_RETURN_IF_ERROR(InterpolateTree(environment, Index(path, i), &node->items[i]));
      }
      return base::Status::Ok();
    case YamlNode::Kind::kMapping:
      for (YamlEntry& entry : node->entries) {
        ECSYNC_RETURN_IF_ERROR(
            InterpolateTree(environment, Child(path, entry.key), &entry.value));
      }
      return base::Status::Ok();
  }
  return base::Status::Ok();
}

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
