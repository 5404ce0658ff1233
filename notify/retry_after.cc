#include "notify/retry_after.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "base/strings.h"

namespace ecsync::notify {

namespace {

constexpr std::string_view kPrefix = " (retry after ";
constexpr std::string_view kSuffix = "s)";
// A day: longer waits are the dispatcher's cap's business, and larger numbers are junk.
constexpr long long kMaxSeconds = 86'400;

std::optional<std::chrono::seconds> Seconds(std::string_view digits) {
  // delta-seconds is 1*DIGIT: no sign, no blanks inside.
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  long long value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return std::chrono::seconds(std::min(value, kMaxSeconds));
}

}  // namespace

base::Status ThrottledError(const std::string& message,
                            std::optional<std::chrono::seconds> retry_after) {
  if (!retry_after) return base::ThrottledError(message);
  return base::ThrottledError(message + std::string(kPrefix) +
                              std::to_string(retry_after->count()) + std::string(kSuffix));
}

std::optional<std::chrono::seconds> RetryAfterOf(const base::Status& status) {
  if (status.ok() || status.kind() != base::ErrorKind::kThrottled) return std::nullopt;
  std::string_view message = status.message();
  if (!message.ends_with(kSuffix)) return std::nullopt;
  const size_t start = message.rfind(kPrefix);
  if (start == std::string_view::npos) return std::nullopt;
  const size_t digits = start + kPrefix.size();
  return Seconds(message.substr(digits, message.size() - kSuffix.size() - digits));
}

std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value) {
  return Seconds(base::TrimAscii(value));
}

}  // namespace ecsync::notify
