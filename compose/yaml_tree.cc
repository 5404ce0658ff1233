#include "compose/yaml_tree.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <string_view>

namespace ecsync::compose {

namespace {

class TreeBuilder {
 public:
  explicit TreeBuilder(std::string file) : file_(std::move(file)) {}

  base::Status Build(const YAML::Node& node, const SourceLocation& fallback, int depth,
                     YamlNode* out) {
    out->location = LocationOf(node, fallback);
    if (++node_count_ > kMaxYamlNodes) {
      return ErrorAt(out->location, "",
                     "the document expands to more than " + std::to_string(kMaxYamlNodes) +
                         " values (aliases repeated too often?); simplify the anchors");
    }
    if (depth > kMaxYamlDepth) {
      return ErrorAt(out->location, "",
                     "the document nests deeper than " + std::to_string(kMaxYamlDepth) +
                         " levels; flatten it");
    }
    if (const std::string& tag = node.Tag(); !tag.empty() && tag[0] == '!' && tag.size() > 1) {
      out->tag = tag;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        // An empty value's mark points at the next token; the key's position reads better.
        out->location = fallback;
        out->kind = YamlNode::Kind::kNull;
        return base::Status::Ok();
      case YAML::NodeType::Scalar:
        out->kind = YamlNode::Kind::kScalar;
        out->scalar = node.Scalar();
        out->quoted = node.Tag() != "?";
        return base::Status::Ok();
      case YAML::NodeType::Sequence:
        out->kind = YamlNode::Kind::kSequence;
        out->items.reserve(node.size());
        for (const YAML::Node& item : node) {
          out->items.emplace_back();
          ECSYNC_RETURN_IF_ERROR(Build(item, out->location, depth + 1, &out->items.back()));
        }
        return base::Status::Ok();
      case YAML::NodeType::Map:
        out->kind = YamlNode::Kind::kMapping;
        return BuildMapping(node, depth, out);
    }
    return ErrorAt(out->location, "", "unexpected YAML node");
  }

 private:
  SourceLocation LocationOf(const YAML::Node& node, const SourceLocation& fallback) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.line < 0) return fallback;
    return SourceLocation{file_, mark.line + 1, mark.column + 1};
  }

  static bool IsMergeKey(const YAML::Node& key) {
    return key.IsScalar() && key.Scalar() == "<<" &&
           (key.Tag() == "?" || key.Tag() == "tag:yaml.org,2002:merge");
  }

  base::Status BuildMapping(const YAML::Node& node, int depth, YamlNode* out) {
    std::vector<const YAML::Node*> merges;
    std::vector<YAML::Node> keys;
    std::vector<YAML::Node> values;
    for (auto it = node.begin(); it != node.end(); ++it) {
      keys.push_back(it->first);
      values.push_back(it->second);
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < keys.size(); ++i) {
      const YAML::Node& key = keys[i];
      const SourceLocation key_location = LocationOf(key, out->location);
      if (IsMergeKey(key)) {
        merges.push_back(&values[i]);
        continue;
      }
      if (!key.IsScalar()) {
        return ErrorAt(key_location, "", "mapping keys must be strings");
      }
      if (!seen.insert(key.Scalar()).second) {
        return ErrorAt(key_location, "",
                       "duplicate key \"" + key.Scalar() + "\"; remove one of them");
      }
      YamlEntry entry;
      entry.key = key.Scalar();
      entry.key_location = key_location;
      ECSYNC_RETURN_IF_ERROR(Build(values[i], key_location, depth + 1, &entry.value));
      out->entries.push_back(std::move(entry));
    }
    for (const YAML::Node* merge : merges) {
      YamlNode source;
      ECSYNC_RETURN_IF_ERROR(Build(*merge, out->location, depth + 1, &source));
      std::vector<YamlNode*> maps;
      if (source.IsMapping()) {
        maps.push_back(&source);
      } else if (source.IsSequence()) {
        for (YamlNode& item : source.items) {
          if (!item.IsMapping()) {
            return ErrorAt(item.location, "",
                           "a merge key (<<) list may only hold mappings, found " +
                               std::string(KindName(item)));
          }
          maps.push_back(&item);
        }
      } else {
        return ErrorAt(source.location, "",
                       "a merge key (<<) needs a mapping or a list of mappings, found " +
                           std::string(KindName(source)));
      }
      for (YamlNode* map : maps) {
        for (YamlEntry& entry : map->entries) {
          if (seen.insert(entry.key).second) out->entries.push_back(std::move(entry));
        }
      }
    }
    return base::Status::Ok();
  }

  std::string file_;
  size_t node_count_ = 0;
};

// True for a line that holds no YAML content: blank, a comment, or a directive (%YAML).
bool IsEmptyLine(std::string_view line) {
  size_t i = line.find_first_not_of(" \t\r");
  return i == std::string_view::npos || line[i] == '#' || (i == 0 && line[0] == '%');
}

// True when `line` starts with `marker` ("---" or "...") followed by nothing or a space.
bool IsMarker(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  return line.size() == marker.size() || line[marker.size()] == ' ' ||
         line[marker.size()] == '\t' || line[marker.size()] == '\r';
}

// The documents of a YAML stream, each as a copy of `content` in which every line outside the
// document is blank, so that line numbers stay those of the file. Documents are delimited by
// "---" and "..." lines at column 0, which YAML recognizes nowhere else. (yaml-cpp's own
// LoadAll loops forever on some malformed streams, e.g. ",:", which the fuzzer found.)
std::vector<std::string> SplitDocuments(const std::string& content) {
  std::vector<std::pair<size_t, size_t>> ranges;  // byte ranges of whole lines
  size_t start = 0;
  bool has_content = false;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    end = end == std::string::npos ? content.size() : end + 1;
    std::string_view line(content.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (IsMarker(line, "---")) {
      if (has_content) {
        ranges.emplace_back(start, pos);
        start = pos;
      }
      // The marker line may carry the document's content ("--- value").
      has_content = true;
    } else if (IsMarker(line, "...")) {
      if (has_content) {
        ranges.emplace_back(start, end);
        start = end;
        has_content = false;
      }
    } else if (!IsEmptyLine(line)) {
      has_content = true;
    }
    pos = end;
  }
  if (has_content || ranges.empty()) ranges.emplace_back(start, content.size());
  std::vector<std::string> documents;
  for (const auto& [from, to] : ranges) {
    const std::string_view before = std::string_view(content).substr(0, from);
    std::string document(std::count(before.begin(), before.end(), '\n'), '\n');
    document.append(content, from, to - from);
    documents.push_back(std::move(document));
  }
  return documents;
}

base::Result<std::vector<YamlNode>> ParseDocuments(const std::string& content,
                                                   const std::string& file, bool all) {
  const SourceLocation start{file, 1, 1};
  if (content.size() > kMaxYamlBytes) {
    return ErrorAt(start, "",
                   "the file is larger than " +
                       std::to_string(kMaxYamlBytes / (size_t{1024} * 1024)) + " MiB; split it");
  }
  try {
    std::vector<YAML::Node> roots;
    if (all) {
      for (const std::string& document : SplitDocuments(content)) {
        roots.push_back(YAML::Load(document));
      }
    } else {
      roots.push_back(YAML::Load(content));
    }
    if (roots.empty()) roots.emplace_back();  // an empty stream is one empty document
    std::vector<YamlNode> documents(roots.size());
    TreeBuilder builder(file);  // one builder: the limits count over the whole stream
    for (size_t i = 0; i < roots.size(); ++i) {
      ECSYNC_RETURN_IF_ERROR(builder.Build(roots[i], start, 0, &documents[i]));
    }
    return documents;
  } catch (const YAML::Exception& e) {
    SourceLocation location = start;
    if (!e.mark.is_null() && e.mark.line >= 0) {
      location.line = e.mark.line + 1;
      location.column = e.mark.column + 1;
    }
    return ErrorAt(location, "", "invalid YAML: " + e.msg);
  }
}

}  // namespace

const YamlNode* YamlNode::Find(const std::string& key) const {
  for (const YamlEntry& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

YamlNode* YamlNode::Find(const std::string& key) {
  return const_cast<YamlNode*>(static_cast<const YamlNode*>(this)->Find(key));
}

base::Result<YamlNode> ParseYaml(const std::string& content, const std::string& file) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<YamlNode> documents, ParseDocuments(content, file, false));
  return std::move(documents.front());
}

base::Result<std::vector<YamlNode>> ParseYamlDocuments(const std::string& content,
                                                       const std::string& file) {
  return ParseDocuments(content, file, true);
}

base::Status ErrorAt(const SourceLocation& location, const std::string& path,
                     const std::string& what) {
  std::string message = location.ToString() + ": ";
  if (!path.empty()) message += path + ": ";
  message += what;
  return base::InvalidError(std::move(message));
}

const char* KindName(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "null";
    case YamlNode::Kind::kScalar:
      return "a scalar";
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMapping:
      return "a mapping";
  }
  return "a value";
}

}  // namespace ecsync::compose
