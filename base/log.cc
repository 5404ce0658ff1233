#include "base/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace ecsync::base {

Status SetupLogging(const std::string& level, bool json) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return InvalidError("unknown log level '" + level +
                        "'; use trace, debug, info, warn, error or off");
  }
  auto logger = spdlog::stderr_logger_mt("ecsync");
  logger->set_level(parsed);
  if (json) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace ecsync::base
