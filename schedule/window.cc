#include "schedule/window.h"

#include <algorithm>

#include "schedule/civil.h"

namespace ecsync::schedule {

namespace {

using std::chrono::seconds;

// A local reading and the instant it names differ by the zone's offset, and offsets change by
// a few hours at most: the slack of the searches below.
constexpr int64_t kOffsetMargin = int64_t{6} * 3600;
// How far apart two instants are when offsets in force near them may map one onto the other.
constexpr int64_t kNear = 100'000;
// Bounds the walks below even for windows that open every minute.
constexpr int kMaxSteps = 1'000'000;

int64_t FloorSeconds(TimePoint t) {
  return std::chrono::floor<seconds>(t.time_since_epoch()).count();
}
int64_t CeilSeconds(TimePoint t) {
  return std::chrono::ceil<seconds>(t.time_since_epoch()).count();
}
TimePoint FromSeconds(int64_t s) { return TimePoint(seconds(s)); }

const TimeZone& ZoneOf(const Window& window) {
  return window.zone ? *window.zone : *TimeZone::Utc();
}

// When `window` is active at `t`: the end of the run of openings that keeps it active (an
// opening that starts before the previous one ends extends it). nullopt: not within the
// search horizon.
std::optional<TimePoint> ActiveEnd(const Window& window, TimePoint t) {
  std::optional<TimePoint> start = LastStart(window, t, window.duration + seconds(kOffsetMargin));
  if (!start) return t;
  TimePoint end = *start + window.duration;
  const TimePoint deadline = t + kSearchHorizon;
  for (int step = 0; step < kMaxSteps && end <= deadline; ++step) {
    // The last opening no later than the current end (one exactly at it continues the run).
    std::optional<TimePoint> last = LastStart(window, end, window.duration);
    if (!last || *last <= *start) return end;
    start = last;
    end = *last + window.duration;
  }
  return std::nullopt;
}

// The end of the allow windows' cover that includes `t` (several allow windows may overlap).
std::optional<TimePoint> AllowEnd(const std::vector<Window>& windows, TimePoint t) {
  TimePoint end = t;
  for (int step = 0; step < kMaxSteps && end <= t + kSearchHorizon; ++step) {
    std::optional<TimePoint> furthest;
    for (const Window& window : windows) {
      if (window.kind != Window::Kind::kAllow || !IsActive(window, end)) continue;
      std::optional<TimePoint> until = ActiveEnd(window, end);
      if (!until) return std::nullopt;
      furthest = furthest ? std::max(*furthest, *until) : *until;
    }
    if (!furthest || *furthest <= end) return end;
    end = *furthest;
  }
  return std::nullopt;
}

bool HasAllow(const std::vector<Window>& windows) {
  return std::any_of(windows.begin(), windows.end(),
                     [](const Window& w) { return w.kind == Window::Kind::kAllow; });
}

}  // namespace

const char* WindowKindName(Window::Kind kind) {
  return kind == Window::Kind::kAllow ? "allow" : "deny";
}

namespace {

// The first opening at or after `t` (`forward`) or the last at or before it, no further than
// `horizon` away. Walks the cron's local readings from the nearest one that could show such
// an instant: local readings map onto instants in order (gaps onto their end, repeats onto
// their first occurrence), so the first reading on the right side of `t` is the answer.
std::optional<TimePoint> FindStart(const Window& window, TimePoint t, seconds horizon,
                                   bool forward) {
  const TimeZone& zone = ZoneOf(window);
  const int64_t at = forward ? CeilSeconds(t) : FloorSeconds(t);
  const int64_t sign = forward ? 1 : -1;
  const LocalSeconds local = at + zone.At(at).utc_offset;
  const LocalSeconds limit = local + sign * (horizon.count() + kOffsetMargin);
  const auto [low, high] = std::minmax(
      {zone.At(at - kNear).utc_offset, zone.At(at).utc_offset, zone.At(at + kNear).utc_offset});
  LocalSeconds from = at + (forward ? low : high);
  for (int step = 0; step < kMaxSteps; ++step) {
    std::optional<LocalSeconds> reading =
        forward ? window.cron.NextAtOrAfter(from, limit) : window.cron.LastAtOrBefore(from, limit);
    if (!reading) return std::nullopt;
    const UtcSeconds instant = zone.ToUtc(*reading).instant;
    if (sign * (instant - at) >= 0) {
      if (sign * (instant - at) > horizon.count()) return std::nullopt;
      return FromSeconds(instant);
    }
    from = forward ? *reading + 60 : *reading - 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<TimePoint> NextStart(const Window& window, TimePoint t, seconds horizon) {
  return FindStart(window, t, horizon, /*forward=*/true);
}

std::optional<TimePoint> LastStart(const Window& window, TimePoint t, seconds horizon) {
  return FindStart(window, t, horizon, /*forward=*/false);
}

bool IsActive(const Window& window, TimePoint t) {
  std::optional<TimePoint> start = LastStart(window, t, window.duration);
  return start && t < *start + window.duration;
}

bool IsOpen(const std::vector<Window>& windows, TimePoint t) {
  bool any_allow = false;
  bool in_allow = false;
  for (const Window& window : windows) {
    const bool active = IsActive(window, t);
    if (window.kind == Window::Kind::kDeny) {
      if (active) return false;
    } else {
      any_allow = true;
      in_allow = in_allow || active;
    }
  }
  return !any_allow || in_allow;
}

base::Result<TimePoint> NextOpen(const std::vector<Window>& windows, TimePoint t) {
  const TimePoint deadline = t + kSearchHorizon;
  const bool has_allow = HasAllow(windows);
  TimePoint now = t;
  for (int step = 0; step < kMaxSteps && now <= deadline; ++step) {
    // Past every deny window active now (deny wins)...
    std::optional<TimePoint> deny_end;
    bool in_allow = false;
    bool endless = false;  // a deny window stays active past the horizon
    for (const Window& window : windows) {
      if (!IsActive(window, now)) continue;
      if (window.kind == Window::Kind::kAllow) {
        in_allow = true;
        continue;
      }
      std::optional<TimePoint> end = ActiveEnd(window, now);
      if (!end) endless = true;
      if (end) deny_end = deny_end ? std::max(*deny_end, *end) : *end;
    }
    if (endless) break;
    if (deny_end) {
      now = *deny_end;
      continue;
    }
    if (!has_allow || in_allow) return now;
    // ...then to the next allow window.
    std::optional<TimePoint> next;
    for (const Window& window : windows) {
      if (window.kind != Window::Kind::kAllow) continue;
      std::optional<TimePoint> start =
          NextStart(window, now, std::chrono::duration_cast<seconds>(deadline - now));
      if (start) next = next ? std::min(*next, *start) : *start;
    }
    if (!next) break;
    now = *next;
  }
  return base::InvalidError("the deploy windows do not open within a year");
}

std::optional<TimePoint> OpenUntil(const std::vector<Window>& windows, TimePoint t) {
  std::optional<TimePoint> closes;
  for (const Window& window : windows) {
    if (window.kind != Window::Kind::kDeny) continue;
    std::optional<TimePoint> start = NextStart(window, t, kSearchHorizon);
    if (start) closes = closes ? std::min(*closes, *start) : *start;
  }
  if (HasAllow(windows)) {
    std::optional<TimePoint> end = AllowEnd(windows, t);
    if (end) closes = closes ? std::min(*closes, *end) : *end;
  }
  return closes;
}

Gate Evaluate(const std::vector<Window>& windows, TimePoint t) {
  Gate gate;
  gate.open = IsOpen(windows, t);
  if (gate.open) {
    gate.closes_at = OpenUntil(windows, t);
    return gate;
  }
  const Window* deciding = nullptr;  // whose zone the reason shows
  bool denies_allow_override = true;
  bool some_allow_overrides = false;
  bool in_allow = false;
  for (const Window& window : windows) {
    const bool active = IsActive(window, t);
    if (window.kind == Window::Kind::kDeny) {
      if (!active) continue;
      if (deciding == nullptr || deciding->kind != Window::Kind::kDeny) deciding = &window;
      denies_allow_override = denies_allow_override && window.manual_sync;
    } else {
      in_allow = in_allow || active;
      some_allow_overrides = some_allow_overrides || window.manual_sync;
      if (deciding == nullptr) deciding = &window;
    }
  }
  const bool by_deny = deciding != nullptr && deciding->kind == Window::Kind::kDeny;
  // Every window that keeps it closed must allow it: each active deny window, and an allow
  // window when none is active.
  gate.overridable =
      denies_allow_override && (in_allow || !HasAllow(windows) || some_allow_overrides);
  auto opens = NextOpen(windows, t);
  const std::string what = by_deny ? "held by deny window" : "held outside every allow window";
  if (opens.ok()) {
    gate.opens_at = *opens;
    const TimeZone& zone = deciding != nullptr ? ZoneOf(*deciding) : *TimeZone::Utc();
    gate.reason =
        what + " until " + zone.FormatLocal(FloorSeconds(*opens)) + " (" + zone.name() + ")";
  } else {
    gate.reason = what + "; " + opens.status().message();
  }
  return gate;
}

}  // namespace ecsync::schedule
