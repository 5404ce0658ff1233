#pragma once

// The typed reader the normalizer's parsers share: key paths for messages, type errors with
// their locations, and Reader, which reads one typed value of a mapping. For compose/ only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "compose/model.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose::internal {

using Json = nlohmann::ordered_json;

// "path[i]", the key path of a list item.
std::string Index(const std::string& path, size_t i);

// "path.key", or "key" at the root ("" path).
std::string Child(const std::string& path, const std::string& key);

// kInvalid at `node`: "must be <want>, found <its kind>".
base::Status WrongType(const YamlNode& node, const std::string& path, const std::string& want);

// Adds the location to an error from a parser that only knows the value.
template <typename T>
base::Result<T> At(base::Result<T> result, const YamlNode& node, const std::string& path) {
  if (result.ok()) return result;
  return ErrorAt(node.location, path, result.status().message());
}

// True when `node` exists and is not null.
bool Present(const YamlNode* node);

// A scalar's text, "" for null; kInvalid for a mapping or a list.
base::Result<std::string> ScalarString(const YamlNode& node, const std::string& path);

// Reads one typed value of the mapping `parent` at key `key`, when it is present (not
// missing and not null); otherwise leaves the output as it was. Errors are kInvalid with the
// value's location and key path. `parent` must outlive the reader.
class Reader {
 public:
  Reader(const YamlNode& parent, std::string path) : parent_(parent), path_(std::move(path)) {}

  // The value at `key`, or nullptr when it is missing or null.
  const YamlNode* Get(const char* key) const;
  std::string PathOf(const char* key) const { return Child(path_, key); }

  base::Status String(const char* key, std::string* out) const;
  base::Status Bool(const char* key, bool* out) const;
  // true/yes/on and false/no/off, any case.
  base::Status OptionalBool(const char* key, std::optional<bool>* out) const;
  base::Status Int(const char* key, std::optional<int>* out) const;
  base::Status Int64(const char* key, std::optional<int64_t>* out) const;
  base::Status Double(const char* key, std::optional<double>* out) const;
  base::Status Bytes(const char* key, std::optional<int64_t>* out) const;
  base::Status Duration(const char* key, std::optional<compose::Duration>* out) const;
  // A string or a list of strings.
  base::Status Strings(const char* key, std::vector<std::string>* out) const;
  // A mapping of strings (null values become ""), or a list of "KEY=VALUE".
  base::Status StringMap(const char* key, std::map<std::string, std::string>* out) const;

 private:
  const YamlNode& parent_;
  std::string path_;
};

// The x-* entries of a mapping as JSON (YamlToJson); empty for any other node.
Json XExtensions(const YamlNode& node);

}  // namespace ecsync::compose::internal
