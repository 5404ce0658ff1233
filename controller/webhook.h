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

namespace ecsync::controller {

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
  std::string ref;      // full name: "refs/heads/main", "refs/tags/v1"
  std::string commit;   // the new head (40 or 64 lower-case hex); "" when deleted or not given
  bool deleted = false; // the ref was deleted (the host sent the all-zero id or a DELETE)
};

// What a webhook delivery says.
struct WebhookEvent {
  std::string event;   // the provider's event name, for logs: "push", "Tag Push Hook", ...
  // A connectivity test (GitHub "ping", Bitbucket "diagnostics:ping"): answer, queue nothing.
  // Gitea's and GitLab's "test" buttons send an ordinary push and parse as one.
  bool ping = false;
  // A delivery of an event that is not a push (pull_request, issues, a Gitea "create" or
  // "delete" that also arrives as a push, ...): answer, queue nothing. `refs` is empty;
  // `clone_urls` holds what the body names in the provider's usual places, best effort (a
  // body that does not parse is not an error here, it just yields no URLs).
  bool ignored = false;
  // X-GitHub-Delivery, X-Gitea-Delivery, X-Gitlab-Event-UUID, X-Request-Id (Bitbucket and
  // generic); "" when the request has none.
  std::string delivery_id;
  // Every URL the payload gives for the repository (HTTPS, SSH, git://, web page), in
  // payload order without duplicates; match them with CloneUrlKey. Non-empty for a push;
  // may be empty for a ping or an ignored event.
  std::vector<std::string> clone_urls;
  // The refs the push changed: one for GitHub, GitLab, Gitea and generic; one per changed
  // ref for Bitbucket, which batches them. Non-empty for a push; empty for ping/ignored.
  std::vector<RefUpdate> refs;
};

// Parses a delivery for `provider`. The event type comes from the provider's header
// (X-GitHub-Event; X-Gitea-Event, or X-Gogs-Event/X-GitHub-Event as Gitea also sends them;
// X-Gitlab-Event, with object_kind deciding for "System Hook"; X-Event-Key for Bitbucket);
// generic deliveries are always pushes:
//   {"repository": "<clone url>", "ref": "main" | "refs/heads/main" | "refs/tags/v1",
//    "commit": "<sha>" (optional)}
// A ref that does not start with "refs/" is a branch name and becomes "refs/heads/<name>".
// Bodies are JSON; for GitHub and Gitea, a Content-Type of application/x-www-form-urlencoded
// means the JSON is in the form field `payload`.
// kInvalid, with a message naming the provider, event and field, for: a missing event
// header, a body that is not a JSON object, a push without a ref, repository URL or
// (except generic) new commit id, a commit id that is not hex of length 40 or 64.
// Does not check the signature: call VerifyWebhook first.
base::Result<WebhookEvent> ParseWebhook(Provider provider, const Headers& headers,
                                        std::string_view body);

// True when the request carries a valid proof of `secret`:
//   github:    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>
//   gitea:     that, or X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>
//   bitbucket: X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//   generic:   X-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//   gitlab:    X-Gitlab-Token: <secret> (GitLab does not sign bodies)
// Hex digits may be either case. False when the header is missing or malformed (wrong
// prefix, not 64 hex digits) or `secret` is empty. Comparisons take time independent of
// where the values differ (ConstantTimeEquals); GitLab tokens are compared as SHA-256
// digests, so their length does not show either.
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
  std::deque<std::string> order_;          // guarded by mu_; oldest first
  std::unordered_set<std::string> ids_;    // guarded by mu_; the same ids as order_
};

}  // namespace ecsync::controller
