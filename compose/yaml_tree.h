#pragma once

// A YAML document as a plain tree that owns its values and remembers where each came from.
// This is the only place the compose loader touches yaml-cpp: aliases are expanded, merge
// keys (`<<`) are applied, and every parser exception becomes a Status.

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::compose {

struct YamlEntry;

inline constexpr size_t kMaxYamlBytes = size_t{16} * 1024 * 1024;
inline constexpr size_t kMaxYamlNodes = 250'000;
inline constexpr int kMaxYamlDepth = 100;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMapping };

  Kind kind = Kind::kNull;
  // The scalar's text as written (quotes removed); empty for other kinds.
  std::string scalar;
  // True when the scalar was quoted or tagged, so it is a string even if it looks like a number.
  bool quoted = false;
  // A local tag as written ("!reset", "!override"); empty when there is none.
  std::string tag;
  // True when interpolation changed the scalar; its type is then read from the result.
  bool interpolated = false;
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMapping, in document order, keys unique
  SourceLocation location;

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }
  // The value of `key` in a mapping, or nullptr (also when this is not a mapping).
  const YamlNode* Find(const std::string& key) const;
  YamlNode* Find(const std::string& key);
};

struct YamlEntry {
  std::string key;
  SourceLocation key_location;
  YamlNode value;
};

// Parses the first document of `content`; `file` goes into every SourceLocation.
// Merge keys take a mapping or a sequence of mappings; keys written in the mapping itself win,
// then earlier merged mappings win over later ones. Non-scalar keys and duplicate keys are
// errors. An empty document is a kNull node. Errors are kInvalid and start with
// "file:line:column: ". Limits, each a clear error: kMaxYamlBytes of input, kMaxYamlNodes
// values after alias expansion (no billion laughs), kMaxYamlDepth levels of nesting.
base::Result<YamlNode> ParseYaml(const std::string& content, const std::string& file);

// Every document of `content` (`---`-separated) in order, each parsed as ParseYaml parses the
// first; the limits count over the whole stream. An empty stream is one kNull document.
base::Result<std::vector<YamlNode>> ParseYamlDocuments(const std::string& content,
                                                       const std::string& file);

// "file:line:column: path: what" as a kInvalid Status; `path` may be empty.
base::Status ErrorAt(const SourceLocation& location, const std::string& path,
                     const std::string& what);

// A YAML-ish short description of the node's kind for messages: "a string", "a list", ...
const char* KindName(const YamlNode& node);

}  // namespace ecsync::compose
