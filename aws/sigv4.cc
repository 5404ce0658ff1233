#include "aws/sigv4.h"

#include <algorithm>
#include <map>

#include "aws/encoding.h"
#include "aws/timestamp.h"
#include "base/hash.h"
#include "base/strings.h"

namespace ecsync::aws {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

// Trims and folds every run of whitespace (spaces, tabs, line breaks) into one space.
std::string CanonicalHeaderValue(std::string_view value) {
  value = base::TrimAscii(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" lines
  std::string signed_names;  // "a;b;c"
};

CanonicalHeaders BuildCanonicalHeaders(const HeaderList& headers) {
  std::map<std::string, std::string> merged;  // sorted by lower-case name
  for (const auto& [name, value] : headers) {
    std::string key = base::AsciiLower(base::TrimAscii(name));
    std::string canonical = CanonicalHeaderValue(value);
    auto [it, inserted] = merged.emplace(key, canonical);
    if (!inserted) it->second += "," + canonical;
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block += name + ":" + value + "\n";
    if (!out.signed_names.empty()) out.signed_names += ";";
    out.signed_names += name;
  }
  return out;
}

void SetHeader(HeaderList* headers, const std::string& name, const std::string& value) {
  std::string lower = base::AsciiLower(name);
  headers->erase(std::remove_if(headers->begin(), headers->end(),
                                [&](const auto& h) { return base::AsciiLower(h.first) == lower; }),
                 headers->end());
  headers->emplace_back(name, value);
}

std::string SigningKey(const Credentials& credentials, const std::string& day,
                       const SigningParams& params) {
  std::string key = base::HmacSha256("AWS4" + credentials.secret_access_key, day);
  key = base::HmacSha256(key, params.region);
  key = base::HmacSha256(key, params.service);
  return base::HmacSha256(key, "aws4_request");
}

std::string Scope(const std::string& day, const SigningParams& params) {
  return day + "/" + params.region + "/" + params.service + "/aws4_request";
}

std::string StringToSign(const std::string& amz_date, const std::string& scope,
                         const std::string& canonical_request) {
  return std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
         base::Sha256Hex(canonical_request);
}

std::string JoinCanonicalRequest(const SigningRequest& request, const SigningParams& params,
                                 const std::string& canonical_query,
                                 const CanonicalHeaders& headers, const std::string& payload_hash) {
  return request.method + "\n" +
         CanonicalPath(request.path, params.normalize_path, params.double_encode_path) + "\n" +
         canonical_query + "\n" + headers.block + "\n" + headers.signed_names + "\n" + payload_hash;
}

}  // namespace

std::string NormalizePath(const std::string& path) {
  std::vector<std::string_view> segments;
  std::string_view rest(path);
  std::string_view last_segment;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    last_segment = segment;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += "/";
    out += segment;
  }
  bool trailing_slash = last_segment.empty() || last_segment == "." || last_segment == "..";
  if (out.empty() || trailing_slash) out += "/";
  return out;
}

std::string CanonicalPath(const std::string& path, bool normalize, bool double_encode) {
  std::string p = path.empty() ? "/" : path;
  if (normalize) p = NormalizePath(p);
  if (double_encode) p = UriEncode(p, /*keep_slash=*/true);
  return p;
}

std::string CanonicalQuery(const std::string& raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= raw_query.size()) {
    size_t amp = raw_query.find('&', start);
    std::string_view piece = std::string_view(raw_query).substr(
        start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      std::string key(piece.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : std::string(piece.substr(eq + 1));
      params.emplace_back(UriEncode(PercentDecode(key)), UriEncode(PercentDecode(value)));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += "&";
    out += key + "=" + value;
  }
  return out;
}

SigningResult SignRequest(const SigningRequest& request, const Credentials& credentials,
                          const SigningParams& params) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string day = FormatAmzDay(params.time);
  const std::string payload_hash = base::Sha256Hex(request.body);

  SigningResult result;
  HeaderList to_sign = request.headers;
  SetHeader(&to_sign, "X-Amz-Date", amz_date);
  result.headers.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    if (params.sign_security_token)
      SetHeader(&to_sign, "X-Amz-Security-Token", credentials.session_token);
    result.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  if (params.sign_body) {
    SetHeader(&to_sign, "X-Amz-Content-Sha256", payload_hash);
    result.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
  }

  CanonicalHeaders headers = BuildCanonicalHeaders(to_sign);
  result.canonical_request =
      JoinCanonicalRequest(request, params, CanonicalQuery(request.query), headers, payload_hash);
  const std::string scope = Scope(day, params);
  result.string_to_sign = StringToSign(amz_date, scope, result.canonical_request);
  result.signature = base::HexEncode(
      base::HmacSha256(SigningKey(credentials, day, params), result.string_to_sign));
  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                         "/" + scope + ", SignedHeaders=" + headers.signed_names +
                         ", Signature=" + result.signature;
  result.headers.emplace_back("Authorization", result.authorization);
  return result;
}

PresignResult PresignRequest(const SigningRequest& request, const Credentials& credentials,
                             const SigningParams& params, std::chrono::seconds expires) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string day = FormatAmzDay(params.time);
  const std::string scope = Scope(day, params);
  CanonicalHeaders headers = BuildCanonicalHeaders(request.headers);

  std::string query = request.query;
  auto add = [&query](const std::string& key, const std::string& value) {
    if (!query.empty()) query += "&";
    query += key + "=" + UriEncode(value);
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", credentials.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires.count()));
  const bool has_token = !credentials.session_token.empty();
  if (has_token && params.sign_security_token) {
    add("X-Amz-Security-Token", credentials.session_token);
  }
  add("X-Amz-SignedHeaders", headers.signed_names);

  PresignResult result;
  result.canonical_request = JoinCanonicalRequest(request, params, CanonicalQuery(query), headers,
                                                  base::Sha256Hex(request.body));
  result.string_to_sign = StringToSign(amz_date, scope, result.canonical_request);
  result.signature = base::HexEncode(
      base::HmacSha256(SigningKey(credentials, day, params), result.string_to_sign));
  if (has_token && !params.sign_security_token) {
    add("X-Amz-Security-Token", credentials.session_token);
  }
  add("X-Amz-Signature", result.signature);
  result.query = query;
  return result;
}

}  // namespace ecsync::aws
