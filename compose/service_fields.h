#pragma once

// Parsers of a service's compound keys, one per key, for NormalizeProject. Each takes the
// key's node and key path and fills its part of `service`. REQUIRES: the node is present;
// null leaves the service unchanged where compose allows null. Errors are kInvalid with the
// location and key path of the offending value. For compose/ only.

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose::internal {

// command, entrypoint: a string (split like a shell) or a list of strings.
base::Status ParseWords(const YamlNode& node, const std::string& path,
                        std::optional<std::vector<std::string>>* out);
base::Status ParseEnvironment(const YamlNode& node, const std::string& path, Service* service);
base::Status ParsePorts(const YamlNode& node, const std::string& path, Service* service);
base::Status ParseDependsOn(const YamlNode& node, const std::string& path, Service* service);
// One item of `volumes`, short ("SOURCE:TARGET[:MODE]") or long (a mapping).
base::Result<ServiceVolume> ParseShortVolume(const YamlNode& node, const std::string& path);
base::Result<ServiceVolume> ParseLongVolume(const YamlNode& node, const std::string& path);
// secrets, configs: names or mappings.
base::Status ParseFileReferences(const YamlNode& node, const std::string& path,
                                 std::vector<FileReference>* out);
base::Status ParseHealthcheck(const YamlNode& node, const std::string& path, Service* service);
base::Status ParseBuild(const YamlNode& node, const std::string& path, Service* service);
base::Status ParseExtraHosts(const YamlNode& node, const std::string& path, Service* service);

// One device request (deploy.resources.*.devices[], gpus[]).
base::Result<DeviceRequest> ParseDevice(const YamlNode& node, const std::string& path);
// gpus: `all` or a list of device requests (service_lifecycle.cc). REQUIRES: not null.
base::Status ParseGpus(const YamlNode& node, const std::string& path, Service* service);
// pre_start: a list of init container steps (service_lifecycle.cc). REQUIRES: not null.
base::Status ParsePreStart(const YamlNode& node, const std::string& path, Service* service);

// deploy: resources (limits, reservations, devices), restart policy, update and rollback
// configs, placement, replicas and labels (service_deploy.cc).
base::Status ParseDeploy(const YamlNode& node, const std::string& path, Service* service);

}  // namespace ecsync::compose::internal
