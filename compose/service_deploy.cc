#include "compose/service_fields.h"

#include <utility>

#include "compose/short_syntax.h"
#include "compose/typed_reader.h"

namespace ecsync::compose::internal {

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

namespace {

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

}  // namespace

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
      ECSYNC_RETURN_IF_ERROR(
          ParseResourceSpec(*reservations, res.PathOf("reservations"), &service->reservations));
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

}  // namespace ecsync::compose::internal
