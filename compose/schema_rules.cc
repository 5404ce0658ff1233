#include "compose/schema_rules.h"

#include <deque>
#include <initializer_list>

namespace ecsync::compose::internal {

namespace {

// GCC before 14 warns about members left out of designated initializers (GCC bug 96868);
// leaving them out is the point of designated initializers here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using Fields = std::initializer_list<std::pair<const char*, const Shape*>>;

// Builds every Shape from compose-spec.json's definitions and owns them.
class RulesBuilder : public SchemaRules {
 public:
  RulesBuilder() { Build(); }

 private:
  const Shape* Make(Shape shape) {
    store_.push_back(std::move(shape));
    return &store_.back();
  }
  const Shape* T(uint32_t types) { return Make(Shape{.types = types}); }
  const Shape* Enum(std::vector<std::string> values) {
    return Make(Shape{.types = kStr, .one_of = std::move(values)});
  }
  const Shape* Obj(Fields fields, uint32_t also = 0, std::vector<std::string> required = {}) {
    Shape shape{.types = kMap | also, .closed = true, .required = std::move(required)};
    for (const auto& [key, value] : fields) shape.fields.emplace_back(key, value);
    return Make(std::move(shape));
  }
  const Shape* Dict(const Shape* values, uint32_t also = 0, KeyRule keys = KeyRule::kNonEmpty) {
    return Make(Shape{.types = kMap | also, .values = values, .keys = keys});
  }
  const Shape* List(const Shape* items, uint32_t also = 0) {
    return Make(Shape{.types = kList | also, .items = items});
  }
  // A closed mapping that may also be written as a list (of `items`) or as a scalar.
  const Shape* ObjOrList(Fields fields, const Shape* items, uint32_t also = 0) {
    Shape shape = *Obj(fields, also);
    shape.types |= kList;
    shape.items = items;
    return Make(std::move(shape));
  }
  const Shape* ListOrDict(const Shape* values) {
    return Make(Shape{
        .types = kList | kMap, .values = values, .items = T(kStr), .keys = KeyRule::kNonEmpty});
  }

  void Build() {
    const Shape* str = T(kStr);
    const Shape* any = nullptr;
    const Shape* str_or_num = T(kStr | kNum);
    const Shape* int_or_str = T(kInt | kStr);
    const Shape* num_or_str = T(kNum | kStr);
    const Shape* bool_or_str = T(kBool | kStr);
    const Shape* strings = List(str);
    const Shape* string_or_list = List(str, kStr);
    const Shape* list_or_dict = ListOrDict(T(kStr | kNum | kBool | kNull));
    const Shape* command = List(str, kStr | kNull);
    const Shape* any_map = Dict(any, 0, KeyRule::kAny);
    const Shape* env_file =
        List(Make(Shape{.types = kStr | kMap,
                        .closed = true,
                        .fields = {{"path", str}, {"format", str}, {"required", bool_or_str}},
                        .required = {"path"}}),
             kStr);
    const Shape* file_reference = List(Make(Shape{
        .types = kStr | kMap,
        .closed = true,
        .fields = {
            {"source", str}, {"target", str}, {"uid", str}, {"gid", str}, {"mode", num_or_str}}}));
    const Shape* ulimits = Dict(Make(Shape{.types = kInt | kStr | kMap,
                                           .closed = true,
                                           .fields = {{"hard", int_or_str}, {"soft", int_or_str}},
                                           .required = {"soft", "hard"}}),
                                0, KeyRule::kLower);
    const Shape* device_request = Obj({{"capabilities", strings},
                                       {"count", int_or_str},
                                       {"device_ids", strings},
                                       {"driver", str},
                                       {"options", list_or_dict}},
                                      0, {"capabilities"});
    // Under `gpus` every request asks for GPUs, so capabilities is optional there.
    const Shape* gpu_request = Obj({{"capabilities", strings},
                                    {"count", int_or_str},
                                    {"device_ids", strings},
                                    {"driver", str},
                                    {"options", list_or_dict}});
    const Shape* resource = Obj(
        {{"cpus", num_or_str},
         {"memory", str_or_num},
         {"pids", int_or_str},
         {"devices", List(device_request)},
         {"generic_resources",
          List(Obj({{"discrete_resource_spec", Obj({{"kind", str}, {"value", num_or_str}})}}))}});
    const Shape* update = Obj({{"parallelism", int_or_str},
                               {"delay", str},
                               {"failure_action", str},
                               {"monitor", str},
                               {"max_failure_ratio", num_or_str},
                               {"order", Enum({"start-first", "stop-first"})}});
    deployment = Obj(
        {{"mode", str},
         {"endpoint_mode", str},
         {"replicas", int_or_str},
         {"labels", list_or_dict},
         {"rollback_config", update},
         {"update_config", update},
         {"resources", Obj({{"limits", resource}, {"reservations", resource}})},
         {"restart_policy",
          Obj({{"condition", str}, {"delay", str}, {"max_attempts", int_or_str}, {"window", str}})},
         {"placement", Obj({{"constraints", strings},
                            {"preferences", List(Obj({{"spread", str}}))},
                            {"max_replicas_per_node", int_or_str}})}},
        kNull);
    healthcheck = Obj({{"disable", bool_or_str},
                       {"interval", str},
                       {"retries", num_or_str},
                       {"test", List(str, kStr)},
                       {"timeout", str},
                       {"start_period", str},
                       {"start_interval", str}});
    const Shape* service_hook = Obj({{"command", command},
                                     {"user", str},
                                     {"privileged", bool_or_str},
                                     {"working_dir", str},
                                     {"environment", list_or_dict}},
                                    0, {"command"});
    // pre_start runs its own container: command is optional, and it may name an image.
    const Shape* pre_start_hook = Obj({{"command", command},
                                       {"image", str},
                                       {"user", str},
                                       {"privileged", bool_or_str},
                                       {"working_dir", str},
                                       {"environment", list_or_dict},
                                       {"per_replica", bool_or_str}});
    const Shape* build = Obj({{"context", str},
                              {"dockerfile", str},
                              {"dockerfile_inline", str},
                              {"entitlements", strings},
                              {"args", list_or_dict},
                              {"ssh", list_or_dict},
                              {"labels", list_or_dict},
                              {"cache_from", strings},
                              {"cache_to", strings},
                              {"no_cache", bool_or_str},
                              {"additional_contexts", list_or_dict},
                              {"network", str},
                              {"provenance", bool_or_str},
                              {"sbom", bool_or_str},
                              {"pull", bool_or_str},
                              {"target", str},
                              {"shm_size", int_or_str},
                              {"extra_hosts", any},
                              {"isolation", str},
                              {"privileged", bool_or_str},
                              {"secrets", file_reference},
                              {"tags", strings},
                              {"ulimits", ulimits},
                              {"platforms", strings}},
                             kStr);
    const Shape* port = Make(Shape{.types = kNum | kStr | kMap,
                                   .closed = true,
                                   .fields = {{"name", str},
                                              {"mode", str},
                                              {"host_ip", str},
                                              {"target", int_or_str},
                                              {"published", int_or_str},
                                              {"protocol", str},
                                              {"app_protocol", str}}});
    const Shape* volume_mount = Make(Shape{
        .types = kStr | kMap,
        .closed = true,
        .fields = {{"type", Enum({"bind", "volume", "tmpfs", "cluster", "npipe", "image"})},
                   {"source", str},
                   {"target", str},
                   {"read_only", bool_or_str},
                   {"consistency", str},
                   {"bind",
                    Obj({{"propagation", str},
                         {"create_host_path", bool_or_str},
                         {"recursive", Enum({"enabled", "disabled", "writable", "readonly"})},
                         {"selinux", Enum({"z", "Z"})}})},
                   {"volume",
                    Obj({{"labels", list_or_dict}, {"nocopy", bool_or_str}, {"subpath", str}})},
                   {"tmpfs", Obj({{"size", int_or_str}, {"mode", num_or_str}})},
                   {"image", Obj({{"subpath", str}})}},
        .required = {"type"}});
    const Shape* service_network = Obj({{"aliases", strings},
                                        {"interface_name", str},
                                        {"ipv4_address", str},
                                        {"ipv6_address", str},
                                        {"link_local_ips", strings},
                                        {"mac_address", str},
                                        {"driver_opts", Dict(str_or_num)},
                                        {"priority", T(kNum)},
                                        {"gw_priority", T(kNum)}},
                                       kNull);
    // A null value ("db:") is accepted as {condition: service_started}, as docker compose does.
    const Shape* dependency =
        Obj({{"restart", bool_or_str},
             {"required", T(kBool)},
             {"condition",
              Enum({"service_started", "service_healthy", "service_completed_successfully"})}},
            kNull);
    service = Obj(
        {{"develop", any},
         {"deploy", deployment},
         {"annotations", list_or_dict},
         {"attach", bool_or_str},
         {"build", build},
         {"blkio_config", any_map},
         {"cap_add", strings},
         {"cap_drop", strings},
         {"cgroup", str},
         {"cgroup_parent", str},
         {"command", command},
         {"configs", file_reference},
         {"container_name", str},
         {"cpu_count", int_or_str},
         {"cpu_percent", int_or_str},
         {"cpu_shares", num_or_str},
         {"cpu_quota", num_or_str},
         {"cpu_period", num_or_str},
         {"cpu_rt_period", num_or_str},
         {"cpu_rt_runtime", num_or_str},
         {"cpus", num_or_str},
         {"cpuset", str},
         {"credential_spec", Obj({{"config", str}, {"file", str}, {"registry", str}})},
         {"depends_on",
          Make(Shape{
              .types = kList | kMap, .values = dependency, .items = str, .keys = KeyRule::kName})},
         {"device_cgroup_rules", strings},
         {"devices",
          List(Make(Shape{.types = kStr | kMap,
                          .closed = true,
                          .fields = {{"source", str}, {"target", str}, {"permissions", str}},
                          .required = {"source"}}))},
         {"dns", string_or_list},
         {"dns_opt", strings},
         {"dns_search", string_or_list},
         {"domainname", str},
         {"entrypoint", command},
         {"env_file", env_file},
         {"label_file", string_or_list},
         {"environment", list_or_dict},
         {"expose", List(str_or_num)},
         {"extends", Make(Shape{.types = kStr | kMap,
                                .closed = true,
                                .fields = {{"service", str}, {"file", str}},
                                .required = {"service"}})},
         {"provider", Obj({{"type", str}, {"options", Dict(any)}}, 0, {"type"})},
         {"external_links", strings},
         {"extra_hosts",
          Make(Shape{.types = kList | kMap, .values = List(str, kStr), .items = str})},
         {"gpus", Make(Shape{.types = kStr | kList, .items = gpu_request})},
         {"group_add", List(str_or_num)},
         {"healthcheck", healthcheck},
         {"hostname", str},
         {"image", str},
         {"init", bool_or_str},
         {"ipc", str},
         {"isolation", str},
         {"labels", list_or_dict},
         {"links", strings},
         {"logging", Obj({{"driver", str}, {"options", Dict(T(kStr | kNum | kNull))}})},
         {"mac_address", str},
         {"mem_limit", str_or_num},
         {"mem_reservation", str_or_num},
         {"mem_swappiness", int_or_str},
         {"memswap_limit", str_or_num},
         {"network_mode", str},
         {"models", Make(Shape{.types = kList | kMap, .items = str, .keys = KeyRule::kName})},
         {"networks", Make(Shape{.types = kList | kMap,
                                 .values = service_network,
                                 .items = str,
                                 .keys = KeyRule::kName})},
         {"oom_kill_disable", bool_or_str},
         {"oom_score_adj", int_or_str},
         {"pid", T(kStr | kNull)},
         {"pids_limit", num_or_str},
         {"platform", str},
         {"ports", List(port)},
         {"post_start", List(service_hook)},
         {"pre_start", List(pre_start_hook)},
         {"pre_stop", List(service_hook)},
         {"privileged", bool_or_str},
         {"profiles", strings},
         {"pull_policy", str},
         {"pull_refresh_after", str},
         {"read_only", bool_or_str},
         {"restart", str},
         {"runtime", str},
         {"scale", int_or_str},
         {"security_opt", strings},
         {"shm_size", str_or_num},
         {"secrets", file_reference},
         {"sysctls", list_or_dict},
         {"stdin_open", bool_or_str},
         {"stop_grace_period", str},
         {"stop_signal", str},
         {"storage_opt", any_map},
         {"tmpfs", string_or_list},
         {"tty", bool_or_str},
         {"ulimits", ulimits},
         {"use_api_socket", T(kBool)},
         {"user", str},
         {"uts", str},
         {"userns_mode", str},
         {"volumes", List(volume_mount)},
         {"volumes_from", strings},
         {"working_dir", str}},
        kNull);
    const Shape* external = Obj({{"name", str}}, kBool | kStr);
    network = Obj({{"name", str},
                   {"driver", str},
                   {"driver_opts", Dict(str_or_num)},
                   {"ipam", Obj({{"driver", str},
                                 {"config", List(Obj({{"subnet", str},
                                                      {"ip_range", str},
                                                      {"gateway", str},
                                                      {"aux_addresses", Dict(str)}}))},
                                 {"options", Dict(str)}})},
                   {"external", external},
                   {"internal", bool_or_str},
                   {"enable_ipv4", bool_or_str},
                   {"enable_ipv6", bool_or_str},
                   {"attachable", bool_or_str},
                   {"labels", list_or_dict}},
                  kNull);
    volume = Obj({{"name", str},
                  {"driver", str},
                  {"driver_opts", Dict(str_or_num)},
                  {"external", external},
                  {"labels", list_or_dict}},
                 kNull);
    secret = Obj({{"name", str},
                  {"environment", str},
                  {"file", str},
                  {"external", external},
                  {"labels", list_or_dict},
                  {"driver", str},
                  {"driver_opts", Dict(str_or_num)},
                  {"template_driver", str}});
    config = Obj({{"name", str},
                  {"content", str},
                  {"environment", str},
                  {"file", str},
                  {"external", external},
                  {"labels", list_or_dict},
                  {"template_driver", str}});
    const Shape* include = Make(Shape{
        .types = kStr | kMap,
        .closed = true,
        .fields = {
            {"path", string_or_list}, {"env_file", string_or_list}, {"project_directory", str}}});
    const Shape* model =
        Obj({{"name", str}, {"model", str}, {"context_size", T(kInt)}, {"runtime_flags", strings}},
            0, {"model"});
    top = Obj({{"version", str},
               {"name", str},
               {"include", List(include)},
               {"services", Dict(service, kNull, KeyRule::kName)},
               {"models", Dict(model, 0, KeyRule::kName)},
               {"networks", Dict(network, kNull, KeyRule::kName)},
               {"volumes", Dict(volume, kNull, KeyRule::kName)},
               {"secrets", Dict(secret, kNull, KeyRule::kName)},
               {"configs", Dict(config, kNull, KeyRule::kName)}},
              kNull);
  }

  std::deque<Shape> store_;
};

#pragma GCC diagnostic pop

}  // namespace

const SchemaRules& GetSchemaRules() {
  static const SchemaRules* rules = new RulesBuilder();
  return *rules;
}

}  // namespace ecsync::compose::internal
