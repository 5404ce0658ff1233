// The `notify:` mappings (commit statuses) and the top-level `external_url:`.
#include "config/notify.h"

#include <string_view>
#include <vector>

#include "base/strings.h"
#include "base/utf8.h"
#include "config/projects.h"
#include "config/secret.h"

namespace ecsync::config {

namespace {

constexpr std::string_view kNotifyKeys[] = {"commit_status"};
constexpr std::string_view kCommitStatusKeys[] = {"provider", "api_url", "repository", "token",
                                                  "username", "context", "deployments"};
constexpr std::string_view kProjectCommitStatusKeys[] = {"context"};

constexpr size_t kMaxContextBytes = 255;

struct Provider {
  std::string_view name;
  std::string_view default_api_url;  // "" when api_url is required
  std::string_view public_host;      // where repositories live when api_url is the default
};
constexpr Provider kProviders[] = {
    {"github", "https://api.github.com", "github.com"},
    {"gitlab", "https://gitlab.com", "gitlab.com"},
    {"gitea", "", ""},
    {"bitbucket", "https://api.bitbucket.org", "bitbucket.org"},
};

// The path of an http(s) URL ("" for none), or nullopt when `url` is not one.
std::optional<std::string> HttpUrlPath(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (rest.find_first_of("?#@") != std::string_view::npos) return std::nullopt;
  const size_t slash = rest.find('/');
  if (slash == 0 || rest.empty()) return std::nullopt;
  if (slash == std::string_view::npos) return std::string();
  return std::string(base::TrimAscii(rest.substr(slash), "/"));
}

// Reads an http(s) base URL under `key` without trailing '/', refusing userinfo, queries,
// blanks and control characters.
base::Status ReadBaseUrl(const ConfigMapping& map, const std::string& key, const char* example,
                         std::string* out) {
  ECSYNC_RETURN_IF_ERROR(map.String(key, out));
  bool clean = true;
  for (char c : *out) clean = clean && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  if (!clean || !HttpUrlPath(*out).has_value()) {
    return map.Error(key, "\"" + base::Utf8Prefix(*out, 200) +
                              "\" is not an http:// or https:// URL without user, query or "
                              "blanks; write one such as " +
                              example);
  }
  while (out->ends_with('/')) out->pop_back();
  return base::Status::Ok();
}

// Strips `suffix` (such as "/api/v4") from the end of `url` when it is there.
void StripSuffix(std::string* url, std::string_view suffix) {
  if (url->ends_with(suffix)) url->resize(url->size() - suffix.size());
}

// How many '/'-separated segments `path` has, none of them empty.
size_t SegmentCount(const std::string& path) {
  if (path.empty()) return 0;
  size_t count = 0;
  for (const std::string& segment : base::Split(path, '/')) {
    if (segment.empty()) return 0;
    ++count;
  }
  return count;
}

// The last two segments of `path` ("owner/repo"), or nullopt when it has fewer.
std::optional<std::string> LastTwo(const std::string& path) {
  const std::vector<std::string> segments = base::Split(path, '/');
  if (segments.size() < 2) return std::nullopt;
  return segments[segments.size() - 2] + "/" + segments.back();
}

base::Status CheckRepository(const ConfigMapping& map, GitHostApi api, const std::string& path) {
  bool ok = SegmentCount(path) == 2;
  const char* form = "owner/repository";
  if (api == GitHostApi::kGitLab) {
    bool numeric = !path.empty();
    for (char c : path) numeric = numeric && c >= '0' && c <= '9';
    ok = numeric || SegmentCount(path) >= 2;
    form = "group/project (subgroups included) or the numeric project id";
  } else if (api == GitHostApi::kBitbucketServer) {
    ok = path.empty() || ok;
    form = "PROJECT/repository, or \"\" for the commit-only build-status endpoint";
  } else if (api == GitHostApi::kBitbucketCloud) {
    form = "workspace/repository";
  }
  for (char c : path) ok = ok && static_cast<unsigned char>(c) > 0x20 && c != '?' && c != '#';
  if (ok) return base::Status::Ok();
  return map.Error("repository", "\"" + base::Utf8Prefix(path, 200) + "\" is not " + form);
}

base::Status ParseCommitStatus(const ConfigMapping& notify, const Sources& sources,
                               const std::string& url, CommitStatusConfig* out) {
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map,
                          notify.Child("commit_status", kCommitStatusKeys));
  out->line = map.location().line;
  std::string provider_name;
  ECSYNC_RETURN_IF_ERROR(map.String("provider", &provider_name));
  const Provider* provider = nullptr;
  for (const Provider& candidate : kProviders) {
    if (candidate.name == provider_name) provider = &candidate;
  }
  if (provider == nullptr) {
    return map.Error("provider", (provider_name.empty() ? std::string("is required")
                                                        : "\"" + provider_name + "\" is unknown") +
                                     "; write github, gitlab, gitea or bitbucket");
  }
  const std::optional<HostAndPath> repo_url = SplitRepositoryUrl(url);
  if (map.Has("api_url")) {
    ECSYNC_RETURN_IF_ERROR(ReadBaseUrl(map, "api_url", "https://git.example.com", &out->api_url));
  } else if (provider->default_api_url.empty()) {
    return map.Error("api_url", "is required for " + provider_name +
                                    "; write the server's address, such as "
                                    "https://gitea.example.com");
  } else if (repo_url.has_value() && repo_url->host != provider->public_host &&
             repo_url->host != "www." + std::string(provider->public_host)) {
    // Never send the token to a host the configuration does not name.
    return map.Error("api_url", "is required: the repository is on " + repo_url->host + ", not " +
                                    std::string(provider->public_host) +
                                    "; write the API address of that server");
  } else {
    out->api_url = provider->default_api_url;
  }
  if (provider_name == "github") {
    out->api = GitHostApi::kGitHub;
  } else if (provider_name == "gitlab") {
    out->api = GitHostApi::kGitLab;
    StripSuffix(&out->api_url, "/api/v4");
  } else if (provider_name == "gitea") {
    out->api = GitHostApi::kGitea;
    StripSuffix(&out->api_url, "/api/v1");
  } else {
    StripSuffix(&out->api_url, "/2.0");
    out->api = out->api_url == "https://api.bitbucket.org" ? GitHostApi::kBitbucketCloud
                                                           : GitHostApi::kBitbucketServer;
  }
  if (map.Has("repository")) {
    ECSYNC_RETURN_IF_ERROR(map.String("repository", &out->repository));
    out->repository = std::string(base::TrimAscii(out->repository, "/"));
  } else {
    const std::optional<std::string> derived =
        RepositoryPathFromUrl(out->api, url, HttpUrlPath(out->api_url).value_or(""));
    if (!derived.has_value() && out->api != GitHostApi::kBitbucketServer) {
      return map.Error("repository",
                       "cannot be derived from the repository's URL; write it, "
                       "such as acme/shop");
    }
    out->repository = derived.value_or("");
  }
  ECSYNC_RETURN_IF_ERROR(CheckRepository(map, out->api, out->repository));
  if (!map.Has("token")) {
    return map.Error("token", "is required: token: {env: NAME} or {file: PATH}");
  }
  ECSYNC_RETURN_IF_ERROR(ReadSecret(map, "token", sources.env, sources.read_file, &out->token));
  ECSYNC_RETURN_IF_ERROR(map.String("username", &out->username));
  if (map.Has("username") && provider_name != "bitbucket") {
    return map.Error("username", "is for Bitbucket app passwords only; remove it (" +
                                     provider_name + " takes the token alone)");
  }
  ECSYNC_RETURN_IF_ERROR(map.String("context", &out->context));
  if (map.Has("context")) {
    if (base::Status status = CheckStatusContext(out->context); !status.ok()) {
      return map.Error("context", status.message());
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.Bool("deployments", &out->deployments));
  if (map.Has("deployments") && out->api != GitHostApi::kGitHub) {
    return map.Error("deployments", "is for GitHub only; remove it");
  }
  if (out->api != GitHostApi::kGitHub) out->deployments = false;
  return base::Status::Ok();
}

}  // namespace

std::optional<HostAndPath> SplitRepositoryUrl(const std::string& url) {
  std::string_view rest = url;
  const size_t scheme_end = rest.find("://");
  bool scp_like = false;
  if (scheme_end != std::string_view::npos) {
    const std::string scheme = base::AsciiLower(rest.substr(0, scheme_end));
    if (scheme == "file") return std::nullopt;
    rest.remove_prefix(scheme_end + 3);
  } else {
    // scp-like "[user@]host:path": a ':' before any '/'.
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos || rest.substr(0, colon).find('/') != std::string::npos) {
      return std::nullopt;
    }
    scp_like = true;
  }
  const size_t end = scp_like ? rest.find(':') : rest.find('/');
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "" : rest.substr(end + 1);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.starts_with('[')) {
    authority = authority.substr(0, authority.find(':'));
  } else {
    authority = authority.substr(0, authority.find(']') + 1);
  }
  path = path.substr(0, path.find_first_of("?#"));
  path = base::TrimAscii(path, "/");
  if (path.ends_with(".git")) path.remove_suffix(4);
  path = base::TrimAscii(path, "/");
  if (authority.empty() || path.empty()) return std::nullopt;
  return HostAndPath{base::AsciiLower(authority), std::string(path)};
}

std::optional<std::string> RepositoryPathFromUrl(GitHostApi api, const std::string& url,
                                                 const std::string& api_path) {
  const std::optional<HostAndPath> parts = SplitRepositoryUrl(url);
  if (!parts.has_value() || SegmentCount(parts->path) == 0) return std::nullopt;
  std::string path = parts->path;
  if (!api_path.empty() && path.starts_with(api_path + "/")) path.erase(0, api_path.size() + 1);
  switch (api) {
    case GitHostApi::kGitLab:
      if (SegmentCount(path) < 2) return std::nullopt;
      return path;
    case GitHostApi::kBitbucketServer: {
      // HTTPS clones are ".../scm/PROJECT/repo"; SSH clones "/PROJECT/repo".
      const std::vector<std::string> segments = base::Split(path, '/');
      const size_t n = segments.size();
      if (n >= 3 && segments[n - 3] == "scm") return segments[n - 2] + "/" + segments[n - 1];
      if (segments.size() == 2) return path;
      return std::nullopt;
    }
    case GitHostApi::kGitHub:
    case GitHostApi::kGitea:
    case GitHostApi::kBitbucketCloud:
      return LastTwo(path);
  }
  return std::nullopt;
}

base::Status CheckStatusContext(const std::string& context) {
  if (context.empty()) return base::InvalidError("is empty; write a name such as ecsync/{stack}");
  if (context.size() > kMaxContextBytes) {
    return base::InvalidError("is longer than 255 bytes; write a shorter name");
  }
  for (char c : context) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return base::InvalidError("holds a control character; write one line");
    }
  }
  std::string_view rest = context;
  for (size_t open = rest.find('{'); open != std::string_view::npos; open = rest.find('{')) {
    const size_t close = rest.find('}', open);
    const std::string_view name = rest.substr(
        open, close == std::string_view::npos ? std::string_view::npos : close - open + 1);
    if (name != "{stack}" && name != "{project}" && name != "{repository}") {
      return base::InvalidError("\"" + std::string(name) +
                                "\" is not a placeholder; use {stack}, {project} or {repository}");
    }
    rest.remove_prefix(close + 1);
  }
  return base::Status::Ok();
}

base::Status ParseRepositoryNotify(const ConfigMapping& repo_map, const Sources& sources,
                                   const std::string& url, RepositoryNotifyConfig* out) {
  if (!repo_map.Has("notify")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, repo_map.Child("notify", kNotifyKeys));
  if (!map.Has("commit_status")) return base::Status::Ok();
  CommitStatusConfig commit_status;
  ECSYNC_RETURN_IF_ERROR(ParseCommitStatus(map, sources, url, &commit_status));
  out->commit_status = std::move(commit_status);
  return base::Status::Ok();
}

base::Status ParseProjectNotify(const ConfigMapping& project_map, ProjectNotifyConfig* out) {
  if (!project_map.Has("notify")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, project_map.Child("notify", kNotifyKeys));
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping status,
                          map.Child("commit_status", kProjectCommitStatusKeys));
  if (!status.Has("context")) return base::Status::Ok();
  ECSYNC_RETURN_IF_ERROR(status.String("context", &out->commit_status_context));
  if (base::Status check = CheckStatusContext(out->commit_status_context); !check.ok()) {
    return status.Error("context", check.message());
  }
  if (project_map.Has("glob") && !project_map.Has("name")) {
    return status.Error(
        "context",
        "needs the glob entry to have a name (its projects are \"<name>-<folder>\"); "
        "set name, or use {project} in the repository's context");
  }
  return base::Status::Ok();
}

base::Status ParseExternalUrl(const ConfigMapping& top, std::string* out) {
  if (!top.Has("external_url")) return base::Status::Ok();
  return ReadBaseUrl(top, "external_url", "https://ecsync.example.com", out);
}

}  // namespace ecsync::config
