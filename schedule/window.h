#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "schedule/cron.h"
#include "schedule/time_zone.h"

namespace ecsync::schedule {

using TimePoint = std::chrono::system_clock::time_point;

// One deploy window: it opens at every local minute its cron expression names, read in its
// time zone, and stays open for `duration` of elapsed time (so a 2h window that opens just
// before a daylight-saving change still lasts two hours). A local minute that does not exist
// (clocks jumped forward) opens the window at the first instant after the gap; a local minute
// that occurs twice (clocks went back) opens it at the first occurrence only.
struct Window {
  enum class Kind { kAllow, kDeny };
  Kind kind = Kind::kDeny;
  CronExpression cron;
  std::chrono::seconds duration{0};  // > 0
  std::shared_ptr<const TimeZone> zone;
  // An operator may deploy through this window (a deny window) or outside it (an allow
  // window) on request; see Gate::overridable.
  bool manual_sync = false;
};

const char* WindowKindName(Window::Kind kind);

// The instants this window opens at: the first at or after `t` / the last at or before `t`,
// searching no further than `horizon` away.
std::optional<TimePoint> NextStart(const Window& window, TimePoint t, std::chrono::seconds horizon);
std::optional<TimePoint> LastStart(const Window& window, TimePoint t, std::chrono::seconds horizon);
// True when some opening at or before `t` is not `duration` old yet.
bool IsActive(const Window& window, TimePoint t);

// How long searches look ahead: a year and a day, so yearly windows are found.
inline constexpr std::chrono::seconds kSearchHorizon{366 * 24 * 3600};

// The verdict of a set of windows at one instant. Deploys may happen at `t` when `t` lies in
// no deny window and, if there are allow windows, in at least one of them: deny wins.
struct Gate {
  bool open = true;
  // When closed: the first instant it is open again (nullopt: not within kSearchHorizon).
  std::optional<TimePoint> opens_at;
  // When open: the first instant it closes (nullopt: not within kSearchHorizon).
  std::optional<TimePoint> closes_at;
  // When closed: every window that keeps it closed allows manual_sync.
  bool overridable = false;
  // When closed, for humans: "held by deny window until 2026-12-05T06:00:00+01:00
  // (Europe/Berlin)" or "held outside every allow window until ...".
  std::string reason;
};

// True when a deploy may happen at `t` (see Gate). No windows: always open.
bool IsOpen(const std::vector<Window>& windows, TimePoint t);
// `t` when open; else the first instant it opens, searching kSearchHorizon ahead. kInvalid
// when the windows do not open within that time.
base::Result<TimePoint> NextOpen(const std::vector<Window>& windows, TimePoint t);
// When open at `t`: the first instant it closes; nullopt when it stays open for the whole
// search horizon. REQUIRES: IsOpen(windows, t).
std::optional<TimePoint> OpenUntil(const std::vector<Window>& windows, TimePoint t);
// All of the above at once.
Gate Evaluate(const std::vector<Window>& windows, TimePoint t);

}  // namespace ecsync::schedule
