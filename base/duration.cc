#include "base/duration.h"

#include <cctype>
#include <cstdlib>

namespace ecsync::base {

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto bad = [&text](const std::string& why) {
    return InvalidError("invalid duration '" + text + "': " + why +
                        " (examples: 30s, 1m30s, 500ms, 2h)");
  };
  if (text.empty()) return bad("empty");
  size_t i = 0;
  double total_ms = 0;
  bool bare_number = true;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) return bad("expected a number at position " + std::to_string(start + 1));
    double value = std::strtod(text.substr(start, i - start).c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit.empty()) {
      if (i != text.size() || !bare_number) return bad("missing unit");
      scale = 1000;
    } else if (unit == "us") {
      scale = 0.001;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      return bad("unknown unit '" + unit + "'");
    }
    bare_number = false;
    total_ms += value * scale;
  }
  // Converting a double beyond int64's range is undefined; a century is plenty for any
  // interval or timeout, and "1e400" style text never gets here (no exponents accepted).
  constexpr double kMaxMs = 100.0 * 365 * 24 * 3'600'000;
  if (!(total_ms <= kMaxMs)) return bad("longer than 100 years");
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms + 0.5));
}

}  // namespace ecsync::base
