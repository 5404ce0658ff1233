#include "aws/timestamp.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ecsync::aws {
namespace {

using std::chrono::system_clock;

std::tm UtcTm(system_clock::time_point t) {
  std::time_t secs = system_clock::to_time_t(t);
  // to_time_t truncates toward zero; keep floor semantics for pre-epoch times.
  if (system_clock::from_time_t(secs) > t) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view text, size_t* pos, int count, int* out) {
  int value = 0;
  for (int i = 0; i < count; ++i) {
    if (*pos >= text.size() || text[*pos] < '0' || text[*pos] > '9') return false;
    value = value * 10 + (text[*pos] - '0');
    ++*pos;
  }
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

system_clock::time_point Compose(int year, int month, int day, int hour, int minute, int second,
                                 std::chrono::nanoseconds fraction, int offset_seconds) {
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs =
      days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second - offset_seconds;
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(std::chrono::seconds(secs) + fraction));
}

}  // namespace

std::string FormatAmzDate(system_clock::time_point t) {
  std::tm tm = UtcTm(t);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string FormatAmzDay(system_clock::time_point t) {
  std::tm tm = UtcTm(t);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y%m%d", &tm);
  return buf;
}

std::string FormatIso8601(system_clock::time_point t) {
  std::tm tm = UtcTm(t);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  auto since_epoch = t.time_since_epoch();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      since_epoch - std::chrono::floor<std::chrono::seconds>(since_epoch));
  if (ms.count() != 0) {
    char frac[8];
    std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(ms.count()));
    out += frac;
  }
  return out + "Z";
}

std::optional<system_clock::time_point> ParseIso8601(std::string_view text) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return std::nullopt;
  }
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!ReadDigits(text, &pos, 2, &oh)) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!ReadDigits(text, &pos, 2, &om)) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (pos != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return Compose(year, month, day, hour, minute, second, fraction, offset);
}

std::optional<system_clock::time_point> ParseHttpDate(std::string_view text) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Tue, 29 Apr 2014 18:30:38 GMT"
  size_t comma = text.find(", ");
  if (comma == std::string_view::npos) return std::nullopt;
  size_t pos = comma + 2;
  int day, year, hour, minute, second;
  if (!ReadDigits(text, &pos, 2, &day) || !Expect(text, &pos, ' ')) return std::nullopt;
  if (pos + 3 > text.size()) return std::nullopt;
  std::string_view month_name = text.substr(pos, 3);
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (month_name == kMonths[i]) month = i + 1;
  }
  if (month == 0) return std::nullopt;
  pos += 3;
  if (!Expect(text, &pos, ' ') || !ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, ' ') ||
      !ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return std::nullopt;
  }
  std::string_view zone = text.substr(pos);
  if (zone != " GMT" && zone != " UTC" && zone != " Z" && !zone.empty()) return std::nullopt;
  return Compose(year, month, day, hour, minute, second, std::chrono::nanoseconds(0), 0);
}

double ToEpochSeconds(system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

system_clock::time_point FromEpochSeconds(double seconds) {
  auto ms = static_cast<int64_t>(std::llround(seconds * 1000.0));
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace ecsync::aws
