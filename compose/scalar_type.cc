#include "compose/scalar_type.h"

#include <cctype>

namespace ecsync::compose {

namespace {

bool IsInteger(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
    const bool hex = s[i + 1] == 'x';
    for (size_t j = i + 2; j < s.size(); ++j) {
      const char c = s[j];
      const bool ok =
          hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
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
  static const char* const kSpecial[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF",
                                         "-.inf", "-.Inf", "-.INF", ".nan",  ".NaN",  ".NAN"};
  for (const char* special : kSpecial) {
    if (s == special) return true;
  }
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    ++i;
    digits = true;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool exponent = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
      exponent = true;
    }
    if (!exponent) return false;
  }
  return i == s.size();
}

}  // namespace

ScalarType ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return ScalarType::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return ScalarType::kBoolean;
  }
  if (IsInteger(s)) return ScalarType::kInteger;
  if (IsFloat(s)) return ScalarType::kNumber;
  return ScalarType::kString;
}

ScalarType ResolveScalar(const YamlNode& node) {
  if (node.quoted) return ScalarType::kString;
  return ResolvePlainScalar(node.scalar);
}

}  // namespace ecsync::compose
