#include "base/duration.h"

#include <cstdint>
#include <string>

namespace ecsync::base {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds in each unit; "µs" is U+00B5 (micro sign), "μs" U+03BC (Greek mu), as in Go.
uint64_t UnitScale(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

// 100 years of 365 days; also keeps every result, in nanoseconds, far inside int64.
constexpr uint64_t kMaxNanoseconds = 100ULL * 365 * 24 * 3'600'000'000'000;

}  // namespace

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  const auto bad = [&text](const std::string& why) {
    return InvalidError("invalid duration '" + std::string(text) + "': " + why +
                        " (examples: 30s, 1m30s, 500ms, 2h)");
  };
  const auto too_long = [&bad]() { return bad("longer than 100 years"); };
  if (text.empty()) return bad("empty");
  uint64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    // The whole part; anything past the cap is too long however it continues.
    uint64_t whole = 0;
    bool overflow = false;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (whole > kMaxNanoseconds / 10) overflow = true;
      if (!overflow) whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    bool digits = i > start;
    // The fraction, as fraction / scale; digits beyond 18 cannot change whole nanoseconds.
    uint64_t fraction = 0;
    uint64_t scale = 1;
    if (i < text.size() && text[i] == '.') {
      const size_t fraction_start = ++i;
      for (; i < text.size() && IsDigit(text[i]); ++i) {
        if (scale < 1'000'000'000'000'000'000ULL) {
          fraction = fraction * 10 + static_cast<uint64_t>(text[i] - '0');
          scale *= 10;
        }
      }
      digits = digits || i > fraction_start;
    }
    if (!digits) return bad("expected a number at position " + std::to_string(start + 1));
    const size_t unit_start = i;
    while (i < text.size() && !IsDigit(text[i]) && text[i] != '.') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    uint64_t unit_scale = UnitScale(unit);
    if (unit.empty()) {
      if (start != 0 || i != text.size()) return bad("missing unit");
      unit_scale = UnitScale("s");
    } else if (unit_scale == 0) {
      return bad("unknown unit '" + std::string(unit) + "'");
    }
    if (overflow || whole > kMaxNanoseconds / unit_scale) return too_long();
    uint64_t value = whole * unit_scale;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<long double>(fraction) *
                                     (static_cast<long double>(unit_scale) / scale));
    }
    total += value;
    if (total > kMaxNanoseconds) return too_long();
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

Result<std::chrono::milliseconds> ParseDurationMillis(std::string_view text) {
  ECSYNC_ASSIGN_OR_RETURN(const std::chrono::nanoseconds duration, ParseDuration(text));
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration +
                                                               std::chrono::microseconds(500));
}

}  // namespace ecsync::base
