#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "base/result.h"

namespace ecsync::base {

// Configures the process-wide spdlog logger, writing to stderr. `level` is one of
// trace, debug, info, warn, error; `json` selects one JSON object per line.
// Call once from main before other threads start. Other code logs with spdlog::info() etc.
// or, with fields, with Log() below.
// Callers must never pass credentials, signatures or secret values to the logger.
Status SetupLogging(const std::string& level, bool json);

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// A named value attached to a log line (repository, project, stack, revision, ...).
using LogField = std::pair<const char*, std::string>;

// Logs `message` with fields. JSON output: {"time":..,"level":..,"msg":..,"<key>":"<value>",...}
// with every string escaped; text output: `<message> key=value key="value with spaces"`.
// Thread-safe. Never pass secrets.
void Log(LogLevel level, const std::string& message, std::initializer_list<LogField> fields = {});

// The line Log writes for `message` and `fields` (without time and level in text mode, or as
// a complete JSON object in JSON mode). For tests.
std::string FormatLogLine(bool json, const char* level, const std::string& message,
                          std::initializer_list<LogField> fields);

}  // namespace ecsync::base
