#include "notify/host_api.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <nlohmann/json.hpp>

#include "aws/encoding.h"
#include "aws/timestamp.h"
#include "base/hash.h"
#include "base/strings.h"
#include "base/utf8.h"

namespace ecsync::notify {

namespace {

using config::GitHostApi;
using nlohmann::json;

constexpr size_t kBitbucketKeyBytes = 40;
constexpr size_t kMaxApiMessageBytes = 300;
// A host asking for a pause longer than this is asked again after it.
constexpr std::chrono::hours kMaxPause{1};

const char kEllipsis[] = "\xE2\x80\xA6";  // U+2026

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// "owner/repo" with each segment percent-encoded, the '/' kept.
std::string PathSegments(const std::string& repository) {
  return aws::UriEncode(repository, /*keep_slash=*/true);
}

void AddCommonHeaders(const HostTarget& target, aws::HttpRequest* request) {
  switch (target.api) {
    case GitHostApi::kGitHub:
      request->headers.emplace_back("Accept", "application/vnd.github+json");
      request->headers.emplace_back("Authorization", "Bearer " + target.token);
      request->headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
      break;
    case GitHostApi::kGitLab:
      request->headers.emplace_back("Accept", "application/json");
      request->headers.emplace_back("PRIVATE-TOKEN", target.token);
      break;
    case GitHostApi::kGitea:
      request->headers.emplace_back("Accept", "application/json");
      request->headers.emplace_back("Authorization", "token " + target.token);
      break;
    case GitHostApi::kBitbucketCloud:
    case GitHostApi::kBitbucketServer:
      request->headers.emplace_back("Accept", "application/json");
      request->headers.emplace_back(
          "Authorization",
          target.username.empty()
              ? "Bearer " + target.token
              : "Basic " + aws::Base64Encode(target.username + ":" + target.token));
      break;
  }
  request->headers.emplace_back("Content-Type", "application/json");
  request->headers.emplace_back("User-Agent", target.user_agent);
}

aws::HttpRequest JsonPost(const HostTarget& target, std::string url, const json& body) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = std::move(url);
  AddCommonHeaders(target, &request);
  request.body = body.dump();
  return request;
}

// The path of `url` (after the authority), for messages.
std::string PathOf(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// The human part of an API error body: GitHub, GitLab and Gitea {"message": ...} (GitHub adds
// "errors"), Bitbucket Cloud {"error": {"message": ...}}, Bitbucket Server
// {"errors": [{"message": ...}]}; otherwise the body's start.
std::string ApiMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string message;
  if (parsed.is_object()) {
    const auto append = [&message](const json& value) {
      if (value.is_null()) return;
      if (!message.empty()) message += "; ";
      message += value.is_string() ? value.get<std::string>() : value.dump();
    };
    if (parsed.contains("message")) append(parsed["message"]);
    if (parsed.contains("error")) {
      const json& error = parsed["error"];
      append(error.is_object() && error.contains("message") ? error["message"] : error);
    }
    if (parsed.contains("errors") && parsed["errors"].is_array()) {
      for (const json& error : parsed["errors"]) {
        append(error.is_object() && error.contains("message") ? error["message"] : error);
      }
    }
  }
  if (message.empty()) message = body;
  return OneLineOfCodePoints(base::Utf8Prefix(message, kMaxApiMessageBytes), kMaxApiMessageBytes);
}

// When a rate-limited answer says the pause ends: Retry-After (seconds or an HTTP date),
// else X-RateLimit-Reset or RateLimit-Reset (epoch seconds). At most kMaxPause from now.
std::optional<std::chrono::system_clock::time_point> RetryAt(
    const aws::HttpResponse& response, std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::system_clock::time_point> at;
  const std::string retry_after(base::TrimAscii(response.Header("Retry-After")));
  const std::string reset(base::TrimAscii(!response.Header("X-RateLimit-Reset").empty()
                                              ? response.Header("X-RateLimit-Reset")
                                              : response.Header("RateLimit-Reset")));
  const auto whole_number = [](const std::string& text) -> std::optional<int64_t> {
    if (text.empty() || text.size() > 12) return std::nullopt;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    return std::strtoll(text.c_str(), nullptr, 10);
  };
  if (const auto seconds = whole_number(retry_after)) {
    at = now + std::chrono::seconds(*seconds);
  } else if (const auto date = aws::ParseHttpDate(retry_after)) {
    at = *date;
  } else if (const auto epoch = whole_number(reset)) {
    at = std::chrono::system_clock::time_point(std::chrono::seconds(*epoch));
  }
  if (at.has_value()) at = std::clamp(*at, now, now + kMaxPause);
  return at;
}

}  // namespace

const char* HostName(GitHostApi api) {
  switch (api) {
    case GitHostApi::kGitHub:
      return "github";
    case GitHostApi::kGitLab:
      return "gitlab";
    case GitHostApi::kGitea:
      return "gitea";
    case GitHostApi::kBitbucketCloud:
      return "bitbucket";
    case GitHostApi::kBitbucketServer:
      return "bitbucket-server";
  }
  return "git host";
}

const char* StateWord(GitHostApi api, DeployState state) {
  // GitLab and Bitbucket have no word for "error": a deploy that will be retried has failed
  // this attempt. GitLab's "running" says more than "pending" (which GitLab shows as queued).
  static constexpr const char* kWords[][4] = {
      {"pending", "success", "failure", "error"},         // GitHub
      {"running", "success", "failed", "failed"},         // GitLab
      {"pending", "success", "failure", "error"},         // Gitea
      {"INPROGRESS", "SUCCESSFUL", "FAILED", "FAILED"},   // Bitbucket Cloud
      {"INPROGRESS", "SUCCESSFUL", "FAILED", "FAILED"}};  // Bitbucket Server
  return kWords[static_cast<int>(api)][static_cast<int>(state)];
}

size_t DescriptionLimit(GitHostApi api) {
  // GitHub documents 140 characters; the others store 255 (GitLab, Bitbucket) or more (Gitea),
  // and one line reads best short anyway.
  return api == GitHostApi::kGitHub ? 140 : 255;
}

std::string OneLineOfCodePoints(std::string_view text, size_t max_chars) {
  const std::string clean = base::SanitizeUtf8(text);
  std::string line;
  bool blank = false;
  for (char c : clean) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      blank = true;
      continue;
    }
    if (blank && !line.empty()) line += ' ';
    blank = false;
    line += c;
  }
  // Cut at a code point boundary, leaving room for the ellipsis.
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (IsContinuation(line[i])) continue;
    if (++chars == max_chars) {
      size_t end = i + 1;
      while (end < line.size() && IsContinuation(line[end])) ++end;
      if (end == line.size()) return line;
      line.resize(i);
      return line + kEllipsis;
    }
  }
  return line;
}

std::string BitbucketKey(const std::string& context) {
  if (context.size() <= kBitbucketKeyBytes) return context;
  return base::Sha256Hex(context).substr(0, kBitbucketKeyBytes);
}

std::string FallbackTargetUrl(const HostTarget& target, const std::string& sha) {
  switch (target.api) {
    case GitHostApi::kBitbucketCloud:
      return "https://bitbucket.org/" + PathSegments(target.repository) + "/commits/" + sha;
    case GitHostApi::kBitbucketServer: {
      const size_t slash = target.repository.find('/');
      if (slash == std::string::npos) return target.api_url;
      return target.api_url + "/projects/" + aws::UriEncode(target.repository.substr(0, slash)) +
             "/repos/" + aws::UriEncode(target.repository.substr(slash + 1)) + "/commits/" + sha;
    }
    case GitHostApi::kGitHub:
    case GitHostApi::kGitLab:
    case GitHostApi::kGitea:
      break;
  }
  return "";
}

aws::HttpRequest StatusRequest(const HostTarget& target, const StatusPost& post) {
  const char* state = StateWord(target.api, post.state);
  json body = json::object();
  std::string url;
  switch (target.api) {
    case GitHostApi::kGitHub:
    case GitHostApi::kGitea:
      url = target.api_url + (target.api == GitHostApi::kGitea ? "/api/v1" : "") + "/repos/" +
            PathSegments(target.repository) + "/statuses/" + post.sha;
      body["state"] = state;
      if (!post.target_url.empty()) body["target_url"] = post.target_url;
      body["description"] = post.description;
      body["context"] = post.context;
      break;
    case GitHostApi::kGitLab:
      url = target.api_url + "/api/v4/projects/" + aws::UriEncode(target.repository) +
            "/statuses/" + post.sha;
      body["state"] = state;
      body["name"] = post.context;
      if (!post.target_url.empty()) body["target_url"] = post.target_url;
      body["description"] = post.description;
      break;
    case GitHostApi::kBitbucketCloud:
    case GitHostApi::kBitbucketServer: {
      if (target.api == GitHostApi::kBitbucketCloud) {
        url = target.api_url + "/2.0/repositories/" + PathSegments(target.repository) + "/commit/" +
              post.sha + "/statuses/build";
      } else if (const size_t slash = target.repository.find('/'); slash != std::string::npos) {
        url = target.api_url + "/rest/api/latest/projects/" +
              aws::UriEncode(target.repository.substr(0, slash)) + "/repos/" +
              aws::UriEncode(target.repository.substr(slash + 1)) + "/commits/" + post.sha +
              "/builds";
      } else {
        url = target.api_url + "/rest/build-status/1.0/commits/" + post.sha;
      }
      body["key"] = BitbucketKey(post.context);
      body["state"] = state;
      body["name"] = post.context;
      body["url"] = post.target_url.empty() ? FallbackTargetUrl(target, post.sha) : post.target_url;
      body["description"] = post.description;
      break;
    }
  }
  return JsonPost(target, std::move(url), body);
}

aws::HttpRequest CreateDeploymentRequest(const HostTarget& target, const std::string& sha,
                                         const std::string& environment,
                                         const std::string& description) {
  json body = {{"ref", sha},
               {"task", "deploy"},
               {"auto_merge", false},
               {"required_contexts", json::array()},
               {"environment", environment},
               {"description", description}};
  return JsonPost(
      target, target.api_url + "/repos/" + PathSegments(target.repository) + "/deployments", body);
}

aws::HttpRequest DeploymentStatusRequest(const HostTarget& target, int64_t id, DeployState state,
                                         const std::string& description, const std::string& url) {
  static constexpr const char* kStates[] = {"in_progress", "success", "failure", "error"};
  json body = {{"state", kStates[static_cast<int>(state)]}, {"description", description}};
  if (!url.empty()) {
    body["log_url"] = url;
    body["environment_url"] = url;
  }
  return JsonPost(target,
                  target.api_url + "/repos/" + PathSegments(target.repository) + "/deployments/" +
                      std::to_string(id) + "/statuses",
                  body);
}

ApiOutcome Classify(const HostTarget& target, const aws::HttpRequest& request,
                    const base::Result<aws::HttpResponse>& answer,
                    std::chrono::system_clock::time_point now) {
  const base::Result<aws::ParsedUrl> api = aws::ParseUrl(target.api_url);
  const std::string where = std::string(HostName(target.api)) + " " +
                            (api.ok() ? api->host : std::string("?")) + ": " + request.method +
                            " " + PathOf(request.url);
  if (!answer.ok()) {
    return {base::TransientError(Redact(where + ": " + answer.status().message(), target.token)),
            std::nullopt};
  }
  const aws::HttpResponse& response = *answer;
  if (response.status >= 200 && response.status < 300) return {base::Status::Ok(), std::nullopt};
  const std::string message = Redact(ApiMessage(response.body), target.token);
  const std::string what =
      where + ": HTTP " + std::to_string(response.status) + (message.empty() ? "" : ": " + message);
  const bool limited = response.status == 429 ||
                       (response.status == 403 &&
                        (base::TrimAscii(response.Header("X-RateLimit-Remaining")) == "0" ||
                         !response.Header("Retry-After").empty()));
  if (limited) return {base::ThrottledError(what), RetryAt(response, now)};
  if (response.status >= 500) return {base::TransientError(what), std::nullopt};
  if (target.api == GitHostApi::kGitLab && response.status == 400 &&
      message.find("Cannot transition status") != std::string::npos) {
    return {base::Status::Ok(), std::nullopt};  // the status is in that state already
  }
  return {base::InvalidError(what), std::nullopt};
}

base::Result<int64_t> DeploymentId(const HostTarget& target, const aws::HttpResponse& response) {
  const json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("id") && parsed["id"].is_number_integer()) {
    return parsed["id"].get<int64_t>();
  }
  return base::InternalError(std::string(HostName(target.api)) +
                             ": the created deployment's answer has no id: " +
                             Redact(ApiMessage(response.body), target.token));
}

}  // namespace ecsync::notify
