#include "compose/schema.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <utility>

namespace ecsync::compose {

namespace {

// Value types a key accepts; a shape may accept several.
enum : uint32_t {
  kStr = 1 << 0,
  kInt = 1 << 1,
  kNum = 1 << 2,  // any number, integers included
  kBool = 1 << 3,
  kNull = 1 << 4,
  kList = 1 << 5,
  kMap = 1 << 6,
  kAny = kStr | kInt | kNum | kBool | kNull | kList | kMap,
};

// Which keys an open mapping accepts (the schema's patternProperties).
enum class KeyRule {
  kAny,
  kName,      // ^[a-zA-Z0-9._-]+$: services, networks, volumes, secrets, configs, models, ...
  kLower,     // ^[a-z]+$: ulimits
  kNonEmpty,  // .+: list_or_dict mappings, driver_opts, logging options, ...
};

struct Shape {
  uint32_t types = kAny;
  // kMap: when `closed`, only these keys and x-* keys are allowed.
  bool closed = false;
  std::vector<std::pair<std::string, const Shape*>> fields;
  const Shape* values = nullptr;  // kMap when open: each value; nullptr accepts anything
  const Shape* items = nullptr;   // kList: each item; nullptr accepts anything
  std::vector<std::string> one_of;  // kStr: allowed values, empty when free
  std::vector<std::string> required;  // kMap: keys that must be present
  KeyRule keys = KeyRule::kAny;       // kMap when open: which keys are allowed
};

// GCC before 14 warns about members left out of designated initializers (GCC bug 96868);
// leaving them out is the point of designated initializers here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using Fields = std::initializer_list<std::pair<const char*, const Shape*>>;

// Owns every Shape; built once, never freed (they live as long as the program).
class Rules {
 public:
  static const Rules& Get() {
    static const Rules* rules = new Rules();
    return *rules;
  }

  const Shape* top = nullptr;
  const Shape* service = nullptr;
  const Shape* network = nullptr;
  const Shape* volume = nullptr;
  const Shape* secret = nullptr;
  const Shape* config = nullptr;
  const Shape* deployment = nullptr;
  const Shape* healthcheck = nullptr;

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
    return Make(Shape{.types = kList | kMap,
                      .values = values,
                      .items = T(kStr),
                      .keys = KeyRule::kNonEmpty});
  }

  Rules() {
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
    const Shape* file_reference = List(
        Make(Shape{.types = kStr | kMap,
                   .closed = true,
                   .fields = {{"source", str},
                              {"target", str},
                              {"uid", str},
                              {"gid", str},
                              {"mode", num_or_str}}}));
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
    const Shape* resource = Obj({{"cpus", num_or_str},
                                 {"memory", str_or_num},
                                 {"pids", int_or_str},
                                 {"devices", List(device_request)},
                                 {"generic_resources",
                                  List(Obj({{"discrete_resource_spec",
                                             Obj({{"kind", str}, {"value", num_or_str}})}}))}});
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
         {"restart_policy", Obj({{"condition", str},
                                 {"delay", str},
                                 {"max_attempts", int_or_str},
                                 {"window", str}})},
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
                   {"bind", Obj({{"propagation", str},
                                 {"create_host_path", bool_or_str},
                                 {"recursive", Enum({"enabled", "disabled", "writable",
                                                     "readonly"})},
                                 {"selinux", Enum({"z", "Z"})}})},
                   {"volume", Obj({{"labels", list_or_dict},
                                   {"nocopy", bool_or_str},
                                   {"subpath", str}})},
                   {"tmpfs", Obj({{"size", int_or_str}, {"mode", num_or_str}})},
                   {"image", Obj({{"subpath", str}})}},
        .required = {"type"}});
    const Shape* service_network =
        Obj({{"aliases", strings},
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
    const Shape* dependency = Obj({{"restart", bool_or_str},
                                   {"required", T(kBool)},
                                   {"condition", Enum({"service_started", "service_healthy",
                                                       "service_completed_successfully"})}},
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
         {"depends_on", Make(Shape{.types = kList | kMap,
                                   .values = dependency,
                                   .items = str,
                                   .keys = KeyRule::kName})},
         {"device_cgroup_rules", strings},
         {"devices", List(Make(Shape{.types = kStr | kMap,
                                     .closed = true,
                                     .fields = {{"source", str},
                                                {"target", str},
                                                {"permissions", str}},
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
         {"extra_hosts", Make(Shape{.types = kList | kMap,
                                    .values = List(str, kStr),
                                    .items = str})},
         {"gpus", Make(Shape{.types = kStr | kList, .items = device_request})},
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
    const Shape* include = Make(Shape{.types = kStr | kMap,
                                      .closed = true,
                                      .fields = {{"path", string_or_list},
                                                 {"env_file", string_or_list},
                                                 {"project_directory", str}}});
    const Shape* model = Obj({{"name", str},
                              {"model", str},
                              {"context_size", T(kInt)},
                              {"runtime_flags", strings}},
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

bool IsInteger(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
    const bool hex = s[i + 1] == 'x';
    for (size_t j = i + 2; j < s.size(); ++j) {
      const char c = s[j];
      const bool ok = hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
      if (!ok) return false;
    }
    return true;
  }
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool IsFloat(const std::string& s) {
  static const char* const kSpecial[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                         "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  for (const char* special : kSpecial) {
    if (s == special) return true;
  }
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') { ++i; digits = true; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') { ++i; digits = true; }
  }
  if (!digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool exponent = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') { ++i; exponent = true; }
    if (!exponent) return false;
  }
  return i == s.size();
}

ScalarType ResolveText(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return ScalarType::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" ||
      s == "FALSE") {
    return ScalarType::kBoolean;
  }
  if (IsInteger(s)) return ScalarType::kInteger;
  if (IsFloat(s)) return ScalarType::kNumber;
  return ScalarType::kString;
}

uint32_t Bit(ScalarType type) {
  switch (type) {
    case ScalarType::kNull: return kNull;
    case ScalarType::kBoolean: return kBool;
    case ScalarType::kInteger: return kInt;
    case ScalarType::kNumber: return kNum;
    case ScalarType::kString: return kStr;
  }
  return kStr;
}

std::string Describe(uint32_t types) {
  std::vector<std::string> names;
  if (types & kStr) names.push_back("a string");
  if (types & kNum) {
    names.push_back("a number");
  } else if (types & kInt) {
    names.push_back("a whole number");
  }
  if (types & kBool) names.push_back("a boolean");
  if (types & kList) names.push_back("a list");
  if (types & kMap) names.push_back("a mapping");
  if (types & kNull) names.push_back("null");
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

const char* Found(const YamlNode& node, ScalarType type) {
  if (node.IsSequence()) return "a list";
  if (node.IsMapping()) return "a mapping";
  if (node.IsNull()) return "null";
  switch (type) {
    case ScalarType::kNull: return "null";
    case ScalarType::kBoolean: return "a boolean";
    case ScalarType::kInteger: return "a whole number";
    case ScalarType::kNumber: return "a number";
    case ScalarType::kString: return "a string";
  }
  return "a value";
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

bool KeyAllowed(KeyRule rule, const std::string& key) {
  switch (rule) {
    case KeyRule::kAny:
      return true;
    case KeyRule::kNonEmpty:
      return !key.empty();
    case KeyRule::kLower:
      return !key.empty() &&
             std::all_of(key.begin(), key.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    case KeyRule::kName:
      return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
               c == '-';
      });
  }
  return true;
}

std::string KeyRuleError(KeyRule rule, const std::string& key) {
  if (key.empty()) return "empty key; give it a name";
  const std::string quoted = "\"" + key + "\"";
  if (rule == KeyRule::kLower) {
    return "invalid name " + quoted + "; use lower-case letters only (nofile, nproc, ...)";
  }
  return "invalid name " + quoted + "; use only letters, digits, '.', '_' and '-'";
}

base::Status Check(const YamlNode& node, const Shape* shape, const std::string& path) {
  if (shape == nullptr) return base::Status::Ok();
  ScalarType type = ScalarType::kString;
  uint32_t bit = 0;
  if (node.IsNull()) {
    bit = kNull;
  } else if (node.IsSequence()) {
    bit = kList;
  } else if (node.IsMapping()) {
    bit = kMap;
  } else {
    type = ResolveScalar(node);
    bit = Bit(type);
  }
  bool ok = (shape->types & bit) != 0;
  if (!ok && bit == kInt && (shape->types & kNum)) ok = true;
  // An interpolated value is a string that also counts as the number or boolean it spells,
  // as the reference loader converts such values where the schema wants them.
  if (!ok && node.interpolated && node.IsScalar() && (shape->types & kStr)) ok = true;
  if (!ok && node.interpolated && node.IsScalar()) {
    const uint32_t spelled = Bit(ResolveText(node.scalar));
    ok = (shape->types & spelled) != 0 || (spelled == kInt && (shape->types & kNum));
  }
  if (!ok) {
    return ErrorAt(node.location, path,
                   "must be " + Describe(shape->types) + ", found " + Found(node, type));
  }
  if (node.IsScalar() && !shape->one_of.empty() &&
      std::find(shape->one_of.begin(), shape->one_of.end(), node.scalar) ==
          shape->one_of.end()) {
    std::string allowed;
    for (const std::string& value : shape->one_of) {
      allowed += (allowed.empty() ? "" : ", ") + value;
    }
    std::string what = "invalid value \"" + node.scalar + "\"; use one of " + allowed;
    const std::string close = ClosestMatch(node.scalar, shape->one_of);
    if (!close.empty()) what += " (did you mean \"" + close + "\"?)";
    return ErrorAt(node.location, path, what);
  }
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      ECSYNC_RETURN_IF_ERROR(
          Check(node.items[i], shape->items, path + "[" + std::to_string(i) + "]"));
    }
  }
  if (node.IsMapping()) {
    for (const std::string& key : shape->required) {
      if (node.Find(key) == nullptr) {
        return ErrorAt(node.location, path, "missing required key \"" + key + "\"; add it");
      }
    }
    for (const YamlEntry& entry : node.entries) {
      const std::string entry_path = Child(path, entry.key);
      if (!shape->closed) {
        if (!KeyAllowed(shape->keys, entry.key)) {
          return ErrorAt(entry.key_location, entry.key.empty() ? path : entry_path,
                         KeyRuleError(shape->keys, entry.key));
        }
        ECSYNC_RETURN_IF_ERROR(Check(entry.value, shape->values, entry_path));
        continue;
      }
      if (entry.key.rfind("x-", 0) == 0) continue;
      const Shape* field = nullptr;
      bool known = false;
      for (const auto& [key, value] : shape->fields) {
        if (key == entry.key) {
          field = value;
          known = true;
          break;
        }
      }
      if (!known) {
        std::vector<std::string> keys;
        for (const auto& [key, value] : shape->fields) keys.push_back(key);
        std::string what = "unknown key";
        const std::string close = ClosestMatch(entry.key, keys);
        if (!close.empty()) {
          what += "; did you mean \"" + close + "\"?";
        } else {
          what += "; remove it, or prefix it with x- to keep it as an extension";
        }
        return ErrorAt(entry.key_location, entry_path, what);
      }
      ECSYNC_RETURN_IF_ERROR(Check(entry.value, field, entry_path));
    }
  }
  return base::Status::Ok();
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

ScalarType ResolveScalar(const YamlNode& node) {
  if (node.quoted) return ScalarType::kString;
  return ResolveText(node.scalar);
}

base::Status ValidateSchema(const YamlNode& root) {
  return Check(root, Rules::Get().top, "");
}

std::vector<std::string> KnownKeys(const std::string& which) {
  const Rules& rules = Rules::Get();
  const Shape* shape = which == "service"       ? rules.service
                       : which == "network"     ? rules.network
                       : which == "volume"      ? rules.volume
                       : which == "secret"      ? rules.secret
                       : which == "config"      ? rules.config
                       : which == "deployment"  ? rules.deployment
                       : which == "healthcheck" ? rules.healthcheck
                       : which == "top"         ? rules.top
                                                : nullptr;
  std::vector<std::string> keys;
  if (shape == nullptr) return keys;
  for (const auto& [key, value] : shape->fields) keys.push_back(key);
  return keys;
}

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance && distance * 2 < std::max<size_t>(word.size(), 2)) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace ecsync::compose
