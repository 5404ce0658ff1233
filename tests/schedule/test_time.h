#pragma once

// Instants written as RFC 3339 UTC text in the schedule tests, read with the C library's
// timegm so the expectations do not depend on the code under test.

#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace ecsync::schedule::testing {

// "2026-03-29T01:00:00Z" as seconds since the epoch; -1 for malformed text.
inline int64_t Utc(const std::string& text) {
  tm parts{};
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                  &parts.tm_hour, &parts.tm_min, &parts.tm_sec) != 6) {
    return -1;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return timegm(&parts);
}

// A local reading "2026-03-29T02:30:00" as LocalSeconds (the same arithmetic as UTC).
inline int64_t Local(const std::string& text) { return Utc(text + "Z"); }

inline std::chrono::system_clock::time_point At(const std::string& text) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(Utc(text)));
}

inline std::string Format(std::chrono::system_clock::time_point t) {
  const time_t s = std::chrono::system_clock::to_time_t(t);
  tm parts{};
  gmtime_r(&s, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace ecsync::schedule::testing
