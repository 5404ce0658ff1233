// gpus and pre_start: the keys that add hardware and steps to a service's start.

#include <utility>

#include "compose/service_fields.h"
#include "compose/typed_reader.h"

namespace ecsync::compose::internal {

base::Status ParseGpus(const YamlNode& node, const std::string& path, Service* service) {
  if (node.IsScalar()) {
    if (node.scalar != "all") {
      return ErrorAt(node.location, path,
                     "must be \"all\" or a list of device requests, not \"" + node.scalar + "\"");
    }
    DeviceRequest all;
    all.capabilities = {"gpu"};
    all.count = -1;
    service->gpus.push_back(std::move(all));
    return base::Status::Ok();
  }
  if (!node.IsSequence()) return WrongType(node, path, "\"all\" or a list of device requests");
  for (size_t i = 0; i < node.items.size(); ++i) {
    ECSYNC_ASSIGN_OR_RETURN(DeviceRequest device, ParseDevice(node.items[i], Index(path, i)));
    // Every request under `gpus` asks for GPUs, whether or not it says so.
    if (device.capabilities.empty()) device.capabilities = {"gpu"};
    service->gpus.push_back(std::move(device));
  }
  return base::Status::Ok();
}

namespace {

base::Result<PreStartHook> ParsePreStartStep(const YamlNode& node, const std::string& path) {
  if (!node.IsMapping()) return WrongType(node, path, "a mapping");
  const Reader r(node, path);
  PreStartHook hook;
  hook.location = node.location;
  if (const YamlNode* command = node.Find("command")) {
    ECSYNC_RETURN_IF_ERROR(ParseWords(*command, r.PathOf("command"), &hook.command));
  }
  for (auto [key, out] : {std::pair{"image", &hook.image}, std::pair{"user", &hook.user},
                          std::pair{"working_dir", &hook.working_dir}}) {
    ECSYNC_RETURN_IF_ERROR(r.String(key, out));
  }
  for (auto [key, out] :
       {std::pair{"privileged", &hook.privileged}, std::pair{"per_replica", &hook.per_replica}}) {
    ECSYNC_RETURN_IF_ERROR(r.Bool(key, out));
  }
  if (const YamlNode* environment = r.Get("environment")) {
    // Parsed as a service's environment is, into a scratch service.
    Service scratch;
    ECSYNC_RETURN_IF_ERROR(ParseEnvironment(*environment, r.PathOf("environment"), &scratch));
    hook.environment = std::move(scratch.environment);
  }
  return hook;
}

}  // namespace

base::Status ParsePreStart(const YamlNode& node, const std::string& path, Service* service) {
  if (!node.IsSequence()) return WrongType(node, path, "a list of steps");
  for (size_t i = 0; i < node.items.size(); ++i) {
    ECSYNC_ASSIGN_OR_RETURN(PreStartHook hook, ParsePreStartStep(node.items[i], Index(path, i)));
    service->pre_start.push_back(std::move(hook));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::compose::internal
