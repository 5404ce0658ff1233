#include "git/url.h"
#include "base/strings.h"

#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

namespace ecsync::git {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFileScheme = "file://";
constexpr std::string_view kRemoteSchemes[] = {"http://", "https://",   "ssh://",
                                               "git://",  "git+ssh://", "ssh+git://"};

base::Result<RemoteUrl> LocalPath(const std::string& original, const std::string& path) {
  if (path.empty()) return base::InvalidError("repository URL '" + original + "' has no path");
  std::error_code ec;
  fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) {
    return base::InvalidError("cannot make '" + original + "' an absolute path: " + ec.message());
  }
  std::string normal = absolute.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  RemoteUrl out;
  out.normalized = std::string(kFileScheme) + normal;
  out.display = out.normalized;
  out.local = true;
  return out;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port" (userinfo already removed). nullopt for
// an empty host or a port that is not a number in 1..65535.
std::optional<SshEndpoint> SplitHostPort(std::string_view authority) {
  SshEndpoint out;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  out.host = base::AsciiLower(out.host);
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return std::nullopt;
    out.port = value;
  }
  return out;
}

}  // namespace

std::optional<SshEndpoint> SshEndpointOf(const std::string& normalized_url) {
  std::string lower = base::AsciiLower(normalized_url);
  for (std::string_view scheme : {"ssh://", "git+ssh://", "ssh+git://"}) {
    if (!lower.starts_with(scheme)) continue;
    std::string_view rest = std::string_view(normalized_url).substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find('/'));
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) authority = authority.substr(at + 1);
    return SplitHostPort(authority);
  }
  if (lower.find("://") != std::string::npos || lower.starts_with("/") || lower.starts_with(".")) {
    return std::nullopt;
  }
  // scp-like: "[user@]host:path" or "[user@][v6]:path"; never a port.
  std::string_view rest = normalized_url;
  size_t at = rest.find('@');
  size_t slash = rest.find('/');
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
    rest = rest.substr(at + 1);
  }
  size_t end = rest.find(':', rest.empty() || rest[0] != '[' ? 0 : rest.find(']'));
  if (end == std::string_view::npos) return std::nullopt;
  std::optional<SshEndpoint> out = SplitHostPort(rest.substr(0, end));
  if (out) out->port = 22;
  return out;
}

std::string RedactUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  size_t authority_start = scheme_end + 3;
  size_t authority_end = url.find('/', authority_start);
  if (authority_end == std::string::npos) authority_end = url.size();
  size_t at = url.rfind('@', authority_end);
  if (at == std::string::npos || at < authority_start) return url;
  size_t colon = url.find(':', authority_start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

base::Result<RemoteUrl> ParseRemoteUrl(const std::string& url) {
  if (url.empty()) return base::InvalidError("repository URL is empty");
  for (unsigned char c : url) {
    if (c <= ' ' || c == 0x7f) {
      return base::InvalidError("repository URL '" + RedactUrl(url) +
                                "' contains whitespace or control characters");
    }
  }
  std::string lower = base::AsciiLower(url);
  if (lower.starts_with(kFileScheme)) {
    std::string rest = url.substr(kFileScheme.size());
    if (rest.starts_with("localhost/")) rest = rest.substr(std::string_view("localhost").size());
    if (!rest.starts_with("/")) {
      return base::InvalidError("repository URL '" + url +
                                "' must name an absolute path (file:///path/to/repo)");
    }
    return LocalPath(url, rest);
  }
  for (std::string_view scheme : kRemoteSchemes) {
    if (!lower.starts_with(scheme)) continue;
    std::string rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    size_t at = authority.rfind('@');
    std::string host = at == std::string::npos ? authority : authority.substr(at + 1);
    if (host.empty() || host[0] == ':') {
      return base::InvalidError("repository URL '" + RedactUrl(url) + "' has no host");
    }
    std::string normalized = url;
    while (normalized.size() > scheme.size() + authority.size() + 1 && normalized.back() == '/') {
      normalized.pop_back();
    }
    RemoteUrl out;
    out.normalized = normalized;
    out.display = RedactUrl(normalized);
    return out;
  }
  size_t scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    return base::InvalidError("repository URL '" + RedactUrl(url) + "' has unsupported scheme '" +
                              url.substr(0, scheme_end) +
                              "' (use https://, ssh://, git://, file:// or a path)");
  }
  // scp-like "[user@]host:path": a ':' before any '/', and not a path like "./a:b".
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon < slash) &&
      !url.starts_with(".")) {
    if (colon == 0 || colon + 1 == url.size() || url[colon - 1] == '@') {
      return base::InvalidError("repository URL '" + url + "' is neither a path nor host:path");
    }
    RemoteUrl out;
    out.normalized = url;
    out.display = url;
    return out;
  }
  return LocalPath(url, url);
}

}  // namespace ecsync::git
