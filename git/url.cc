#include "git/url.h"

#include <filesystem>
#include <string_view>
#include <system_error>

namespace ecsync::git {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFileScheme = "file://";
constexpr std::string_view kRemoteSchemes[] = {"http://", "https://",   "ssh://",
                                               "git://",  "git+ssh://", "ssh+git://"};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

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

}  // namespace

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
  std::string lower = LowerAscii(url);
  if (StartsWith(lower, kFileScheme)) {
    std::string rest = url.substr(kFileScheme.size());
    if (StartsWith(rest, "localhost/")) rest = rest.substr(std::string_view("localhost").size());
    if (!StartsWith(rest, "/")) {
      return base::InvalidError("repository URL '" + url +
                                "' must name an absolute path (file:///path/to/repo)");
    }
    return LocalPath(url, rest);
  }
  for (std::string_view scheme : kRemoteSchemes) {
    if (!StartsWith(lower, scheme)) continue;
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
      !StartsWith(url, ".")) {
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
