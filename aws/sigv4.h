#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "aws/credentials.h"

namespace ecsync::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The parts of an HTTP request that SigV4 covers.
struct SigningRequest {
  std::string method;
  // The path as sent on the wire (normally already percent-encoded), without the query.
  std::string path = "/";
  // The raw query string without '?'; keys and values may be percent-encoded or not.
  std::string query;
  // Every header to sign, including Host. Names are case-insensitive; repeated names are
  // joined with ','; values may span lines (obs-fold).
  HeaderList headers;
  std::string body;
};

struct SigningParams {
  std::string region;
  std::string service;  // signing name, e.g. "cloudformation", "ec2"
  std::chrono::system_clock::time_point time;
  // Remove "." and ".." segments and collapse repeated '/' (off for S3).
  bool normalize_path = true;
  // URI-encode the (already encoded) path once more, as every service but S3 expects.
  bool double_encode_path = true;
  // Add and sign X-Amz-Content-Sha256 with the body's hash.
  bool sign_body = false;
  // When false, X-Amz-Security-Token is added after signing instead of being signed.
  bool sign_security_token = true;
};

// What signing produced. `canonical_request` and `string_to_sign` are for tests and
// debugging; they contain no secret, but `headers` holds the Authorization header and the
// session token: never log them.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header's value
  // Headers to set on the request (replacing any of the same name): X-Amz-Date, and as
  // applicable X-Amz-Security-Token, X-Amz-Content-Sha256, Authorization.
  HeaderList headers;
};

// Signs `request` in the Authorization header (AWS4-HMAC-SHA256). Pure; thread-safe.
SigningResult SignRequest(const SigningRequest& request, const Credentials& credentials,
                          const SigningParams& params);

struct PresignResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  // The full query string to send (the original parameters plus X-Amz-*), encoded.
  std::string query;
};

// Signs `request` in the query string (presigned URL) valid for `expires`.
PresignResult PresignRequest(const SigningRequest& request, const Credentials& credentials,
                             const SigningParams& params, std::chrono::seconds expires);

// Building blocks, exposed for tests.
std::string CanonicalPath(const std::string& path, bool normalize, bool double_encode);
std::string CanonicalQuery(const std::string& raw_query);
// Removes dot segments and repeated slashes; keeps a trailing slash.
std::string NormalizePath(const std::string& path);

}  // namespace ecsync::aws
