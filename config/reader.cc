#include "config/reader.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "base/duration.h"
#include "base/strings.h"
#include "compose/schema.h"
#include "compose/short_syntax.h"

namespace ecsync::config {

namespace {

using compose::ScalarType;
using compose::YamlNode;

// Text longer than 40 characters or with a run of more than nine digits is refused with its
// own message ("too long a duration") before it is parsed.
bool DurationTooLong(const std::string& text) {
  if (text.size() > 40) return true;
  size_t digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (++digits > 9) return true;
    } else if (c != '.') {
      digits = 0;
    }
  }
  return false;
}

}  // namespace

base::Status ConfigError(const compose::SourceLocation& at, const std::string& key_path,
                         const std::string& what) {
  std::string message = at.file;
  if (at.line > 0) message += ":" + std::to_string(at.line);
  message += ": ";
  if (!key_path.empty()) message += key_path + ": ";
  return base::InvalidError(message + what);
}

std::string JoinKey(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string IndexedKey(const std::string& key, size_t index) {
  return key + "[" + std::to_string(index) + "]";
}

std::string DescribeValue(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "nothing";
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMapping:
      return "a mapping";
    case YamlNode::Kind::kScalar:
      break;
  }
  switch (compose::ResolveScalar(node)) {
    case ScalarType::kBoolean:
      return "a boolean";
    case ScalarType::kInteger:
    case ScalarType::kNumber:
      return "a number";
    case ScalarType::kNull:
      return "nothing";
    case ScalarType::kString:
      break;
  }
  return "a string";
}

base::Result<ConfigMapping> ConfigMapping::Open(const YamlNode& node, std::string path,
                                                KeyList known) {
  if (node.IsNull()) return ConfigMapping(nullptr, std::move(path), node.location);
  if (!node.IsMapping()) {
    return ConfigError(node.location, path,
                       "must be a mapping of settings, found " + DescribeValue(node) +
                           "; the keys here are: " + base::Join(known, ", "));
  }
  for (const compose::YamlEntry& entry : node.entries) {
    if (entry.key.starts_with("x-")) continue;
    bool found = false;
    for (std::string_view key : known) found = found || key == entry.key;
    if (found) continue;
    std::string what = "unknown key";
    const std::string close =
        compose::ClosestMatch(entry.key, std::vector<std::string>(known.begin(), known.end()));
    if (!close.empty()) {
      what += "; did you mean \"" + close + "\"?";
    } else {
      what += "; remove it (the keys here are: " + base::Join(known, ", ") + ")";
    }
    return ConfigError(entry.key_location, JoinKey(path, entry.key), what);
  }
  return ConfigMapping(&node, std::move(path), node.location);
}

base::Result<ConfigMapping> ConfigMapping::Child(const std::string& key, KeyList known) const {
  if (const YamlNode* value = Find(key)) return Open(*value, KeyPath(key), known);
  return ConfigMapping(nullptr, KeyPath(key), location_);
}

const YamlNode* ConfigMapping::Find(const std::string& key) const {
  if (node_ == nullptr) return nullptr;
  const YamlNode* value = node_->Find(key);
  if (value == nullptr || value->IsNull()) return nullptr;
  if (value->IsScalar() && !value->quoted && compose::ResolveScalar(*value) == ScalarType::kNull) {
    return nullptr;
  }
  return value;
}

base::Status ConfigMapping::Error(const std::string& key, const std::string& what) const {
  const YamlNode* value = node_ == nullptr ? nullptr : node_->Find(key);
  return ConfigError(value != nullptr ? value->location : location_, KeyPath(key), what);
}

base::Result<std::string> ConfigMapping::Scalar(const std::string& key,
                                                const std::string& expected) const {
  const YamlNode* value = Find(key);
  if (!value->IsScalar()) {
    return Error(key, "must be " + expected + ", found " + DescribeValue(*value));
  }
  return value->scalar;
}

base::Status ConfigMapping::String(const std::string& key, std::string* out) const {
  if (!Has(key)) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(*out, Scalar(key, "a string"));
  return base::Status::Ok();
}

base::Status ConfigMapping::Bool(const std::string& key, bool* out) const {
  if (!Has(key)) return base::Status::Ok();
  const YamlNode* value = Find(key);
  if (!value->IsScalar() || compose::ResolveScalar(*value) != ScalarType::kBoolean) {
    return Error(key, "must be true or false, found " + DescribeValue(*value));
  }
  *out = value->scalar[0] == 't' || value->scalar[0] == 'T';
  return base::Status::Ok();
}

base::Status ConfigMapping::Int(const std::string& key, int min, int max, int* out) const {
  if (!Has(key)) return base::Status::Ok();
  const YamlNode* value = Find(key);
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!value->IsScalar() || compose::ResolveScalar(*value) != ScalarType::kInteger) {
    return Error(key, "must be a whole number (" + range + "), found " + DescribeValue(*value));
  }
  const base::Result<int64_t> number = compose::ParseInt64(value->scalar);
  if (!number.ok() || *number < min || *number > max) {
    return Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                          ", found " + value->scalar);
  }
  *out = static_cast<int>(*number);
  return base::Status::Ok();
}

base::Status ConfigMapping::Positive(const std::string& key, double* out) const {
  if (!Has(key)) return base::Status::Ok();
  const YamlNode* value = Find(key);
  const ScalarType type = value->IsScalar() ? compose::ResolveScalar(*value) : ScalarType::kString;
  if (!value->IsScalar() || (type != ScalarType::kInteger && type != ScalarType::kNumber)) {
    return Error(key, "must be a number greater than 0, found " + DescribeValue(*value));
  }
  char* end = nullptr;
  const double number = std::strtod(value->scalar.c_str(), &end);
  if (end == value->scalar.c_str() || *end != '\0' || !std::isfinite(number) || number <= 0) {
    return Error(key, "must be a number greater than 0, found " + value->scalar);
  }
  *out = number;
  return base::Status::Ok();
}

base::Status ConfigMapping::Duration(const std::string& key, bool allow_zero,
                                     std::chrono::milliseconds* out) const {
  if (!Has(key)) return base::Status::Ok();
  const std::string expected = "a duration such as 30s, 1m30s or 500ms";
  ECSYNC_ASSIGN_OR_RETURN(const std::string text, Scalar(key, expected));
  if (compose::ResolveScalar(*Find(key)) == ScalarType::kBoolean) {
    return Error(key, "must be " + expected + ", found a boolean");
  }
  if (!text.empty() && text[0] == '-') {
    return Error(key, "must not be negative; write " + expected);
  }
  if (DurationTooLong(text)) return Error(key, "\"" + text + "\" is too long a duration");
  const base::Result<std::chrono::milliseconds> duration = base::ParseDurationMillis(text);
  if (!duration.ok()) return Error(key, duration.status().message());
  if (!allow_zero && duration->count() == 0) {
    return Error(key, "must be longer than 0; write " + expected);
  }
  *out = *duration;
  return base::Status::Ok();
}

base::Status ConfigMapping::Duration(const std::string& key, bool allow_zero,
                                     std::optional<std::chrono::milliseconds>* out) const {
  if (!Has(key)) return base::Status::Ok();
  std::chrono::milliseconds duration{0};
  ECSYNC_RETURN_IF_ERROR(Duration(key, allow_zero, &duration));
  *out = duration;
  return base::Status::Ok();
}

base::Status ConfigMapping::Bytes(const std::string& key, size_t* out) const {
  if (!Has(key)) return base::Status::Ok();
  const std::string expected = "a byte count such as 1048576, 512KiB or 1MiB";
  ECSYNC_ASSIGN_OR_RETURN(const std::string text, Scalar(key, expected));
  const base::Result<int64_t> bytes = compose::ParseBytes(text);
  if (!bytes.ok()) return Error(key, "must be " + expected + ", found \"" + text + "\"");
  if (*bytes <= 0) return Error(key, "must be at least 1 byte");
  *out = static_cast<size_t>(*bytes);
  return base::Status::Ok();
}

base::Status ConfigMapping::StringList(const std::string& key, bool allow_single,
                                       std::vector<std::string>* out) const {
  if (!Has(key)) return base::Status::Ok();
  const YamlNode* value = Find(key);
  const std::string expected = allow_single ? "a string or a list of strings" : "a list of strings";
  if (value->IsScalar() && allow_single) {
    *out = {value->scalar};
    return base::Status::Ok();
  }
  if (!value->IsSequence()) {
    return Error(key, "must be " + expected + ", found " + DescribeValue(*value));
  }
  std::vector<std::string> items;
  for (size_t i = 0; i < value->items.size(); ++i) {
    const YamlNode& item = value->items[i];
    if (!item.IsScalar()) {
      return ConfigError(item.location, KeyPath(key) + "[" + std::to_string(i) + "]",
                         "must be a string, found " + DescribeValue(item));
    }
    items.push_back(item.scalar);
  }
  *out = std::move(items);
  return base::Status::Ok();
}

base::Status ConfigMapping::StringMap(const std::string& key,
                                      std::map<std::string, std::string>* out) const {
  if (!Has(key)) return base::Status::Ok();
  const YamlNode* value = Find(key);
  if (!value->IsMapping()) {
    return Error(key, "must be a mapping of names to values, found " + DescribeValue(*value));
  }
  std::map<std::string, std::string> entries;
  for (const compose::YamlEntry& entry : value->entries) {
    if (!entry.value.IsScalar()) {
      return ConfigError(entry.value.location, KeyPath(key) + "." + entry.key,
                         "must be a string, found " + DescribeValue(entry.value) +
                             "; write \"\" for an empty value");
    }
    entries[entry.key] = entry.value.scalar;
  }
  *out = std::move(entries);
  return base::Status::Ok();
}

}  // namespace ecsync::config
