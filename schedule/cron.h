#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "schedule/time_zone.h"

namespace ecsync::schedule {

// A five-field cron expression, "minute hour day-of-month month day-of-week", as Vixie cron
// reads it:
//  - each field is a comma-separated list of `*`, `N` or `N-M`, each optionally `/step`
//    (`N/step` means N to the field's maximum);
//  - months take JAN-DEC and days of the week SUN-SAT (any case) where numbers go; day of
//    the week 0 and 7 are both Sunday;
//  - when both day fields are restricted (neither starts with `*`), a day matches when
//    either does; otherwise both must (so `*` leaves the choice to the other);
//  - `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`
//    stand for their usual expansions; `@reboot` has no meaning here and is refused.
// Matching is on local readings (LocalSeconds); mapping to instants is the caller's.
// Immutable and cheap to copy.
class CronExpression {
 public:
  // kInvalid naming the field ("hour field \"25\": 25 is out of range 0-23") and the text.
  static base::Result<CronExpression> Parse(std::string_view text);

  const std::string& text() const { return text_; }
  // True when the minute that `local` lies in matches.
  bool Matches(LocalSeconds local) const;
  // The first matching minute at or after `from` (rounded up to a whole minute) and no later
  // than `limit`; nullopt when there is none.
  std::optional<LocalSeconds> NextAtOrAfter(LocalSeconds from, LocalSeconds limit) const;
  // The last matching minute at or before `from` (rounded down) and not before `limit`.
  std::optional<LocalSeconds> LastAtOrBefore(LocalSeconds from, LocalSeconds limit) const;

 private:
  bool DayMatches(int64_t days) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool any_day_of_month_ = false;  // the field starts with '*'
  bool any_day_of_week_ = false;
};

}  // namespace ecsync::schedule
