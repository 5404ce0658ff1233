#pragma once

#include <optional>
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
// The bytes that `hex` spells, two digits (either case) per byte; nullopt for an odd length or
// any other character.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace ecsync::base
