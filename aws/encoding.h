#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecsync::aws {

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~), with
// upper-case hex, as SigV4 and the Query protocol require. When `keep_slash` is true, '/'
// is left as is (for URI paths).
std::string UriEncode(std::string_view in, bool keep_slash = false);

// Decodes %XX escapes; '+' stays '+'. A malformed escape is kept literally.
std::string PercentDecode(std::string_view in);

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);
// Decodes standard base64 (padding optional, whitespace ignored); nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view text);

// Lower-cases ASCII letters.
std::string AsciiLower(std::string_view in);
// Removes leading and trailing spaces, tabs, CR and LF.
std::string_view TrimWhitespace(std::string_view in);

}  // namespace ecsync::aws
