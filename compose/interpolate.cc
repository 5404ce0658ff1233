#include "compose/interpolate.h"

#include <optional>
#include <string_view>

#include "compose/typed_reader.h"

namespace ecsync::compose {

namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Length of the variable name at the start of `text`, 0 when there is none.
size_t NameLength(std::string_view text) {
  if (text.empty() || !IsNameStart(text[0])) return 0;
  size_t n = 1;
  while (n < text.size() && IsNameChar(text[n])) ++n;
  return n;
}

// Position of the "}" closing a "${" whose body starts at `begin`, or npos.
size_t FindClosingBrace(std::string_view text, size_t begin) {
  int depth = 1;
  for (size_t i = begin; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size()) {
      if (text[i + 1] == '{') {
        ++depth;
        ++i;
      } else if (text[i + 1] == '$') {
        ++i;
      }
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

class Interpolator {
 public:
  explicit Interpolator(const std::map<std::string, std::string>& environment)
      : environment_(environment) {}

  base::Result<std::string> Run(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
      const size_t dollar = text.find('$', i);
      if (dollar == std::string_view::npos) {
        out.append(text.substr(i));
        break;
      }
      out.append(text.substr(i, dollar - i));
      const std::string_view rest = text.substr(dollar + 1);
      if (!rest.empty() && rest[0] == '$') {
        out += '$';
        i = dollar + 2;
      } else if (!rest.empty() && rest[0] == '{') {
        const size_t close = FindClosingBrace(text, dollar + 2);
        if (close == std::string_view::npos) {
          return base::InvalidError("unterminated \"${\" in \"" + std::string(text) +
                                    "\"; close it with \"}\" or write \"$$\" for a literal $");
        }
        ECSYNC_ASSIGN_OR_RETURN(std::string value,
                                Braced(text.substr(dollar + 2, close - dollar - 2)));
        out += value;
        i = close + 1;
      } else if (const size_t n = NameLength(rest); n > 0) {
        out += Lookup(rest.substr(0, n)).value_or("");
        i = dollar + 1 + n;
      } else {
        out += '$';
        i = dollar + 1;
      }
    }
    return out;
  }

 private:
  std::optional<std::string> Lookup(std::string_view name) const {
    auto it = environment_.find(std::string(name));
    if (it == environment_.end()) return std::nullopt;
    return it->second;
  }

  // `body` is what stands between "${" and the matching "}".
  base::Result<std::string> Braced(std::string_view body) {
    const size_t n = NameLength(body);
    const std::string name(body.substr(0, n));
    std::string_view op = body.substr(n);
    if (n == 0 ||
        !(op.empty() || op[0] == '-' || op[0] == '?' || op[0] == '+' ||
          (op.size() >= 2 && op[0] == ':' && (op[1] == '-' || op[1] == '?' || op[1] == '+')))) {
      return base::InvalidError(
          "invalid interpolation \"${" + std::string(body) +
          "}\"; use ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, "
          "${VAR:+alt} or ${VAR+alt}, or write \"$$\" for a literal $");
    }
    const std::optional<std::string> value = Lookup(name);
    if (op.empty()) return value.value_or("");

    const bool colon = op[0] == ':';
    if (colon) op.remove_prefix(1);
    const char kind = op[0];
    const std::string_view word = op.substr(1);
    // With ":" an empty value counts as missing.
    const bool missing = !value.has_value() || (colon && value->empty());
    switch (kind) {
      case '-':
        return missing ? Run(word) : base::Result<std::string>(*value);
      case '+':
        return missing ? base::Result<std::string>(std::string()) : Run(word);
      case '?': {
        if (!missing) return *value;
        ECSYNC_ASSIGN_OR_RETURN(std::string error, Run(word));
        std::string message = "required variable " + name + " is missing a value";
        if (!error.empty()) message += ": " + error;
        return base::InvalidError(message + "; set " + name + " in the environment");
      }
    }
    return base::InternalError("unreachable interpolation operator");
  }

  const std::map<std::string, std::string>& environment_;
};

}  // namespace

base::Result<std::string> Interpolate(const std::string& text,
                                      const std::map<std::string, std::string>& environment) {
  if (text.find('$') == std::string::npos) return text;
  return Interpolator(environment).Run(text);
}

base::Status InterpolateTree(const std::map<std::string, std::string>& environment,
                             const std::string& path, YamlNode* node) {
  switch (node->kind) {
    case YamlNode::Kind::kNull:
      return base::Status::Ok();
    case YamlNode::Kind::kScalar: {
      if (node->scalar.find('$') == std::string::npos) return base::Status::Ok();
      ECSYNC_ASSIGN_OR_RETURN(std::string value,
                              internal::At(Interpolate(node->scalar, environment), *node, path));
      if (value != node->scalar) {
        node->scalar = std::move(value);
        node->interpolated = true;
      }
      return base::Status::Ok();
    }
    case YamlNode::Kind::kSequence:
      for (size_t i = 0; i < node->items.size(); ++i) {
        ECSYNC_RETURN_IF_ERROR(
            InterpolateTree(environment, internal::Index(path, i), &node->items[i]));
      }
      return base::Status::Ok();
    case YamlNode::Kind::kMapping:
      for (YamlEntry& entry : node->entries) {
        ECSYNC_RETURN_IF_ERROR(
            InterpolateTree(environment, internal::Child(path, entry.key), &entry.value));
      }
      return base::Status::Ok();
  }
  return base::Status::Ok();
}

}  // namespace ecsync::compose
