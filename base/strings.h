#pragma once

// ASCII-only string helpers. They never consult the locale, so they treat UTF-8 and other
// bytes above 0x7f as ordinary characters and give the same answer on every machine.

#include <string>
#include <string_view>
#include <vector>

namespace ecsync::base {

// The characters std::isspace accepts in the "C" locale.
inline constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";

char AsciiLower(char c);
char AsciiUpper(char c);
std::string AsciiLower(std::string_view text);
std::string AsciiUpper(std::string_view text);

// True when `a` and `b` differ at most in the case of ASCII letters.
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);

// `text` without leading and trailing characters from `blanks`. The view points into `text`.
std::string_view TrimAscii(std::string_view text, std::string_view blanks = kAsciiWhitespace);

// The pieces of `text` between `separator`s, empty ones included: "a//b" gives {"a", "", "b"}
// and "" gives {""}.
std::vector<std::string> Split(std::string_view text, char separator);

// The items of `items` (anything iterable whose elements append to a std::string) with
// `separator` between them.
template <typename Range>
std::string Join(const Range& items, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += separator;
    out += item;
    first = false;
  }
  return out;
}

}  // namespace ecsync::base
