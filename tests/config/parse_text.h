#pragma once

// Parsing a configuration text in the config tests: the file is "ecsync.yaml", the
// environment a given map, and no secret file exists.

#include <map>
#include <optional>
#include <string>

#include "config/config.h"

namespace ecsync::config::testing {

inline base::Result<Config> ParseText(const std::string& text,
                                      std::map<std::string, std::string> env = {
                                          {"HOME", "/home/ci"}}) {
  return ParseConfig(text, "ecsync.yaml", base::EnvFromMap(std::move(env)),
                     [](const std::string&) -> base::Result<std::optional<std::string>> {
                       return std::optional<std::string>();
                     });
}

}  // namespace ecsync::config::testing
