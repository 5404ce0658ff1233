#pragma once

#include <string>
#include <string_view>

namespace ecsync::base {

// Raw 32-byte SHA-256 digest of `data`.
std::string Sha256(std::string_view data);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace ecsync::base
