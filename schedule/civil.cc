#include "schedule/civil.h"

#include <chrono>

namespace ecsync::schedule {

namespace chrono = std::chrono;

int64_t DaysFromCivil(int year, int month, int day) {
  const chrono::year_month_day date{chrono::year{year}, chrono::month{static_cast<unsigned>(month)},
                                    chrono::day{static_cast<unsigned>(day)}};
  return chrono::sys_days(date).time_since_epoch().count();
}

CivilDate CivilFromDays(int64_t days) {
  const chrono::year_month_day date{chrono::sys_days(chrono::days(days))};
  return {static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month())),
          static_cast<int>(static_cast<unsigned>(date.day()))};
}

bool IsLeapYear(int year) { return chrono::year{year}.is_leap(); }

int DaysInMonth(int year, int month) {
  const chrono::year_month_day_last last{
      chrono::year{year}, chrono::month_day_last{chrono::month{static_cast<unsigned>(month)}}};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

int WeekdayOf(int64_t days) {
  return static_cast<int>(chrono::weekday(chrono::sys_days(chrono::days(days))).c_encoding());
}

}  // namespace ecsync::schedule
