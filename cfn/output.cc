// Serializations of a template; declared in cfn/convert.h.

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "cfn/convert.h"

#include "base/strings.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;

// True when a plain (unquoted) scalar `s` could be read back as something other than a
// string by a YAML 1.1 or 1.2 reader: a number, boolean, null, timestamp, or merge key.
// Errs towards quoting: anything starting with a digit, sign or dot is quoted.
bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  const char first = s.front();
  if ((first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.' ||
      first == '~' || first == '<' || first == '=') {
    return true;
  }
  if (s.size() > 5) return false;
  const std::string lower = base::AsciiLower(s);
  static constexpr std::array<std::string_view, 9> kWords = {"y",     "yes", "n",   "no",  "true",
                                                             "false", "on",  "off", "null"};
  return std::find(kWords.begin(), kWords.end(), lower) != kWords.end();
}

void EmitString(YAML::Emitter& out, const std::string& s) {
  if (NeedsQuotes(s)) out << YAML::DoubleQuoted;
  out << s;
}

void Emit(YAML::Emitter& out, const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::object:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        EmitString(out, key);
        out << YAML::Value;
        Emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case ordered_json::value_t::array:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const ordered_json& item : value) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case ordered_json::value_t::string:
      EmitString(out, value.get_ref<const std::string&>());
      break;
    case ordered_json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      break;
    case ordered_json::value_t::number_integer:
      out << value.get<int64_t>();
      break;
    case ordered_json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      break;
    case ordered_json::value_t::number_float:
      // nlohmann's shortest round-trip form; always a valid plain YAML float.
      out << value.dump();
      break;
    case ordered_json::value_t::null:
    case ordered_json::value_t::discarded:
    case ordered_json::value_t::binary:
      out << YAML::Null;
      break;
  }
}

}  // namespace

std::string ToJson(const ordered_json& tmpl) {
  return tmpl.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string ToYaml(const ordered_json& tmpl) {
  YAML::Emitter out;
  Emit(out, tmpl);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text.push_back('\n');
  return text;
}

}  // namespace ecsync::cfn
