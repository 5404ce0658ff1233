#include "compose/typed_reader.h"

#include "base/duration.h"
#include "base/strings.h"
#include "compose/short_syntax.h"
#include "compose/yaml_json.h"

namespace ecsync::compose::internal {

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

base::Status WrongType(const YamlNode& node, const std::string& path, const std::string& want) {
  return ErrorAt(node.location, path, std::string("must be ") + want + ", found " + KindName(node));
}

bool Present(const YamlNode* node) { return node != nullptr && !node->IsNull(); }

base::Result<std::string> ScalarString(const YamlNode& node, const std::string& path) {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return WrongType(node, path, "a string");
  return node.scalar;
}

const YamlNode* Reader::Get(const char* key) const {
  const YamlNode* node = parent_.Find(key);
  return Present(node) ? node : nullptr;
}

base::Status Reader::String(const char* key, std::string* out) const {
  if (const YamlNode* node = Get(key)) {
    ECSYNC_ASSIGN_OR_RETURN(*out, ScalarString(*node, PathOf(key)));
  }
  return base::Status::Ok();
}

base::Status Reader::Bool(const char* key, bool* out) const {
  std::optional<bool> value;
  ECSYNC_RETURN_IF_ERROR(OptionalBool(key, &value));
  if (value) *out = *value;
  return base::Status::Ok();
}

base::Status Reader::OptionalBool(const char* key, std::optional<bool>* out) const {
  const YamlNode* node = Get(key);
  if (node == nullptr) return base::Status::Ok();
  const std::string text = base::AsciiLower(node->IsScalar() ? node->scalar : "");
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

base::Status Reader::Int(const char* key, std::optional<int>* out) const {
  if (const YamlNode* node = Get(key)) {
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
    ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseNonNegativeInt(text), *node, PathOf(key)));
  }
  return base::Status::Ok();
}

base::Status Reader::Int64(const char* key, std::optional<int64_t>* out) const {
  if (const YamlNode* node = Get(key)) {
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
    ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseInt64(text), *node, PathOf(key)));
  }
  return base::Status::Ok();
}

base::Status Reader::Double(const char* key, std::optional<double>* out) const {
  if (const YamlNode* node = Get(key)) {
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
    ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseCpus(text), *node, PathOf(key)));
  }
  return base::Status::Ok();
}

base::Status Reader::Bytes(const char* key, std::optional<int64_t>* out) const {
  if (const YamlNode* node = Get(key)) {
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
    ECSYNC_ASSIGN_OR_RETURN(*out, At(ParseBytes(text), *node, PathOf(key)));
  }
  return base::Status::Ok();
}

base::Status Reader::Duration(const char* key, std::optional<compose::Duration>* out) const {
  if (const YamlNode* node = Get(key)) {
    ECSYNC_ASSIGN_OR_RETURN(std::string text, ScalarString(*node, PathOf(key)));
    ECSYNC_ASSIGN_OR_RETURN(*out, At(base::ParseDuration(text), *node, PathOf(key)));
  }
  return base::Status::Ok();
}

base::Status Reader::Strings(const char* key, std::vector<std::string>* out) const {
  const YamlNode* node = Get(key);
  if (node == nullptr) return base::Status::Ok();
  if (node->IsScalar()) {
    out->push_back(node->scalar);
    return base::Status::Ok();
  }
  if (!node->IsSequence()) return WrongType(*node, PathOf(key), "a list of strings");
  for (size_t i = 0; i < node->items.size(); ++i) {
    ECSYNC_ASSIGN_OR_RETURN(std::string item, ScalarString(node->items[i], Index(PathOf(key), i)));
    out->push_back(std::move(item));
  }
  return base::Status::Ok();
}

base::Status Reader::StringMap(const char* key, std::map<std::string, std::string>* out) const {
  const YamlNode* node = Get(key);
  if (node == nullptr) return base::Status::Ok();
  if (node->IsSequence()) {
    for (size_t i = 0; i < node->items.size(); ++i) {
      ECSYNC_ASSIGN_OR_RETURN(std::string item,
                              ScalarString(node->items[i], Index(PathOf(key), i)));
      const size_t equals = item.find('=');
      (*out)[item.substr(0, equals)] = equals == std::string::npos ? "" : item.substr(equals + 1);
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

Json XExtensions(const YamlNode& node) {
  Json out;
  if (!node.IsMapping()) return out;
  for (const YamlEntry& entry : node.entries) {
    if (entry.key.rfind("x-", 0) == 0) out[entry.key] = YamlToJson(entry.value);
  }
  return out;
}

}  // namespace ecsync::compose::internal
