#include "schedule/posix_tz.h"

#include <cctype>
#include <chrono>
#include <string>

#include "schedule/civil.h"

namespace ecsync::schedule {

namespace {

// Reads a POSIX TZ string left to right; every read checks the end.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool Take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // A zone name: three or more letters, or <...> holding letters, digits, '+' and '-'.
  bool Name() {
    if (Take('<')) {
      size_t length = 0;
      while (!done() && peek() != '>') {
        const auto c = static_cast<unsigned char>(peek());
        if (!std::isalnum(c) && c != '+' && c != '-') return false;
        ++pos_;
        ++length;
      }
      return Take('>') && length >= 3;
    }
    size_t length = 0;
    while (!done() && std::isalpha(static_cast<unsigned char>(peek()))) {
      ++pos_;
      ++length;
    }
    return length >= 3;
  }

  // [+-]hh[:mm[:ss]] with hh at most `max_hours`, as signed seconds.
  bool Clock(int max_hours, int32_t* out) {
    int sign = 1;
    if (Take('-')) {
      sign = -1;
    } else {
      Take('+');
    }
    int hours = 0;
    if (!Number(3, &hours) || hours > max_hours) return false;
    int minutes = 0;
    int seconds = 0;
    if (Take(':')) {
      if (!Number(2, &minutes) || minutes > 59) return false;
      if (Take(':') && (!Number(2, &seconds) || seconds > 59)) return false;
    }
    *out = sign * (hours * 3600 + minutes * 60 + seconds);
    return true;
  }

  // 1 to `max_digits` decimal digits.
  bool Number(int max_digits, int* out) {
    int digits = 0;
    int value = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(peek())) && digits < max_digits) {
      value = value * 10 + (peek() - '0');
      ++pos_;
      ++digits;
    }
    *out = value;
    return digits > 0;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

base::Status Bad(std::string_view text, const std::string& what) {
  return base::InvalidError("POSIX TZ rule \"" + std::string(text) + "\": " + what);
}

}  // namespace

base::Result<PosixRule> PosixRule::Parse(std::string_view text) {
  PosixRule rule;
  if (text.empty()) return rule;
  Cursor in(text);
  int32_t west = 0;
  if (!in.Name()) return Bad(text, "the standard time's name is missing or too short");
  if (!in.Clock(24, &west)) return Bad(text, "the standard offset is missing or out of range");
  rule.std_.utc_offset = -west;
  rule.valid_ = true;
  if (in.done()) return rule;
  if (!in.Name()) return Bad(text, "the daylight-saving time's name is missing or too short");
  rule.has_dst_ = true;
  rule.dst_.is_dst = true;
  rule.dst_.utc_offset = rule.std_.utc_offset + 3600;
  if (in.peek() != ',') {
    if (!in.Clock(24, &west)) return Bad(text, "the daylight-saving offset is out of range");
    rule.dst_.utc_offset = -west;
  }
  for (DateRule* date : {&rule.start_, &rule.end_}) {
    if (!in.Take(',')) return Bad(text, "daylight saving needs a start and an end date");
    if (in.Take('M')) {
      date->kind = DateRule::Kind::kMonthWeekDay;
      if (!in.Number(2, &date->month) || date->month < 1 || date->month > 12 || !in.Take('.') ||
          !in.Number(1, &date->week) || date->week < 1 || date->week > 5 || !in.Take('.') ||
          !in.Number(1, &date->weekday) || date->weekday > 6) {
        return Bad(text, "a date Mm.w.d needs m 1-12, w 1-5 and d 0-6");
      }
    } else if (in.Take('J')) {
      date->kind = DateRule::Kind::kJulianNoLeap;
      if (!in.Number(3, &date->day) || date->day < 1 || date->day > 365) {
        return Bad(text, "a date Jn needs n 1-365");
      }
    } else {
      date->kind = DateRule::Kind::kZeroBased;
      if (!in.Number(3, &date->day) || date->day > 365) {
        return Bad(text, "a date n needs n 0-365");
      }
    }
    if (in.Take('/') && !in.Clock(167, &date->time)) {
      return Bad(text, "a transition time must lie within -167 and 167 hours");
    }
  }
  if (!in.done()) return Bad(text, "unexpected text after the end date");
  return rule;
}

int64_t PosixRule::LocalInstant(const DateRule& rule, int year) {
  int64_t day = 0;
  switch (rule.kind) {
    case DateRule::Kind::kJulianNoLeap:
      // Day 1..365, February 29 never counted.
      day = DaysFromCivil(year, 1, 1) + rule.day - 1 + (IsLeapYear(year) && rule.day >= 60);
      break;
    case DateRule::Kind::kZeroBased:
      day = DaysFromCivil(year, 1, 1) + rule.day;
      break;
    case DateRule::Kind::kMonthWeekDay: {
      const int64_t first = DaysFromCivil(year, rule.month, 1);
      day = first + (rule.weekday - WeekdayOf(first) + 7) % 7 + int64_t{7} * (rule.week - 1);
      const int length = DaysInMonth(year, rule.month);
      while (day >= first + length) day -= 7;  // week 5: the last such weekday
      break;
    }
  }
  return day * 86400 + rule.time;
}

ZoneOffset PosixRule::At(int64_t utc_seconds) const {
  if (!has_dst_) return std_;
  const int year = CivilFromDays(FloorDiv(utc_seconds + std_.utc_offset, 86400)).year;
  // The start is read on standard time, the end on daylight-saving time.
  const int64_t start = LocalInstant(start_, year) - std_.utc_offset;
  const int64_t end = LocalInstant(end_, year) - dst_.utc_offset;
  const bool dst = start < end ? (utc_seconds >= start && utc_seconds < end)
                               : !(utc_seconds >= end && utc_seconds < start);
  return dst ? dst_ : std_;
}

}  // namespace ecsync::schedule
