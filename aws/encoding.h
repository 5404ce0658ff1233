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

// Encodes one key or value of an application/x-www-form-urlencoded body the way botocore
// and the AWS SDKs do (Python's urllib.parse.quote_plus): the RFC 3986 unreserved set is
// kept, a space becomes '+', every other byte %XX with upper-case hex. AWS hashes the raw
// body, so either spelling of a space signs correctly there; emulators that verify
// signatures (moto, LocalStack) re-encode the parsed form this way before hashing, so only
// this spelling passes them. Never use it for SigV4 canonical query strings (they need %20).
std::string FormUrlEncode(std::string_view in);

// Decodes %XX escapes; '+' stays '+'. A malformed escape is kept literally.
std::string PercentDecode(std::string_view in);

// Base64 lives in base/ (git's known_hosts reads it too).
using base::Base64Decode;
using base::Base64Encode;

}  // namespace ecsync::aws
