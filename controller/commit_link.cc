#include "controller/commit_link.h"

#include <cctype>
#include <string_view>

#include "base/strings.h"

namespace ecsync::controller {

namespace {

enum class Host { kUnknown, kGitHub, kGitLab, kGitea, kBitbucket };

Host HostKind(std::string_view host) {
  if (host == "github.com" || host.starts_with("github.")) return Host::kGitHub;
  if (host == "gitlab.com" || host.starts_with("gitlab.")) return Host::kGitLab;
  if (host == "codeberg.org" || host.starts_with("gitea.") || host.starts_with("forgejo.")) {
    return Host::kGitea;
  }
  if (host == "bitbucket.org") return Host::kBitbucket;
  return Host::kUnknown;
}

bool IsHex(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// Characters allowed in the host and path we put in a link: enough for real repositories,
// and nothing that could leave an attribute or a URL's path.
bool IsSafe(std::string_view text) {
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '-' && c != '_' &&
        c != '/' && c != '~') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string CommitLink(const std::string& repository_url, const std::string& commit) {
  if (!IsHex(commit)) return "";
  std::string_view url = repository_url;
  std::string_view host;
  std::string_view path;
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    std::string_view rest = url.substr(scheme + 3);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return "";
    host = rest.substr(0, slash);
    path = rest.substr(slash + 1);
    if (auto at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
    if (auto colon = host.find(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  } else {
    // scp form: [user@]host:owner/repo
    const size_t colon = url.find(':');
    if (colon == std::string_view::npos) return "";
    host = url.substr(0, colon);
    if (auto at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
    path = url.substr(colon + 1);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  while (path.starts_with('/')) path.remove_prefix(1);
  const std::string lower_host = base::AsciiLower(std::string(host));
  if (path.empty() || !IsSafe(path) || !IsSafe(lower_host) || path.find("..") != path.npos) {
    return "";
  }
  const std::string base = "https://" + lower_host + "/" + std::string(path);
  switch (HostKind(lower_host)) {
    case Host::kGitHub:
    case Host::kGitea:
      return base + "/commit/" + commit;
    case Host::kGitLab:
      return base + "/-/commit/" + commit;
    case Host::kBitbucket:
      return base + "/commits/" + commit;
    case Host::kUnknown:
      break;
  }
  return "";
}

}  // namespace ecsync::controller
