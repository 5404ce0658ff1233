#include "base/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ecsync::base {

namespace {

std::atomic<bool> g_json{false};
// Lines from Log() are complete already; this logger shares the default logger's sink.
std::shared_ptr<spdlog::logger> g_fields_logger;

bool NeedsQuotes(const std::string& value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

// "2026-11-22T02:14:37.123Z".
std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

}  // namespace

Status SetupLogging(const std::string& level, bool json) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return InvalidError("unknown log level '" + level +
                        "'; use trace, debug, info, warn, error or off");
  }
  auto logger = spdlog::stderr_logger_mt("ecsync");
  logger->set_level(parsed);
  g_json.store(json);
  g_fields_logger = std::make_shared<spdlog::logger>("ecsync-fields", logger->sinks().begin(),
                                                     logger->sinks().end());
  g_fields_logger->set_level(parsed);
  if (json) {
    // Plain spdlog calls (no fields) get a JSON envelope; Log() builds whole objects itself.
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
    g_fields_logger->set_pattern("%v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    g_fields_logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

std::string FormatLogLine(bool json, const char* level, const std::string& message,
                          std::initializer_list<LogField> fields) {
  if (json) {
    nlohmann::ordered_json line;
    line["time"] = UtcNow();
    line["level"] = level;
    line["msg"] = message;
    for (const auto& [key, value] : fields) line[key] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string text = message;
  for (const auto& [key, value] : fields) {
    text += ' ';
    text += key;
    text += '=';
    text += NeedsQuotes(value) ? nlohmann::json(value).dump(
                                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
                               : value;
  }
  return text;
}

void Log(LogLevel level, const std::string& message, std::initializer_list<LogField> fields) {
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                          spdlog::level::warn, spdlog::level::err};
  const int index = static_cast<int>(level);
  spdlog::logger* logger = g_fields_logger ? g_fields_logger.get() : spdlog::default_logger_raw();
  if (!logger->should_log(kLevels[index])) return;
  logger->log(kLevels[index], "{}", FormatLogLine(g_json.load(), kNames[index], message, fields));
}

}  // namespace ecsync::base
