#pragma once

#include <cstdint>

namespace ecsync::schedule {

// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), used for
// local readings that are not instants (see LocalSeconds). Pure functions.

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Rounds toward negative infinity. REQUIRES: b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0)); }

int64_t DaysFromCivil(int year, int month, int day);
CivilDate CivilFromDays(int64_t days);
bool IsLeapYear(int year);
int DaysInMonth(int year, int month);
// 0 = Sunday .. 6 = Saturday.
int WeekdayOf(int64_t days);

}  // namespace ecsync::schedule
