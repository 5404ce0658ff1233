#include "compose/short_syntax.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include "base/strings.h"

namespace ecsync::compose {

namespace {

// The blanks a short-syntax value may carry around it and between its parts.
constexpr std::string_view kBlanks = " \t\n\r";

bool IsSpecBlank(char c) { return kBlanks.find(c) != std::string_view::npos; }

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct PortRange {
  uint32_t first = 0;
  uint32_t last = 0;
  uint32_t size() const { return last - first + 1; }
};

std::optional<PortRange> ParseRange(std::string_view text) {
  const size_t dash = text.find('-');
  const auto valid = [](std::optional<uint64_t> v) { return v && *v >= 1 && *v <= 65535; };
  if (dash == std::string_view::npos) {
    const auto port = ParseDecimal(text);
    if (!valid(port)) return std::nullopt;
    return PortRange{static_cast<uint32_t>(*port), static_cast<uint32_t>(*port)};
  }
  const auto first = ParseDecimal(text.substr(0, dash));
  const auto last = ParseDecimal(text.substr(dash + 1));
  if (!valid(first) || !valid(last) || *first > *last) return std::nullopt;
  return PortRange{static_cast<uint32_t>(*first), static_cast<uint32_t>(*last)};
}

}  // namespace

base::Result<std::vector<std::string>> SplitShellWords(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started, even if it is still empty ("")
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsSpecBlank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == std::string::npos) {
        return base::InvalidError("unterminated single quote in \"" + text +
                                  "\"; close the quote or write the command as a list");
      }
      word.append(text, i + 1, close - i - 1);
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      in_word = true;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size()) {
          const char next = text[i + 1];
          if (next == '$' || next == '`' || next == '"' || next == '\\') {
            word += next;
            i += 2;
            continue;
          }
          if (next == '\n') {
            i += 2;
            continue;
          }
        }
        word += d;
        ++i;
      }
      if (!closed) {
        return base::InvalidError("unterminated double quote in \"" + text +
                                  "\"; close the quote or write the command as a list");
      }
    } else if (c == '\\' && i + 1 < text.size()) {
      if (text[i + 1] != '\n') word += text[i + 1];
      in_word = true;
      i += 2;
    } else {
      word += c;
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

base::Result<std::vector<PortMapping>> ParsePortSpec(const std::string& text) {
  const auto invalid = [&text](const std::string& why) {
    std::string message = "invalid port \"" + text + "\"";
    if (!why.empty()) message += " (" + why + ")";
    return base::InvalidError(message + "; use [HOST:]CONTAINER[/PROTOCOL]");
  };
  std::string_view spec = base::TrimAscii(text, kBlanks);
  std::string protocol = "tcp";
  if (const size_t slash = spec.rfind('/'); slash != std::string_view::npos) {
    protocol = base::AsciiLower(spec.substr(slash + 1));
    spec = spec.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp") {
      return invalid("protocol must be tcp or udp");
    }
  }

  std::string host_ip;
  std::string_view host_port;
  std::string_view container_port;
  if (!spec.empty() && spec[0] == '[') {
    const size_t close = spec.find(']');
    if (close == std::string_view::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      return invalid("an IPv6 address is written [ADDRESS]:HOST:CONTAINER");
    }
    host_ip = std::string(spec.substr(1, close - 1));
    const std::string_view rest = spec.substr(close + 2);
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return invalid("");
    host_port = rest.substr(0, colon);
    container_port = rest.substr(colon + 1);
  } else {
    const size_t last = spec.rfind(':');
    if (last == std::string_view::npos) {
      container_port = spec;
    } else {
      container_port = spec.substr(last + 1);
      const std::string_view front = spec.substr(0, last);
      const size_t second = front.rfind(':');
      if (second == std::string_view::npos) {
        // ":8000" (what "${HTTP_PORT}:8000" becomes with the variable unset) has no host
        // port, as in Docker's own parser: the container port alone.
        host_port = front;
      } else {
        host_port = front.substr(second + 1);
        host_ip = std::string(front.substr(0, second));
        if (host_ip.empty()) return invalid("");
      }
    }
  }

  const std::optional<PortRange> container = ParseRange(container_port);
  if (!container) return invalid("");
  std::optional<PortRange> host;
  if (!host_port.empty()) {
    host = ParseRange(host_port);
    if (!host) return invalid("");
    if (host->size() != container->size()) {
      return invalid("the host and container port ranges differ in length");
    }
  }
  std::vector<PortMapping> mappings;
  mappings.reserve(container->size());
  for (uint32_t offset = 0; offset < container->size(); ++offset) {
    PortMapping mapping;
    mapping.host_ip = host_ip;
    mapping.target = container->first + offset;
    if (host) mapping.published = host->first + offset;
    mapping.protocol = protocol;
    mappings.push_back(std::move(mapping));
  }
  return mappings;
}

base::Result<uint32_t> ParsePortNumber(const std::string& text) {
  const auto value = ParseDecimal(base::TrimAscii(text, kBlanks));
  if (!value || *value < 1 || *value > 65535) {
    return base::InvalidError("invalid port number \"" + text + "\"; use a number from 1 to 65535");
  }
  return static_cast<uint32_t>(*value);
}

base::Result<int64_t> ParseBytes(const std::string& text) {
  const auto invalid = [&text]() {
    return base::InvalidError("invalid byte size \"" + text +
                              "\"; use a number with an optional unit b, k, m or g, e.g. 512m");
  };
  const std::string_view spec = base::TrimAscii(text, kBlanks);
  size_t i = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) ++i;
  const size_t integer_digits = i;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    const size_t fraction_start = i;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) ++i;
    if (i == fraction_start) return invalid();
  }
  if (integer_digits == 0) return invalid();
  const std::string number(spec.substr(0, i));
  std::string unit = base::AsciiLower(base::TrimAscii(spec.substr(i)));

  long double multiplier = 1;
  if (!unit.empty()) {
    static constexpr std::string_view kPrefixes = "kmgtp";
    const size_t power = kPrefixes.find(unit[0]);
    if (power != std::string_view::npos) {
      for (size_t p = 0; p <= power; ++p) multiplier *= 1024;
      unit.erase(0, 1);
      if (!unit.empty() && unit[0] == 'i') unit.erase(0, 1);
    }
    if (unit == "b") unit.clear();
    if (!unit.empty()) return invalid();
  }
  const long double value = std::strtold(number.c_str(), nullptr) * multiplier;
  if (!std::isfinite(value) ||
      value >= static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return base::InvalidError("byte size \"" + text + "\" is too large");
  }
  return static_cast<int64_t>(std::floor(value));
}

base::Result<double> ParseCpus(const std::string& text) {
  const std::string_view spec = base::TrimAscii(text, kBlanks);
  double value = 0;
  auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), value);
  if (spec.empty() || ec != std::errc() || end != spec.data() + spec.size() ||
      !std::isfinite(value) || value < 0) {
    return base::InvalidError("invalid cpus \"" + text +
                              "\"; use a non-negative number such as 0.5 or 2");
  }
  return value;
}

base::Result<int> ParseNonNegativeInt(const std::string& text) {
  const auto value = ParseDecimal(base::TrimAscii(text, kBlanks));
  if (!value || *value > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    return base::InvalidError("invalid number \"" + text + "\"; use a whole number such as 2");
  }
  return static_cast<int>(*value);
}

}  // namespace ecsync::compose

namespace ecsync::compose {

base::Result<uint32_t> ParseFileMode(const std::string& text) {
  std::string_view digits = text;
  int base = 10;
  if (digits.rfind("0o", 0) == 0 || digits.rfind("0O", 0) == 0) {
    digits.remove_prefix(2);
    base = 8;
  } else if (digits.size() > 1 && digits[0] == '0') {
    digits.remove_prefix(1);
    base = 8;
  }
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value > 07777) {
    return base::InvalidError("invalid file mode \"" + text + "\"; use octal such as 0440");
  }
  return value;
}

base::Result<int64_t> ParseInt64(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return base::InvalidError("invalid whole number \"" + text + "\"");
  }
  return value;
}

}  // namespace ecsync::compose
