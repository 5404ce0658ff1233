#include "controller/webhook.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/hash.h"

namespace ecsync::controller {

namespace {

using nlohmann::json;

constexpr std::string_view kHooksPrefix = "/hooks/";
constexpr Provider kAllProviders[] = {Provider::kGitHub, Provider::kGitLab, Provider::kGitea,
                                      Provider::kBitbucket, Provider::kGeneric};

char LowerAscii(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string Header(const Headers& headers, std::string_view name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

// Display name for messages.
const char* Title(Provider provider) {
  switch (provider) {
    case Provider::kGitHub:
      return "GitHub";
    case Provider::kGitLab:
      return "GitLab";
    case Provider::kGitea:
      return "Gitea";
    case Provider::kBitbucket:
      return "Bitbucket";
    case Provider::kGeneric:
      return "generic";
  }
  return "?";
}

// ---- JSON access that never throws ----

// The member at `path` (object keys), or null when any step is missing or not an object.
const json* Find(const json& root, std::initializer_list<const char*> path) {
  const json* node = &root;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

// The string at `path`, or "" when absent, null or not a string.
std::string String(const json& root, std::initializer_list<const char*> path) {
  const json* node = Find(root, path);
  return node != nullptr && node->is_string() ? node->get<std::string>() : "";
}

void AddUrl(std::vector<std::string>& urls, std::string url) {
  if (url.empty() || std::find(urls.begin(), urls.end(), url) != urls.end()) return;
  urls.push_back(std::move(url));
}

int HexValue(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : LowerAscii(c) - 'a' + 10;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

bool IsZeroId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c == '0'; });
}

// "" stays "" (absent); otherwise lower-case hex of a SHA-1 or SHA-256 object id.
base::Result<std::string> CommitId(std::string_view id, const std::string& where) {
  if ((id.size() != 40 && id.size() != 64) || !IsHex(id)) {
    return base::InvalidError(where + " is not a commit id (40 or 64 hex digits): '" +
                              std::string(id.substr(0, 80)) + "'");
  }
  std::string out(id);
  std::transform(out.begin(), out.end(), out.begin(), LowerAscii);
  return out;
}

// A full ref name: bare names are branches. kInvalid for empty names or ones with spaces
// or control characters (which git forbids).
base::Result<std::string> RefName(std::string ref, const std::string& where) {
  if (ref.empty()) return base::InvalidError(where + " is missing or empty");
  for (unsigned char c : ref) {
    if (c <= ' ' || c == 0x7f) {
      return base::InvalidError(where + " is not a valid ref name: '" + ref.substr(0, 200) + "'");
    }
  }
  if (!ref.starts_with("refs/")) ref = "refs/heads/" + ref;
  return ref;
}

// A ref update from the pushed-to ref name and the new id (all zeros: deleted).
base::Result<RefUpdate> Update(const std::string& ref, const std::string& after,
                               bool deleted, const std::string& where) {
  RefUpdate update;
  ECSYNC_ASSIGN_OR_RETURN(update.ref, RefName(ref, where + ": 'ref'"));
  update.deleted = deleted || IsZeroId(after);
  if (!update.deleted) {
    if (after.empty()) return base::InvalidError(where + ": 'after' is missing");
    ECSYNC_ASSIGN_OR_RETURN(update.commit, CommitId(after, where + ": 'after'"));
  }
  return update;
}

std::string FormValue(std::string_view body, std::string_view name) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(pos, end - pos);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      std::string_view raw = pair.substr(name.size() + 1);
      std::string out;
      out.reserve(raw.size());
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out.push_back(' ');
        } else if (raw[i] == '%' && i + 2 < raw.size() && IsHex(raw.substr(i + 1, 2))) {
          out.push_back(static_cast<char>(HexValue(raw[i + 1]) << 4 | HexValue(raw[i + 2])));
          i += 2;
        } else {
          out.push_back(raw[i]);
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return "";
}

base::Result<json> ParseBody(Provider provider, const Headers& headers, std::string_view body,
                             const std::string& where) {
  std::string form_payload;
  std::string content_type = Header(headers, "Content-Type");
  std::transform(content_type.begin(), content_type.end(), content_type.begin(), LowerAscii);
  if ((provider == Provider::kGitHub || provider == Provider::kGitea) &&
      content_type.starts_with("application/x-www-form-urlencoded")) {
    form_payload = FormValue(body, "payload");
    if (form_payload.empty()) {
      return base::InvalidError(where + ": form-encoded body has no 'payload' field");
    }
    body = form_payload;
  }
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return base::InvalidError(where + ": body is not valid JSON");
  if (!parsed.is_object()) return base::InvalidError(where + ": body is not a JSON object");
  return parsed;
}

base::Status NeedUrls(const WebhookEvent& event, const std::string& where,
                      const char* fields) {
  if (!event.clone_urls.empty()) return base::Status::Ok();
  return base::InvalidError(where + ": no repository URL in the payload (expected " +
                            std::string(fields) + ")");
}

// ---- per provider ----

void AddBitbucketLinks(const json* repository, std::vector<std::string>& urls) {
  if (repository == nullptr) return;
  const json* clones = Find(*repository, {"links", "clone"});
  if (clones == nullptr || !clones->is_array()) return;
  for (const json& link : *clones) AddUrl(urls, String(link, {"href"}));
}

// Every repository URL where `provider` puts them (push payloads, and the other events'
// usual places: Bitbucket pull requests name theirs under pullRequest.toRef).
void CollectUrls(Provider provider, const json& body, std::vector<std::string>& urls) {
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
      AddBitbucketLinks(Find(body, {"repository"}), urls);
      AddBitbucketLinks(Find(body, {"pullRequest", "toRef", "repository"}), urls);
      break;
    case Provider::kGeneric:
      AddUrl(urls, String(body, {"repository"}));
      break;
  }
}

// GitHub, and Gitea (whose push payload has GitHub's shape).
base::Status ParseGitHubStyle(Provider provider, const std::string& event_name,
                              const json& body, WebhookEvent& event) {
  const std::string where = std::string(Title(provider)) + " " + event_name;
  CollectUrls(provider, body, event.clone_urls);
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

base::Status ParseGitLab(const std::string& event_name, const json& body, WebhookEvent& event) {
  const std::string where = "GitLab " + event_name;
  CollectUrls(Provider::kGitLab, body, event.clone_urls);
  ECSYNC_RETURN_IF_ERROR(
      NeedUrls(event, where, "project.git_http_url or git_ssh_url, or repository.url"));
  const std::string after = String(body, {"after"});
  // For an annotated tag `after` is the tag object; checkout_sha is the commit it names.
  const std::string checkout = String(body, {"checkout_sha"});
  ECSYNC_ASSIGN_OR_RETURN(
      RefUpdate update,
      Update(String(body, {"ref"}), (IsZeroId(after) || checkout.empty()) ? after : checkout,
             false, where));
  event.refs.push_back(std::move(update));
  return base::Status::Ok();
}

base::Status ParseBitbucket(const std::string& event_name, const json& body,
                            WebhookEvent& event) {
  const std::string where = "Bitbucket " + event_name;
  CollectUrls(Provider::kBitbucket, body, event.clone_urls);
  ECSYNC_RETURN_IF_ERROR(NeedUrls(event, where, "repository.links.clone[].href"));
  const json* changes = Find(body, {"changes"});
  if (changes == nullptr || !changes->is_array() || changes->empty()) {
    return base::InvalidError(where + ": 'changes' is missing or empty");
  }
  for (size_t i = 0; i < changes->size(); ++i) {
    const json& change = (*changes)[i];
    const std::string at = where + ": changes[" + std::to_string(i) + "]";
    std::string ref = String(change, {"ref", "id"});
    if (ref.empty()) ref = String(change, {"refId"});
    std::string to_hash = String(change, {"toHash"});
    RefUpdate update;
    ECSYNC_ASSIGN_OR_RETURN(update.ref, RefName(ref, at + ".ref.id"));
    update.deleted = String(change, {"type"}) == "DELETE" || IsZeroId(to_hash);
    if (!update.deleted) {
      if (to_hash.empty()) return base::InvalidError(at + ".toHash is missing");
      ECSYNC_ASSIGN_OR_RETURN(update.commit, CommitId(to_hash, at + ".toHash"));
    }
    event.refs.push_back(std::move(update));
  }
  return base::Status::Ok();
}

base::Status ParseGeneric(const json& body, WebhookEvent& event) {
  const std::string where = "generic webhook";
  CollectUrls(Provider::kGeneric, body, event.clone_urls);
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
    case Provider::kBitbucket:
    case Provider::kGeneric:
      return Header(headers, "X-Request-Id");
  }
  return "";
}

// ---- signatures ----

// Decodes exactly 64 hex digits into 32 bytes.
std::optional<std::string> DecodeDigest(std::string_view hex) {
  if (hex.size() != 64 || !IsHex(hex)) return std::nullopt;
  std::string out(32, '\0');
  for (size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<char>(HexValue(hex[2 * i]) << 4 | HexValue(hex[2 * i + 1]));
  }
  return out;
}

// `value` is "<prefix><64 hex>" (prefix may be "") and the hex is HMAC-SHA256(secret, body).
bool HmacMatches(const std::string& value, std::string_view prefix, std::string_view body,
                 const std::string& secret) {
  if (value.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (LowerAscii(value[i]) != prefix[i]) return false;
  }
  std::optional<std::string> given = DecodeDigest(std::string_view(value).substr(prefix.size()));
  if (!given) return false;
  return ConstantTimeEquals(*given, base::HmacSha256(secret, body));
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return LowerAscii(x) < LowerAscii(y); });
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
      push = event.event == "repo:refs_changed";
      break;
    case Provider::kGeneric:
      push = true;
      break;
  }
  const std::string where = std::string(Title(provider)) + " " + event.event;
  if (!push && !event.ping) {
    event.ignored = true;
    // Best effort, so that the server can tell which repository sent it.
    auto parsed = ParseBody(provider, headers, body, where);
    if (parsed.ok()) CollectUrls(provider, *parsed, event.clone_urls);
    return event;
  }
  if (event.ping && provider == Provider::kBitbucket) return event;  // its body is {"test":true}

  ECSYNC_ASSIGN_OR_RETURN(json parsed, ParseBody(provider, headers, body, where));
  switch (provider) {
    case Provider::kGitHub:
    case Provider::kGitea:
      ECSYNC_RETURN_IF_ERROR(ParseGitHubStyle(provider, event.event, parsed, event));
      break;
    case Provider::kGitLab: {
      const std::string kind = String(parsed, {"object_kind"});
      if (event.event == "System Hook" && kind != "push" && kind != "tag_push") {
        event.ignored = true;
        CollectUrls(provider, parsed, event.clone_urls);
        return event;
      }
      ECSYNC_RETURN_IF_ERROR(ParseGitLab(event.event, parsed, event));
      break;
    }
    case Provider::kBitbucket:
      ECSYNC_RETURN_IF_ERROR(ParseBitbucket(event.event, parsed, event));
      break;
    case Provider::kGeneric:
      ECSYNC_RETURN_IF_ERROR(ParseGeneric(parsed, event));
      break;
  }
  return event;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool VerifyWebhook(Provider provider, const Headers& headers, std::string_view body,
                   const std::string& secret) {
  if (secret.empty()) return false;
  switch (provider) {
    case Provider::kGitHub:
      return HmacMatches(Header(headers, "X-Hub-Signature-256"), "sha256=", body, secret);
    case Provider::kGitea:
      return HmacMatches(Header(headers, "X-Hub-Signature-256"), "sha256=", body, secret) ||
             HmacMatches(Header(headers, "X-Gitea-Signature"), "", body, secret);
    case Provider::kBitbucket:
      return HmacMatches(Header(headers, "X-Hub-Signature"), "sha256=", body, secret);
    case Provider::kGeneric:
      return HmacMatches(Header(headers, "X-Signature"), "sha256=", body, secret);
    case Provider::kGitLab: {
      auto it = headers.find(std::string_view("X-Gitlab-Token"));
      if (it == headers.end()) return false;
      // Digests have one length, so the comparison does not reveal the secret's.
      return ConstantTimeEquals(base::Sha256(it->second), base::Sha256(secret));
    }
  }
  return false;
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

}  // namespace ecsync::controller
