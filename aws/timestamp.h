#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ecsync::aws {

// Time formats AWS uses on the wire. All are UTC.

// "20150830T123600Z" (SigV4's X-Amz-Date).
std::string FormatAmzDate(std::chrono::system_clock::time_point t);
// "20150830" (SigV4's credential scope date).
std::string FormatAmzDay(std::chrono::system_clock::time_point t);
// "2015-08-30T12:36:00Z", with ".123" milliseconds only when non-zero.
std::string FormatIso8601(std::chrono::system_clock::time_point t);

// Parses ISO 8601 / RFC 3339 date-times: "2015-08-30T12:36:00Z", fractional seconds
// (".123"), and numeric offsets ("+01:00", "-0100"). nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);
// Parses RFC 822 / HTTP dates: "Tue, 29 Apr 2014 18:30:38 GMT". nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// Seconds since the epoch, with fractional milliseconds.
double ToEpochSeconds(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point FromEpochSeconds(double seconds);

}  // namespace ecsync::aws
