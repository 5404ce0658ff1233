#include "webhook/webhook.h"

#include <algorithm>

#include "base/strings.h"
#include "webhook/clone_url.h"
#include "webhook/parse.h"

namespace ecsync::webhook {

using internal::AddUrl;
using internal::CollectBitbucketUrls;
using internal::CommitId;
using internal::Find;
using internal::Header;
using internal::IsBitbucketPush;
using internal::IsZeroId;
using internal::NeedUrls;
using internal::ParseBitbucketPush;
using internal::ParseBody;
using internal::RefName;
using internal::String;
using internal::Title;
using internal::Update;
using nlohmann::json;

namespace {

constexpr std::string_view kHooksPrefix = "/hooks/";
constexpr Provider kAllProviders[] = {Provider::kGitHub, Provider::kGitLab, Provider::kGitea,
                                      Provider::kBitbucket, Provider::kGeneric};

// Every repository URL where `provider` puts them (push payloads, and the other events'
// usual places).
void CollectUrls(Provider provider, const json& body, WebhookEvent& event) {
  std::vector<std::string>& urls = event.clone_urls;
  switch (provider) {
    case Provider::kGitHub:
    case Provider::kGitea:
      for (const char* key : {"clone_url", "ssh_url", "git_url", "html_url"}) {
        AddUrl(urls, String(body, {"repository", key}));
      }
      break;
    case Provider::kGitLab:
      for (const char* key : {"git_http_url", "git_ssh_url", "http_url", "ssh_url", "web_url"}) {
        AddUrl(urls, String(body, {"project", key}));
      }
      for (const char* key : {"git_http_url", "git_ssh_url", "url", "homepage"}) {
        AddUrl(urls, String(body, {"repository", key}));
      }
      break;
    case Provider::kBitbucket:
      CollectBitbucketUrls(body, event);
      break;
    case Provider::kGeneric:
      AddUrl(urls, String(body, {"repository"}));
      break;
  }
}

// GitHub, and Gitea (whose push payload has GitHub's shape).
base::Status ParseGitHubStyle(Provider provider, const json& body, WebhookEvent& event) {
  const std::string where = std::string(Title(provider)) + " " + event.event;
  CollectUrls(provider, body, event);
  if (event.ping) return base::Status::Ok();
  ECSYNC_RETURN_IF_ERROR(
      NeedUrls(event, where, "repository.clone_url, ssh_url, git_url or html_url"));
  const json* deleted = Find(body, {"deleted"});
  ECSYNC_ASSIGN_OR_RETURN(
      RefUpdate update,
      Update(String(body, {"ref"}), String(body, {"after"}),
             deleted != nullptr && deleted->is_boolean() && deleted->get<bool>(), where));
  event.refs.push_back(std::move(update));
  return base::Status::Ok();
}

base::Status ParseGitLab(const json& body, WebhookEvent& event) {
  const std::string where = "GitLab " + event.event;
  CollectUrls(Provider::kGitLab, body, event);
  ECSYNC_RETURN_IF_ERROR(
      NeedUrls(event, where, "project.git_http_url or git_ssh_url, or repository.url"));
  const std::string after = String(body, {"after"});
  // For an annotated tag `after` is the tag object; checkout_sha is the commit it names.
  const std::string checkout = String(body, {"checkout_sha"});
  ECSYNC_ASSIGN_OR_RETURN(
      RefUpdate update,
      Update(String(body, {"ref"}), (IsZeroId(after) || checkout.empty()) ? after : checkout, false,
             where));
  event.refs.push_back(std::move(update));
  return base::Status::Ok();
}

base::Status ParseGeneric(const json& body, WebhookEvent& event) {
  const std::string where = "generic webhook";
  CollectUrls(Provider::kGeneric, body, event);
  ECSYNC_RETURN_IF_ERROR(NeedUrls(event, where, "\"repository\": \"<clone url>\""));
  RefUpdate update;
  ECSYNC_ASSIGN_OR_RETURN(update.ref, RefName(String(body, {"ref"}), where + ": 'ref'"));
  const json* commit = Find(body, {"commit"});
  if (commit != nullptr && !commit->is_null()) {
    if (!commit->is_string()) return base::InvalidError(where + ": 'commit' is not a string");
    const std::string id = commit->get<std::string>();
    if (!id.empty()) {
      ECSYNC_ASSIGN_OR_RETURN(update.commit, CommitId(id, where + ": 'commit'"));
    }
  }
  event.refs.push_back(std::move(update));
  return base::Status::Ok();
}

// Names the event, or kInvalid when the provider's event header is missing.
base::Result<std::string> EventName(Provider provider, const Headers& headers) {
  std::string name;
  const char* expected = "";
  switch (provider) {
    case Provider::kGitHub:
      name = Header(headers, "X-GitHub-Event");
      expected = "X-GitHub-Event";
      break;
    case Provider::kGitea:
      for (const char* header : {"X-Gitea-Event", "X-Gogs-Event", "X-GitHub-Event"}) {
        name = Header(headers, header);
        if (!name.empty()) break;
      }
      expected = "X-Gitea-Event";
      break;
    case Provider::kGitLab:
      name = Header(headers, "X-Gitlab-Event");
      expected = "X-Gitlab-Event";
      break;
    case Provider::kBitbucket:
      name = Header(headers, "X-Event-Key");
      expected = "X-Event-Key";
      break;
    case Provider::kGeneric:
      return std::string("push");
  }
  if (name.empty()) {
    return base::InvalidError(std::string(Title(provider)) + " webhook without an " + expected +
                              " header; is the hook configured for " + Title(provider) +
                              "? (path /hooks/" + ProviderName(provider) + ")");
  }
  return name;
}

std::string DeliveryId(Provider provider, const Headers& headers) {
  switch (provider) {
    case Provider::kGitHub:
      return Header(headers, "X-GitHub-Delivery");
    case Provider::kGitea: {
      std::string id = Header(headers, "X-Gitea-Delivery");
      return id.empty() ? Header(headers, "X-GitHub-Delivery") : id;
    }
    case Provider::kGitLab:
      return Header(headers, "X-Gitlab-Event-UUID");
    case Provider::kBitbucket: {
      std::string id = Header(headers, "X-Request-Id");
      return id.empty() ? Header(headers, "X-Request-UUID") : id;
    }
    case Provider::kGeneric:
      return Header(headers, "X-Request-Id");
  }
  return "";
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return base::AsciiLower(x) < base::AsciiLower(y);
  });
}

const char* ProviderName(Provider provider) {
  switch (provider) {
    case Provider::kGitHub:
      return "github";
    case Provider::kGitLab:
      return "gitlab";
    case Provider::kGitea:
      return "gitea";
    case Provider::kBitbucket:
      return "bitbucket";
    case Provider::kGeneric:
      return "generic";
  }
  return "unknown";
}

std::optional<Provider> ProviderFromPath(std::string_view path) {
  if (!path.starts_with(kHooksPrefix)) return std::nullopt;
  path.remove_prefix(kHooksPrefix.size());
  if (path.ends_with('/')) path.remove_suffix(1);
  for (Provider provider : kAllProviders) {
    if (path == ProviderName(provider)) return provider;
  }
  return std::nullopt;
}

base::Result<WebhookEvent> ParseWebhook(Provider provider, const Headers& headers,
                                        std::string_view body) {
  WebhookEvent event;
  ECSYNC_ASSIGN_OR_RETURN(event.event, EventName(provider, headers));
  event.delivery_id = DeliveryId(provider, headers);

  // Decide push, ping or ignored from the header alone where the provider allows it.
  bool push = false;
  switch (provider) {
    case Provider::kGitHub:
      event.ping = event.event == "ping";
      push = event.event == "push";
      break;
    case Provider::kGitea:
      push = event.event == "push";
      break;
    case Provider::kGitLab:
      // "System Hook" carries every kind of event; object_kind says which (below).
      push = event.event == "Push Hook" || event.event == "Tag Push Hook" ||
             event.event == "System Hook";
      break;
    case Provider::kBitbucket:
      event.ping = event.event == "diagnostics:ping";
      push = IsBitbucketPush(event.event);
      break;
    case Provider::kGeneric:
      push = true;
      break;
  }
  // Only known event names reach messages, so header bytes never do.
  const std::string where = std::string(Title(provider)) + " " + (push ? event.event : "event");
  if (!push && !event.ping) {
    event.ignored = true;
    // Best effort, so that the server can tell which repository sent it.
    auto parsed = ParseBody(provider, headers, body, where);
    if (parsed.ok()) CollectUrls(provider, *parsed, event);
    return event;
  }
  if (event.ping && provider == Provider::kBitbucket) return event;  // its body is {"test":true}

  ECSYNC_ASSIGN_OR_RETURN(json parsed, ParseBody(provider, headers, body, where));
  switch (provider) {
    case Provider::kGitHub:
    case Provider::kGitea:
      ECSYNC_RETURN_IF_ERROR(ParseGitHubStyle(provider, parsed, event));
      break;
    case Provider::kGitLab: {
      const std::string kind = String(parsed, {"object_kind"});
      if (event.event == "System Hook" && kind != "push" && kind != "tag_push") {
        event.ignored = true;
        CollectUrls(provider, parsed, event);
        return event;
      }
      ECSYNC_RETURN_IF_ERROR(ParseGitLab(parsed, event));
      break;
    }
    case Provider::kBitbucket:
      ECSYNC_RETURN_IF_ERROR(ParseBitbucketPush(event.event, parsed, event));
      break;
    case Provider::kGeneric:
      ECSYNC_RETURN_IF_ERROR(ParseGeneric(parsed, event));
      break;
  }
  return event;
}

bool NamesRepository(const WebhookEvent& event, const std::string& url) {
  const std::string key = CloneUrlKey(url);
  if (key.empty()) return false;
  for (const std::string& candidate : event.clone_urls) {
    if (CloneUrlKey(candidate) == key) return true;
  }
  if (event.repository_path.empty() || key.starts_with("file://")) return false;
  // The key is "host/path"; Bitbucket Server serves HTTPS under "/scm/", SSH without it.
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return false;
  std::string_view path = std::string_view(key).substr(slash + 1);
  if (path.starts_with("scm/")) path.remove_prefix(4);
  return path == base::AsciiLower(event.repository_path);
}

DeliveryLog::DeliveryLog(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

bool DeliveryLog::SeenBefore(const std::string& id) {
  if (id.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (ids_.contains(id)) return true;
  ids_.insert(id);
  order_.push_back(id);
  if (order_.size() > capacity_) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
  return false;
}

}  // namespace ecsync::webhook
