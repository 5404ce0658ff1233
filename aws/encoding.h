#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/base64.h"

namespace ecsync::aws {

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~), with
// upper-case hex, as SigV4 and the Query protocol require. When `keep_slash` is true, '/'
// is left as is (for URI paths).
std::string UriEncode(std::string_view in, bool keep_slash = false);

// Decodes %XX escapes; '+' stays '+'. A malformed escape is kept literally.
std::string PercentDecode(std::string_view in);

// Base64 lives in base/ (git's known_hosts reads it too).
using base::Base64Decode;
using base::Base64Encode;

// Lower-cases ASCII letters.
std::string AsciiLower(std::string_view in);
// Removes leading and trailing spaces, tabs, CR and LF.
std::string_view TrimWhitespace(std::string_view in);

}  // namespace ecsync::aws
