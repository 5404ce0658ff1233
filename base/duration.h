#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"

namespace ecsync::base {

// The one duration syntax of compose files, the configuration file and the command line:
// Go's time.ParseDuration without a sign, plus a bare number of seconds.
//  - one or more <number><unit> ("1m30s", "1h5m30s20ms"); a number has digits, a '.', or
//    both ("1.5h", ".5s", "1.s");
//  - units ns, us (also "µs" and "μs"), ms, s, m, h;
//  - a bare number is seconds ("90", "0.5"); "0" is zero;
//  - no sign ("-1s" is refused) and at most 100 years.
// Fractions below a nanosecond are dropped, as Go does. kInvalid quotes the text, says what
// is wrong and gives examples.
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// ParseDuration rounded to the nearest millisecond (halves up), for settings kept in
// milliseconds.
Result<std::chrono::milliseconds> ParseDurationMillis(std::string_view text);

}  // namespace ecsync::base
