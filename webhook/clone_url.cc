#include "webhook/clone_url.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "base/strings.h"

namespace ecsync::webhook {

namespace {

// Collapses repeated '/', then removes trailing '/', one ".git" and the '/' before it.
std::string CleanPath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  auto drop_slashes = [&out] {
    while (out.size() > 1 && out.back() == '/') out.pop_back();
  };
  drop_slashes();
  if (out.size() > 4 && out.ends_with(".git")) out.resize(out.size() - 4);
  drop_slashes();
  return out;
}

std::string_view CutQuery(std::string_view s) {
  return s.substr(0, std::min(s.find('?'), s.find('#')));
}

// "user:pw@host:port" -> "host" (IPv6 literals keep their brackets).
std::string_view HostOf(std::string_view authority) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

std::string NetworkKey(std::string_view authority, std::string_view path) {
  std::string host = base::AsciiLower(HostOf(authority));
  std::string clean = CleanPath(base::AsciiLower(CutQuery(path)));
  while (clean.starts_with('/')) clean.erase(0, 1);
  return clean.empty() ? host : host + "/" + clean;
}

std::string FileKey(std::string_view path) { return "file://" + CleanPath(path); }

}  // namespace

std::string CloneUrlKey(const std::string& url) {
  std::string_view s = base::TrimAscii(url);
  if (s.empty()) return "";
  if (s.starts_with('/')) return FileKey(s);

  if (auto scheme_end = s.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = base::AsciiLower(s.substr(0, scheme_end));
    std::string_view rest = s.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    if (scheme == "file") {
      // file:///abs/path, or file://localhost/abs/path.
      return FileKey(slash == std::string_view::npos ? "/" : rest.substr(slash));
    }
    if (slash == std::string_view::npos) return NetworkKey(CutQuery(rest), "");
    return NetworkKey(rest.substr(0, slash), rest.substr(slash));
  }

  // scp-like "[user@]host:path": a ':' before any '/'.
  const auto colon = s.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      s.substr(0, colon).find('/') == std::string_view::npos) {
    return NetworkKey(s.substr(0, colon), s.substr(colon + 1));
  }
  return CleanPath(s);
}

}  // namespace ecsync::webhook
