#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace ecsync::schedule {

// The offset from UTC in force at some instant: local = UTC + utc_offset seconds.
struct ZoneOffset {
  int32_t utc_offset = 0;
  bool is_dst = false;
  bool operator==(const ZoneOffset&) const = default;
};

// A POSIX TZ string as TZif footers carry it (RFC 8536 section 3.3), e.g.
// "CET-1CEST,M3.5.0,M10.5.0/3": a standard offset and, optionally, a daylight-saving offset
// with the dates it starts and ends. Offsets are written west-positive ("EST5" is UTC-5).
// Supported: names bare or in <...>, offsets [+-]hh[:mm[:ss]], dates Jn, n and Mm.w.d, and
// times [+-]hhh[:mm[:ss]] (-167..167 h, RFC 8536's extension). A daylight-saving name
// without dates is refused (its rules would be guesswork).
class PosixRule {
 public:
  // An empty `text` gives a rule that is not valid(); the caller keeps its last offset.
  static base::Result<PosixRule> Parse(std::string_view text);

  bool valid() const { return valid_; }
  // REQUIRES: valid().
  ZoneOffset At(int64_t utc_seconds) const;

 private:
  // When daylight saving starts or ends in a year.
  struct DateRule {
    enum class Kind { kJulianNoLeap, kZeroBased, kMonthWeekDay } kind = Kind::kMonthWeekDay;
    int month = 0;  // Mm.w.d
    int week = 0;
    int weekday = 0;
    int day = 0;              // Jn (1..365) or n (0..365)
    int32_t time = 2 * 3600;  // seconds after local midnight, may be negative or past 24 h
  };
  // Seconds since the epoch, on the local clock in force before the change, at which `rule`
  // falls in `year`.
  static int64_t LocalInstant(const DateRule& rule, int year);

  bool valid_ = false;
  bool has_dst_ = false;
  ZoneOffset std_;
  ZoneOffset dst_;
  DateRule start_;
  DateRule end_;
};

}  // namespace ecsync::schedule
