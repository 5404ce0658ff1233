#pragma once

// Typed reads from one mapping of the controller's configuration file. Every failure is a
// kInvalid "<file>:<line>: <key path>: <what is wrong>; <what to do>". Used by config.cc.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "compose/yaml_tree.h"

namespace ecsync::config {

// "<file>:<line>: <key_path>: <what>" as kInvalid (the column is left out: config errors name
// a line and a key). `key_path` may be empty.
base::Status ConfigError(const compose::SourceLocation& at, const std::string& key_path,
                         const std::string& what);

// The keys a mapping may hold (usually a constexpr array).
using KeyList = std::span<const std::string_view>;

// "parent.key", or "key" when `parent` is empty.
std::string JoinKey(const std::string& parent, const std::string& key);
// "key[index]": item `index` of the list under `key`, as errors name it.
std::string IndexedKey(const std::string& key, size_t index);

// One mapping of the file (or an absent/null one, read as empty) with the keys it may hold.
// Borrows the parsed tree, which must outlive it. A key that is absent or written with a null
// value ("key:" or "key: null") counts as not given everywhere: the reads below then leave
// their output untouched, so callers set defaults first.
class ConfigMapping {
 public:
  // Fails when `node` is neither a mapping nor null, or holds a key outside `known`; keys
  // starting with "x-" are ignored (room for YAML anchors). A misspelt key gets a "did you
  // mean". `path` is the dotted key path of the mapping ("" at the top).
  static base::Result<ConfigMapping> Open(const compose::YamlNode& node, std::string path,
                                          KeyList known);

  // The mapping under `key` (absent or null: an empty one located here).
  base::Result<ConfigMapping> Child(const std::string& key, KeyList known) const;

  // The value of `key`, or nullptr when absent or null.
  const compose::YamlNode* Find(const std::string& key) const;
  bool Has(const std::string& key) const { return Find(key) != nullptr; }
  std::string KeyPath(const std::string& key) const { return JoinKey(path_, key); }
  const std::string& path() const { return path_; }
  const compose::SourceLocation& location() const { return location_; }
  // An error about `key`, at its value's line (this mapping's line when it is absent).
  base::Status Error(const std::string& key, const std::string& what) const;

  // Any scalar, as written (so `tag: 1.2` reads "1.2").
  base::Status String(const std::string& key, std::string* out) const;
  // true or false.
  base::Status Bool(const std::string& key, bool* out) const;
  // A whole number in [min, max].
  base::Status Int(const std::string& key, int min, int max, int* out) const;
  // A finite number > 0.
  base::Status Positive(const std::string& key, double* out) const;
  // A duration as base::ParseDurationMillis reads it; 0 only when `allow_zero`.
  base::Status Duration(const std::string& key, bool allow_zero,
                        std::chrono::milliseconds* out) const;
  base::Status Duration(const std::string& key, bool allow_zero,
                        std::optional<std::chrono::milliseconds>* out) const;
  // A byte count > 0: a whole number or a size with a unit ("1MiB", "512k").
  base::Status Bytes(const std::string& key, size_t* out) const;
  // A list of strings, or (when `allow_single`) one string read as a list of one.
  base::Status StringList(const std::string& key, bool allow_single,
                          std::vector<std::string>* out) const;
  // A mapping of names to scalars, read as written.
  base::Status StringMap(const std::string& key, std::map<std::string, std::string>* out) const;

 private:
  ConfigMapping(const compose::YamlNode* node, std::string path, compose::SourceLocation location)
      : node_(node), path_(std::move(path)), location_(std::move(location)) {}

  // The scalar text of `key`'s value; an error when it is not a scalar. `expected` names the
  // type for the message ("a string", "a duration").
  base::Result<std::string> Scalar(const std::string& key, const std::string& expected) const;

  const compose::YamlNode* node_;  // a mapping, or null for an empty one
  std::string path_;
  compose::SourceLocation location_;
};

// How a value looks, for "found ..." in messages: "a list", "a mapping", "a number", ...
std::string DescribeValue(const compose::YamlNode& node);

}  // namespace ecsync::config
