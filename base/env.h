#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace ecsync::base {

// Looks up an environment variable: its value, or nullopt when unset. Code outside main
// reads the environment only through this, so tests pass a map and only cli/main.cc hands
// in the real process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the process environment (getenv). Call from main only.
EnvLookup EnvFromProcess();
// Reads a fixed map (copied into the returned function).
EnvLookup EnvFromMap(std::map<std::string, std::string> vars);

// The variable's value when set and non-empty, else nullopt. A null `env` reads nothing.
std::optional<std::string> NonEmptyEnv(const EnvLookup& env, const std::string& name);

}  // namespace ecsync::base
