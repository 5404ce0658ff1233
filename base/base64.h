#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecsync::base {

// Standard base64 (RFC 4648 alphabet) with padding.
std::string Base64Encode(std::string_view bytes);
// Decodes standard base64 (padding optional, whitespace ignored); nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ecsync::base
