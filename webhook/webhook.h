#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/result.h"

namespace ecsync::webhook {

// Webhook requests from git hosts: which provider sent them, whether they are authentic,
// and what they say changed. Pure functions of (headers, body) plus a bounded duplicate
// filter; the HTTP server (see docs/webhooks.md) maps the outcomes to status codes.

enum class Provider { kGitHub, kGitLab, kGitea, kBitbucket, kGeneric };

// The provider a webhook path belongs to: "/hooks/github", "/hooks/gitlab", "/hooks/gitea",
// "/hooks/bitbucket", "/hooks/generic" (one trailing "/" allowed; no query string).
// nullopt for anything else.
std::optional<Provider> ProviderFromPath(std::string_view path);
// "github", "gitlab", "gitea", "bitbucket", "generic": the last segment of its path.
const char* ProviderName(Provider provider);

// Orders header names ignoring ASCII case, as HTTP requires.
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
// Request headers; a name given twice keeps one value (the server's choice).
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

// One ref a push changed.
struct RefUpdate {
  std::string ref;       // full name: "refs/heads/main", "refs/tags/v1"
  std::string commit;    // the new head (40 or 64 lower-case hex); "" when deleted or not given
  bool deleted = false;  // the ref was deleted (the host sent the all-zero id or a DELETE)
};

// What a webhook delivery says.
struct WebhookEvent {
  std::string event;  // the provider's event name, for logs: "push", "Tag Push Hook", ...
  // A connectivity test (GitHub "ping", also from organization hooks, which name no
  // repository; Bitbucket Server "diagnostics:ping"): answer, queue nothing.
  // Gitea's and GitLab's "test" buttons send an ordinary push and parse as one.
  bool ping = false;
  // A delivery of an event that is not a push (pull_request, issues, a Gitea "create" or
  // "delete" that also arrives as a push, ...): answer, queue nothing. `refs` is empty;
  // `clone_urls` holds what the body names in the provider's usual places, best effort (a
  // body that does not parse is not an error here, it just yields no URLs).
  bool ignored = false;
  // X-GitHub-Delivery, X-Gitea-Delivery, X-Gitlab-Event-UUID, X-Request-Id (Bitbucket
  // Server and generic), X-Request-UUID (Bitbucket Cloud); "" when the request has none.
  std::string delivery_id;
  // Every URL the payload gives for the repository (HTTPS, SSH, git://, web page), in
  // payload order without duplicates; match them with NamesRepository. Non-empty for a
  // push unless repository_path is set; may be empty for a ping or an ignored event.
  std::vector<std::string> clone_urls;
  // Bitbucket Server names the repository by project key and slug too: "<KEY>/<slug>" as
  // given, "" when absent. It identifies a push whose payload lists no clone links.
  std::string repository_path;
  // The refs the push changed: one for GitHub, GitLab, Gitea and generic; one per changed
  // ref for Bitbucket, which batches them. Non-empty for a push; empty for ping/ignored.
  std::vector<RefUpdate> refs;
};

// Parses a delivery for `provider`. The event type comes from the provider's header
// (X-GitHub-Event; X-Gitea-Event, or X-Gogs-Event/X-GitHub-Event as Gitea also sends them;
// X-Gitlab-Event, with object_kind deciding for "System Hook"; X-Event-Key for Bitbucket:
// "repo:refs_changed" from Bitbucket Server / Data Center, "repo:push" from Bitbucket Cloud);
// generic deliveries are always pushes:
//   {"repository": "<clone url>", "ref": "main" | "refs/heads/main" | "refs/tags/v1",
//    "commit": "<sha>" (optional)}
// A ref that does not start with "refs/" is a branch name and becomes "refs/heads/<name>".
// Bodies are JSON; for GitHub and Gitea, a Content-Type of application/x-www-form-urlencoded
// means the JSON is in the form field `payload`.
// kInvalid, with a message naming the provider, event and field, for: a missing event
// header, a body that is not a JSON object, a push without a ref, repository (URL, or for
// Bitbucket Server project key and slug) or (except generic) new commit id, a commit id that
// is not hex of length 40 or 64. Messages are valid UTF-8 whatever the input, and quote at
// most a short prefix of it.
// Does not check the signature: check a WebhookProof first.
base::Result<WebhookEvent> ParseWebhook(Provider provider, const Headers& headers,
                                        std::string_view body);

// Whether `event` names the repository configured with `url`: one of its clone URLs has the
// same CloneUrlKey, or (Bitbucket Server without clone links) the URL's path is
// "<project key>/<slug>", optionally after "scm/" (compared ignoring case).
bool NamesRepository(const WebhookEvent& event, const std::string& url);

// The proof a request carries, read from its headers once and then checked against each
// candidate secret:
//   github:    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>, over the body as
//              sent (also when form-encoded)
//   gitea:     that, or X-Gitea-Signature: <hex HMAC>; over the body, or for a form delivery
//              over the JSON in its `payload` field (what Gitea signs)
//   bitbucket: X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)> (Server and Cloud)
//   generic:   X-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//   gitlab:    X-Gitlab-Token: <secret> (GitLab does not sign bodies)
// Hex digits may be either case. Keeps a view of `body`, which must outlive it.
class WebhookProof {
 public:
  WebhookProof(Provider provider, const Headers& headers, std::string_view body);

  // Whether the request carries a well-formed signature (right prefix, 64 hex digits) or a
  // non-empty token. Costs no hashing of the body, so requests without one are cheap to refuse.
  bool present() const;
  // Whether the proof was made with `secret`; false when !present() or `secret` is empty.
  // Costs one HMAC of the body (two for a Gitea form delivery). Comparisons take time
  // independent of where the values differ; GitLab tokens are compared as SHA-256 digests,
  // so their length does not show either.
  bool Matches(const std::string& secret) const;

 private:
  Provider provider_;
  std::string_view body_;
  std::optional<std::string> digest_;        // the signature's 32 bytes
  std::optional<std::string> form_payload_;  // Gitea form deliveries: the signed JSON
  std::optional<std::string> token_digest_;  // GitLab: SHA-256 of the token
};

// WebhookProof(provider, headers, body).Matches(secret).
bool VerifyWebhook(Provider provider, const Headers& headers, std::string_view body,
                   const std::string& secret);

// Whether `a` equals `b`, in time that depends only on their lengths (OpenSSL's
// CRYPTO_memcmp), not on where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The last `capacity` delivery ids, to drop redeliveries (hosts retry on timeouts and
// "Redeliver" buttons resend). Thread-safe.
class DeliveryLog {
 public:
  // `capacity` < 1 counts as 1.
  explicit DeliveryLog(std::size_t capacity = 4096);

  // True if `id` is among the last `capacity` ids recorded; otherwise records it (forgetting
  // the oldest when full) and returns false. "" is never recorded and never a duplicate.
  bool SeenBefore(const std::string& id);

 private:
  const std::size_t capacity_;
  std::mutex mu_;
  std::deque<std::string> order_;        // guarded by mu_; oldest first
  std::unordered_set<std::string> ids_;  // guarded by mu_; the same ids as order_
};

}  // namespace ecsync::webhook
