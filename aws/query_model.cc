#include "aws/query_model.h"

#include <cmath>
#include <cstdio>
#include <random>

#include "aws/encoding.h"
#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

using Json = QueryModel::Json;

std::string StringTrait(const Json& shape, const char* key) {
  auto it = shape.find(key);
  if (it == shape.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// shape[key], or an empty object when absent (const operator[] would be undefined).
const Json& Field(const Json& shape, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = shape.find(key);
  return it == shape.end() ? kEmpty : *it;
}

bool BoolTrait(const Json& shape, const char* key) {
  auto it = shape.find(key);
  return it != shape.end() && it->is_boolean() && it->get<bool>();
}

// The serialized name of a member: its locationName, else `fallback`.
std::string NameOf(const Json& resolved, const std::string& fallback) {
  std::string name = StringTrait(resolved, "locationName");
  return name.empty() ? fallback : name;
}

std::string NumberText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  return value.dump();  // shortest round-trip form, e.g. 10.8
}

Json EpochJson(std::chrono::system_clock::time_point t) {
  double seconds = ToEpochSeconds(t);
  if (seconds == std::floor(seconds)) return static_cast<int64_t>(seconds);
  return seconds;
}

std::vector<pugi::xml_node> ChildrenNamed(pugi::xml_node node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) out.push_back(child);
  }
  return out;
}

}  // namespace

std::string RandomUuid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

QueryModel::QueryModel(Json shapes) : shapes_(std::move(shapes)), token_generator_(RandomUuid) {}

base::Result<Json> QueryModel::Resolve(const Json& ref) const {
  std::string name = StringTrait(ref, "shape");
  auto it = shapes_.find(name);
  if (it == shapes_.end()) return base::InvalidError("unknown shape '" + name + "'");
  Json resolved = *it;
  for (auto trait = ref.begin(); trait != ref.end(); ++trait) {
    if (trait.key() != "shape") resolved[trait.key()] = trait.value();
  }
  return resolved;
}

base::Result<QueryParams> QueryModel::Serialize(const std::string& shape_name,
                                                const Json& params) const {
  QueryParams out;
  ECSYNC_ASSIGN_OR_RETURN(Json shape, Resolve(Json{{"shape", shape_name}}));
  ECSYNC_RETURN_IF_ERROR(SerializeValue(shape, params, "", &out));
  return out;
}

base::Status QueryModel::SerializeValue(const Json& shape, const Json& value,
                                        const std::string& prefix, QueryParams* out) const {
  const std::string type = StringTrait(shape, "type");
  auto join = [&prefix](const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
  };
  if (type == "structure") {
    if (!value.is_object()) return base::InvalidError(prefix + ": expected an object");
    const Json& members = Field(shape, "members");
    for (auto it = value.begin(); it != value.end(); ++it) {
      auto member = members.find(it.key());
      if (member == members.end()) {
        return base::InvalidError(join(it.key()) + ": unknown member");
      }
      ECSYNC_ASSIGN_OR_RETURN(Json resolved, Resolve(*member));
      ECSYNC_RETURN_IF_ERROR(
          SerializeValue(resolved, it.value(), join(NameOf(*member, it.key())), out));
    }
    for (auto member = members.begin(); member != members.end(); ++member) {
      if (BoolTrait(*member, "idempotencyToken") && !value.contains(member.key())) {
        out->emplace_back(join(NameOf(*member, member.key())), token_generator_());
      }
    }
    return base::Status::Ok();
  }
  if (type == "list") {
    if (!value.is_array()) return base::InvalidError(prefix + ": expected a list");
    if (value.empty()) {
      out->emplace_back(prefix, "");
      return base::Status::Ok();
    }
    ECSYNC_ASSIGN_OR_RETURN(Json member, Resolve(Field(shape, "member")));
    std::string list_prefix = BoolTrait(shape, "flattened")
                                  ? prefix
                                  : prefix + "." + NameOf(Field(shape, "member"), "member");
    int index = 1;
    for (const Json& element : value) {
      ECSYNC_RETURN_IF_ERROR(
          SerializeValue(member, element, list_prefix + "." + std::to_string(index++), out));
    }
    return base::Status::Ok();
  }
  if (type == "map") {
    if (!value.is_object()) return base::InvalidError(prefix + ": expected a map");
    ECSYNC_ASSIGN_OR_RETURN(Json key_shape, Resolve(Field(shape, "key")));
    ECSYNC_ASSIGN_OR_RETURN(Json value_shape, Resolve(Field(shape, "value")));
    std::string entry_prefix = BoolTrait(shape, "flattened") ? prefix : prefix + ".entry";
    std::string key_name = NameOf(Field(shape, "key"), "key");
    std::string value_name = NameOf(Field(shape, "value"), "value");
    int index = 1;
    for (auto it = value.begin(); it != value.end(); ++it, ++index) {
      std::string base = entry_prefix + "." + std::to_string(index) + ".";
      ECSYNC_RETURN_IF_ERROR(SerializeValue(key_shape, it.key(), base + key_name, out));
      ECSYNC_RETURN_IF_ERROR(SerializeValue(value_shape, it.value(), base + value_name, out));
    }
    return base::Status::Ok();
  }
  if (type == "boolean") {
    if (!value.is_boolean()) return base::InvalidError(prefix + ": expected a boolean");
    out->emplace_back(prefix, value.get<bool>() ? "true" : "false");
    return base::Status::Ok();
  }
  if (type == "integer" || type == "long" || type == "float" || type == "double") {
    if (!value.is_number() && !value.is_string()) {
      return base::InvalidError(prefix + ": expected a number");
    }
    out->emplace_back(prefix, NumberText(value));
    return base::Status::Ok();
  }
  if (type == "timestamp") {
    std::chrono::system_clock::time_point t;
    if (value.is_number()) {
      t = FromEpochSeconds(value.get<double>());
    } else if (value.is_string()) {
      auto parsed = ParseIso8601(value.get<std::string>());
      if (!parsed) return base::InvalidError(prefix + ": malformed timestamp");
      t = *parsed;
    } else {
      return base::InvalidError(prefix + ": expected a timestamp");
    }
    std::string format = StringTrait(shape, "timestampFormat");
    if (format == "unixTimestamp") {
      out->emplace_back(prefix, NumberText(EpochJson(t)));
    } else {
      out->emplace_back(prefix, FormatIso8601(t));
    }
    return base::Status::Ok();
  }
  if (type == "blob") {
    if (!value.is_string()) return base::InvalidError(prefix + ": expected bytes");
    out->emplace_back(prefix, Base64Encode(value.get<std::string>()));
    return base::Status::Ok();
  }
  if (type == "string") {
    if (!value.is_string()) return base::InvalidError(prefix + ": expected a string");
    out->emplace_back(prefix, value.get<std::string>());
    return base::Status::Ok();
  }
  return base::InvalidError(prefix + ": unsupported shape type '" + type + "'");
}

base::Result<Json> QueryModel::Parse(const std::string& shape_name, pugi::xml_node node) const {
  ECSYNC_ASSIGN_OR_RETURN(Json shape, Resolve(Json{{"shape", shape_name}}));
  return ParseStructure(shape, node);
}

base::Result<Json> QueryModel::ParseStructure(const Json& shape, pugi::xml_node node) const {
  Json out = Json::object();
  const Json& members = Field(shape, "members");
  for (auto member = members.begin(); member != members.end(); ++member) {
    ECSYNC_ASSIGN_OR_RETURN(Json resolved, Resolve(member.value()));
    std::string name = NameOf(member.value(), member.key());
    std::string type = StringTrait(resolved, "type");
    if ((type == "list" || type == "map") && BoolTrait(resolved, "flattened")) {
      std::vector<pugi::xml_node> nodes = ChildrenNamed(node, name);
      if (nodes.empty()) continue;
      ECSYNC_ASSIGN_OR_RETURN(out[member.key()], ParseFlattened(resolved, nodes));
      continue;
    }
    pugi::xml_node child = Child(node, name);
    if (!child) continue;
    ECSYNC_ASSIGN_OR_RETURN(out[member.key()], ParseValue(resolved, child));
  }
  return out;
}

base::Result<Json> QueryModel::ParseFlattened(const Json& shape,
                                              const std::vector<pugi::xml_node>& nodes) const {
  if (StringTrait(shape, "type") == "list") {
    ECSYNC_ASSIGN_OR_RETURN(Json member, Resolve(Field(shape, "member")));
    Json out = Json::array();
    for (pugi::xml_node n : nodes) {
      ECSYNC_ASSIGN_OR_RETURN(Json element, ParseValue(member, n));
      out.push_back(std::move(element));
    }
    return out;
  }
  ECSYNC_ASSIGN_OR_RETURN(Json value_shape, Resolve(Field(shape, "value")));
  std::string key_name = NameOf(Field(shape, "key"), "key");
  std::string value_name = NameOf(Field(shape, "value"), "value");
  Json out = Json::object();
  for (pugi::xml_node entry : nodes) {
    std::string key = ChildText(entry, key_name);
    pugi::xml_node value = Child(entry, value_name);
    if (!value) continue;
    ECSYNC_ASSIGN_OR_RETURN(out[key], ParseValue(value_shape, value));
  }
  return out;
}

base::Result<Json> QueryModel::ParseValue(const Json& shape, pugi::xml_node node) const {
  const std::string type = StringTrait(shape, "type");
  const std::string text = node.child_value();
  if (type == "structure") return ParseStructure(shape, node);
  if (type == "list") {
    std::string item = NameOf(Field(shape, "member"), "member");
    return ParseFlattened(shape, ChildrenNamed(node, item));
  }
  if (type == "map") return ParseFlattened(shape, ChildrenNamed(node, "entry"));
  if (type == "boolean") {
    if (text == "true") return Json(true);
    if (text == "false") return Json(false);
    return base::InvalidError(std::string(node.name()) + ": malformed boolean '" + text + "'");
  }
  if (type == "integer" || type == "long") {
    try {
      return Json(static_cast<int64_t>(std::stoll(text)));
    } catch (const std::exception&) {
      return base::InvalidError(std::string(node.name()) + ": malformed integer '" + text + "'");
    }
  }
  if (type == "float" || type == "double") {
    if (text == "NaN" || text == "Infinity" || text == "-Infinity") return Json(text);
    try {
      return Json(std::stod(text));
    } catch (const std::exception&) {
      return base::InvalidError(std::string(node.name()) + ": malformed number '" + text + "'");
    }
  }
  if (type == "timestamp") {
    if (auto t = ParseIso8601(text)) return EpochJson(*t);
    if (auto t = ParseHttpDate(text)) return EpochJson(*t);
    try {
      size_t used = 0;
      double seconds = std::stod(text, &used);
      if (used == text.size()) return EpochJson(FromEpochSeconds(seconds));
    } catch (const std::exception&) {
    }
    return base::InvalidError(std::string(node.name()) + ": malformed timestamp '" + text + "'");
  }
  if (type == "blob") {
    auto bytes = Base64Decode(text);
    if (!bytes) return base::InvalidError(std::string(node.name()) + ": malformed base64");
    return Json(*bytes);
  }
  return Json(text);  // string, enums
}

}  // namespace ecsync::aws
