#include "schedule/cron.h"

#include <array>
#include <bitset>
#include <cctype>
#include <span>
#include <vector>

#include "base/strings.h"
#include "schedule/civil.h"

namespace ecsync::schedule {

namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct FieldSpec {
  const char* name;
  int min;
  int max;
  std::span<const std::string_view> names;  // names[i] stands for min + i
};

// One field's value: `N` or a name.
base::Result<int> ParseValue(std::string_view text, const FieldSpec& spec) {
  if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.front()))) {
    const std::string upper = base::AsciiUpper(text);
    for (size_t i = 0; i < spec.names.size(); ++i) {
      if (spec.names[i] == upper) return spec.min + static_cast<int>(i);
    }
    return base::InvalidError("\"" + std::string(text) + "\" is not a name this field takes");
  }
  if (text.empty() || text.size() > 4) {
    return base::InvalidError("\"" + std::string(text) + "\" is not a number");
  }
  int value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return base::InvalidError("\"" + std::string(text) + "\" is not a number");
    }
    value = value * 10 + (c - '0');
  }
  // Day of the week 7 is Sunday, as 0.
  const int max = spec.max == 6 ? 7 : spec.max;
  if (value < spec.min || value > max) {
    return base::InvalidError(std::to_string(value) + " is out of range " +
                              std::to_string(spec.min) + "-" + std::to_string(max));
  }
  return value;
}

// A whole field into `bits` (bit i for value i; day of the week 7 folded onto 0).
base::Status ParseField(std::string_view field, const FieldSpec& spec, std::bitset<64>* bits) {
  if (field.empty()) return base::InvalidError("is empty");
  for (const std::string& item : base::Split(field, ',')) {
    std::string_view range = item;
    int step = 1;
    if (const size_t slash = range.find('/'); slash != std::string_view::npos) {
      std::string_view step_text = range.substr(slash + 1);
      range = range.substr(0, slash);
      int value = 0;
      for (char c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || value > 1000) {
          return base::InvalidError("step \"" + std::string(step_text) + "\" is not a number");
        }
        value = value * 10 + (c - '0');
      }
      if (step_text.empty() || value == 0 || value > spec.max - spec.min + 1) {
        return base::InvalidError("step \"" + std::string(step_text) + "\" must be 1-" +
                                  std::to_string(spec.max - spec.min + 1));
      }
      step = value;
    }
    int low = spec.min;
    int high = spec.max;
    if (range == "*") {
      // The whole range.
    } else if (const size_t dash = range.find('-'); dash != std::string_view::npos) {
      ECSYNC_ASSIGN_OR_RETURN(low, ParseValue(range.substr(0, dash), spec));
      ECSYNC_ASSIGN_OR_RETURN(high, ParseValue(range.substr(dash + 1), spec));
      if (low > high) {
        return base::InvalidError("range \"" + std::string(range) +
                                  "\" runs backwards; write the smaller value first");
      }
    } else {
      ECSYNC_ASSIGN_OR_RETURN(low, ParseValue(range, spec));
      // "N/step" runs to the end of the range; a bare "N" is N alone.
      if (step == 1 && item.find('/') == std::string::npos) high = low;
    }
    for (int v = low; v <= high; v += step) bits->set(spec.max == 6 && v == 7 ? 0 : v);
  }
  return base::Status::Ok();
}

std::string_view Expand(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return {};
}

template <size_t N>
std::bitset<N> Narrow(const std::bitset<64>& wide) {
  std::bitset<N> bits;
  for (size_t i = 0; i < N; ++i) bits[i] = wide[i];
  return bits;
}

}  // namespace

base::Result<CronExpression> CronExpression::Parse(std::string_view text) {
  const std::string quoted = "cron \"" + std::string(text) + "\"";
  std::string_view fields_text = base::TrimAscii(text);
  if (!fields_text.empty() && fields_text.front() == '@') {
    std::string_view expanded = Expand(fields_text);
    if (expanded.empty()) {
      return base::InvalidError(quoted +
                                ": unknown shorthand; use @yearly, @annually, @monthly, @weekly, "
                                "@daily, @midnight or @hourly");
    }
    fields_text = expanded;
  }
  std::vector<std::string> fields;
  for (const std::string& field : base::Split(fields_text, ' ')) {
    if (!field.empty()) fields.push_back(field);
  }
  if (fields.size() != 5) {
    return base::InvalidError(quoted +
                              ": needs 5 fields (minute hour day-of-month month "
                              "day-of-week), found " +
                              std::to_string(fields.size()));
  }
  const FieldSpec specs[5] = {{"minute", 0, 59, {}},
                              {"hour", 0, 23, {}},
                              {"day-of-month", 1, 31, {}},
                              {"month", 1, 12, kMonthNames},
                              {"day-of-week", 0, 6, kDayNames}};
  std::bitset<64> bits[5];
  for (int i = 0; i < 5; ++i) {
    if (base::Status status = ParseField(fields[i], specs[i], &bits[i]); !status.ok()) {
      return base::InvalidError(quoted + ": " + specs[i].name + " field \"" + fields[i] +
                                "\": " + status.message());
    }
  }
  CronExpression cron;
  cron.text_ = std::string(text);
  cron.minutes_ = Narrow<60>(bits[0]);
  cron.hours_ = Narrow<24>(bits[1]);
  cron.days_of_month_ = Narrow<32>(bits[2]);
  cron.months_ = Narrow<13>(bits[3]);
  cron.days_of_week_ = Narrow<7>(bits[4]);
  cron.any_day_of_month_ = fields[2].front() == '*';
  cron.any_day_of_week_ = fields[4].front() == '*';
  return cron;
}

bool CronExpression::DayMatches(int64_t days) const {
  const CivilDate date = CivilFromDays(days);
  if (!months_[date.month]) return false;
  const bool dom = days_of_month_[date.day];
  const bool dow = days_of_week_[WeekdayOf(days)];
  if (!any_day_of_month_ && !any_day_of_week_) return dom || dow;
  return dom && dow;
}

bool CronExpression::Matches(LocalSeconds local) const {
  const int64_t days = FloorDiv(local, 86400);
  const int64_t minute_of_day = (local - days * 86400) / 60;
  return DayMatches(days) && hours_[minute_of_day / 60] && minutes_[minute_of_day % 60];
}

std::optional<LocalSeconds> CronExpression::NextAtOrAfter(LocalSeconds from,
                                                          LocalSeconds limit) const {
  const LocalSeconds start = FloorDiv(from + 59, 60) * 60;
  int64_t day = FloorDiv(start, 86400);
  int first_minute = static_cast<int>((start - day * 86400) / 60);
  for (; day * 86400 <= limit; ++day, first_minute = 0) {
    if (!DayMatches(day)) continue;
    for (int minute = first_minute; minute < 1440; ++minute) {
      if (!hours_[minute / 60]) {
        minute = minute / 60 * 60 + 59;  // the rest of this hour
        continue;
      }
      if (!minutes_[minute % 60]) continue;
      const LocalSeconds at = day * 86400 + int64_t{minute} * 60;
      if (at > limit) return std::nullopt;
      return at;
    }
  }
  return std::nullopt;
}

std::optional<LocalSeconds> CronExpression::LastAtOrBefore(LocalSeconds from,
                                                           LocalSeconds limit) const {
  const LocalSeconds start = FloorDiv(from, 60) * 60;
  int64_t day = FloorDiv(start, 86400);
  int last_minute = static_cast<int>((start - day * 86400) / 60);
  for (; (day + 1) * 86400 > limit; --day, last_minute = 1439) {
    if (!DayMatches(day)) continue;
    for (int minute = last_minute; minute >= 0; --minute) {
      if (!hours_[minute / 60]) {
        minute = minute / 60 * 60;  // the rest of this hour (the loop steps below it)
        continue;
      }
      if (!minutes_[minute % 60]) continue;
      const LocalSeconds at = day * 86400 + int64_t{minute} * 60;
      if (at < limit) return std::nullopt;
      return at;
    }
  }
  return std::nullopt;
}

}  // namespace ecsync::schedule
