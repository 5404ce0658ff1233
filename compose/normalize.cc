#include "compose/normalize.h"

#include <cctype>
#include <utility>
#include <vector>

#include "compose/interpolate.h"
#include "compose/short_syntax.h"

namespace ecsync::compose {

namespace {

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

base::Result<std::string> ScalarString(const YamlNode& node, const std::string& path) {
  if (!node.IsScalar()) return WrongType(node, path, "a string");
  return node.scalar;
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
  if (node.IsMapping()) {
    for (const YamlEntry& entry : node.entries) {
      const std::string entry_path = Child(path, entry.key);
      if (entry.key.empty()) return ErrorAt(entry.key_location, path, "empty variable name");
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
  if (!node.IsSequence()) return WrongType(node, path, "a list of KEY=VALUE or a mapping");
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

base::Result<PortMapping> ParseLongPort(const YamlNode& node, const std::string& path) {
  PortMapping mapping;
  const YamlNode* target = node.Find("target");
  if (target == nullptr || target->IsNull()) {
    return ErrorAt(node.location, path, "a port mapping needs \"target\" (the container port)");
  }
  const std::string target_path = Child(path, "target");
  ECSYNC_ASSIGN_OR_RETURN(std::string target_text, ScalarString(*target, target_path));
  ECSYNC_ASSIGN_OR_RETURN(mapping.target, At(ParsePortNumber(target_text), *target, target_path));
  if (const YamlNode* published = node.Find("published");
      published != nullptr && !published->IsNull()) {
    const std::string published_path = Child(path, "published");
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*published, published_path));
    ECSYNC_ASSIGN_OR_RETURN(mapping.published,
                            At(ParsePortNumber(text), *published, published_path));
  }
  if (const YamlNode* host_ip = node.Find("host_ip"); host_ip != nullptr && !host_ip->IsNull()) {
    ECSYNC_ASSIGN_OR_RETURN(mapping.host_ip, ScalarString(*host_ip, Child(path, "host_ip")));
  }
  if (const YamlNode* protocol = node.Find("protocol");
      protocol != nullptr && !protocol->IsNull()) {
    const std::string protocol_path = Child(path, "protocol");
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*protocol, protocol_path));
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (text != "tcp" && text != "udp") {
      return ErrorAt(protocol->location, protocol_path,
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
      for (PortMapping& mapping : mappings) service->ports.push_back(std::move(mapping));
    } else if (item.IsMapping()) {
      ECSYNC_ASSIGN_OR_RETURN(PortMapping mapping, ParseLongPort(item, item_path));
      service->ports.push_back(std::move(mapping));
    } else {
      return WrongType(item, item_path, "a port string such as \"8080:80\" or a mapping");
    }
  }
  return base::Status::Ok();
}

base::Status ParseResourceSpec(const YamlNode& node, const std::string& path, ResourceSpec* out) {
  if (node.IsNull()) return base::Status::Ok();
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  if (const YamlNode* cpus = node.Find("cpus"); cpus != nullptr && !cpus->IsNull()) {
    const std::string cpus_path = Child(path, "cpus");
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*cpus, cpus_path));
    ECSYNC_ASSIGN_OR_RETURN(out->cpus, At(ParseCpus(text), *cpus, cpus_path));
  }
  if (const YamlNode* memory = node.Find("memory"); memory != nullptr && !memory->IsNull()) {
    const std::string memory_path = Child(path, "memory");
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*memory, memory_path));
    ECSYNC_ASSIGN_OR_RETURN(out->memory_bytes, At(ParseBytes(text), *memory, memory_path));
  }
  return base::Status::Ok();
}

base::Status ParseDeploy(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsNull()) return base::Status::Ok();
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  if (const YamlNode* replicas = node.Find("replicas");
      replicas != nullptr && !replicas->IsNull()) {
    const std::string replicas_path = Child(path, "replicas");
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*replicas, replicas_path));
    ECSYNC_ASSIGN_OR_RETURN(service->replicas,
                            At(ParseNonNegativeInt(text), *replicas, replicas_path));
  }
  const YamlNode* resources = node.Find("resources");
  if (resources == nullptr || resources->IsNull()) return base::Status::Ok();
  const std::string resources_path = Child(path, "resources");
  if (!resources->IsMapping()) return WrongType(*resources, resources_path, "a mapping");
  if (const YamlNode* limits = resources->Find("limits"); limits != nullptr) {
    ECSYNC_RETURN_IF_ERROR(
        ParseResourceSpec(*limits, Child(resources_path, "limits"), &service->limits));
  }
  if (const YamlNode* reservations = resources->Find("reservations"); reservations != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseResourceSpec(
        *reservations, Child(resources_path, "reservations"), &service->reservations));
  }
  return base::Status::Ok();
}

base::Status ParseDependsOn(const YamlNode& node, const std::string& path, ServiceDraft* draft) {
  if (node.IsNull()) return base::Status::Ok();
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      const std::string item_path = Index(path, i);
      ECSYNC_ASSIGN_OR_RETURN(std::string name, ScalarString(node.items[i], item_path));
      draft->depends_on.emplace(name, DependencySource{node.items[i].location, item_path});
    }
    return base::Status::Ok();
  }
  if (!node.IsMapping()) return WrongType(node, path, "a list of service names or a mapping");
  for (const YamlEntry& entry : node.entries) {
    const std::string entry_path = Child(path, entry.key);
    if (!entry.value.IsNull() && !entry.value.IsMapping()) {
      return WrongType(entry.value, entry_path, "a mapping such as {condition: service_started}");
    }
    draft->depends_on.emplace(entry.key, DependencySource{entry.key_location, entry_path});
  }
  return base::Status::Ok();
}

base::Result<ServiceDraft> ParseService(const YamlEntry& entry) {
  const std::string path = "services." + entry.key;
  const YamlNode& node = entry.value;
  // A service written with no body ("web:") is an empty service, as in the reference loader.
  if (!node.IsMapping() && !node.IsNull()) return WrongType(node, path, "a mapping");
  ServiceDraft draft;
  Service& service = draft.service;
  service.name = entry.key;
  service.location = entry.key_location;
  if (const YamlNode* image = node.Find("image"); image != nullptr && !image->IsNull()) {
    ECSYNC_ASSIGN_OR_RETURN(service.image, ScalarString(*image, path + ".image"));
    draft.has_image = true;
  }
  if (const YamlNode* command = node.Find("command"); command != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseWords(*command, path + ".command", &service.command));
  }
  if (const YamlNode* entrypoint = node.Find("entrypoint"); entrypoint != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseWords(*entrypoint, path + ".entrypoint", &service.entrypoint));
  }
  if (const YamlNode* environment = node.Find("environment"); environment != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseEnvironment(*environment, path + ".environment", &service));
  }
  if (const YamlNode* ports = node.Find("ports"); ports != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParsePorts(*ports, path + ".ports", &service));
  }
  if (const YamlNode* deploy = node.Find("deploy"); deploy != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseDeploy(*deploy, path + ".deploy", &service));
  }
  if (const YamlNode* depends_on = node.Find("depends_on"); depends_on != nullptr) {
    ECSYNC_RETURN_IF_ERROR(ParseDependsOn(*depends_on, path + ".depends_on", &draft));
  }
  return draft;
}

}  // namespace

base::Status InterpolateTree(const std::map<std::string, std::string>& environment,
                             const std::string& path, YamlNode* node) {
  switch (node->kind) {
    case YamlNode::Kind::kNull:
      return base::Status::Ok();
    case YamlNode::Kind::kScalar: {
      ECSYNC_ASSIGN_OR_RETURN(node->scalar,
                              At(Interpolate(node->scalar, environment), *node, path));
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

base::Result<FileDraft> NormalizeFile(const YamlNode& root) {
  FileDraft draft;
  if (const YamlNode* name = root.Find("name"); name != nullptr && !name->IsNull()) {
    ECSYNC_ASSIGN_OR_RETURN(draft.name, ScalarString(*name, "name"));
    draft.name_location = name->location;
  }
  const YamlNode* services = root.Find("services");
  if (services == nullptr) {
    return ErrorAt(root.location, "",
                   "no \"services\" section; a compose file needs a top-level services: mapping");
  }
  if (!services->IsMapping()) return WrongType(*services, "services", "a mapping");
  for (const YamlEntry& entry : services->entries) {
    ECSYNC_ASSIGN_OR_RETURN(ServiceDraft service, ParseService(entry));
    draft.services.emplace(entry.key, std::move(service));
  }
  return draft;
}

}  // namespace ecsync::compose
