#pragma once

// The `windows:` lists of the configuration file, on a repository (every project's) and on a
// project (added to its repository's). Used by projects.cc. See docs/deploy-windows.md.

#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "config/reader.h"
#include "schedule/window.h"

namespace ecsync::config {

// The zoneinfo folder time zones are read from: $TZDIR when set, else the system's.
std::string ZoneinfoRoot(const base::EnvLookup& env);

// Reads `parent`'s `windows:` list and appends to `windows`. Each item is
//   {kind: allow | deny, cron: "0 22 * * 5", duration: 2h, time_zone: Europe/Berlin,
//    manual_sync: false}
// with kind, cron and duration required and time_zone UTC by default. A bad cron expression,
// a duration of 0, or a time zone that is not in the zoneinfo folder (or not a valid TZif
// file) is refused naming the file, line and key.
base::Status ParseWindows(const ConfigMapping& parent, const base::EnvLookup& env,
                          std::vector<schedule::Window>* windows);

}  // namespace ecsync::config
