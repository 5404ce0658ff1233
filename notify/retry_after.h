#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/result.h"

namespace ecsync::notify {

// How a sink passes a server's Retry-After to the dispatcher through a kThrottled Status:
// the message ends with " (retry after <N>s)". The dispatcher waits at least that long
// (within its own cap) before the next attempt.

// kThrottled with `message`, plus the suffix when `retry_after` is set.
base::Status ThrottledError(const std::string& message,
                            std::optional<std::chrono::seconds> retry_after);

// The delay a kThrottled Status asks for, or nullopt (other kinds, or no suffix).
std::optional<std::chrono::seconds> RetryAfterOf(const base::Status& status);

// An HTTP Retry-After value in delta-seconds ("120"); nullopt for anything else (HTTP dates
// are left to the dispatcher's own backoff).
std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value);

}  // namespace ecsync::notify
