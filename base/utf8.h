#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ecsync::base {

// Text that reaches JSON output or a client must be valid UTF-8: nlohmann::json throws on
// invalid bytes when dumping (type_error.316), and git trees, compose keys and request
// bodies may hold any bytes.

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD (one per maximal ill-formed
// subpart, as the Unicode standard recommends and browsers do). Valid input is returned
// unchanged.
std::string SanitizeUtf8(std::string_view text);

// The longest prefix of SanitizeUtf8(text) that fits in `max_bytes` without splitting a
// character, plus "..." when something was cut. For quoting untrusted input in messages.
std::string Utf8Prefix(std::string_view text, size_t max_bytes);

}  // namespace ecsync::base
