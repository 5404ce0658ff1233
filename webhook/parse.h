#pragma once

// Helpers shared by the webhook parsers (webhook.cc, webhook_bitbucket.cc, webhook_proof.cc).
// Internal to the webhook code; not a public interface.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "webhook/webhook.h"

namespace ecsync::webhook::internal {

// The value of header `name`, or "".
std::string Header(const Headers& headers, std::string_view name);
// "GitHub", "GitLab", ...: the provider's name in messages.
const char* Title(Provider provider);
bool IsHex(std::string_view s);
int HexValue(char c);
bool IsZeroId(std::string_view id);

// JSON access that never throws. The member at `path` (object keys), or null when any step
// is missing or not an object.
const nlohmann::json* Find(const nlohmann::json& root, std::initializer_list<const char*> path);
// The string at `path`, or "" when absent, null or not a string.
std::string String(const nlohmann::json& root, std::initializer_list<const char*> path);

// Appends `url` unless it is empty or already there.
void AddUrl(std::vector<std::string>& urls, std::string url);

// Lower-case hex of a SHA-1 or SHA-256 object id; kInvalid naming `where` otherwise. The
// message quotes at most 80 bytes of `id`, cut at a character boundary (it may be any bytes).
base::Result<std::string> CommitId(std::string_view id, const std::string& where);
// A full ref name: bare names are branches. kInvalid for empty names or ones with spaces or
// control characters (which git forbids).
base::Result<std::string> RefName(std::string ref, const std::string& where);
// A ref update from the pushed-to ref name and the new id (all zeros: deleted).
base::Result<RefUpdate> Update(const std::string& ref, const std::string& after, bool deleted,
                               const std::string& where);

// Whether the request's Content-Type is application/x-www-form-urlencoded.
bool IsFormEncoded(const Headers& headers);
// The decoded value of form field `name` in an application/x-www-form-urlencoded body
// ("+" is a space, "%XX" a byte); nullopt when the field is absent.
std::optional<std::string> FormValue(std::string_view body, std::string_view name);

// The body as a JSON object; for GitHub and Gitea form deliveries, the JSON in the form field
// `payload`. kInvalid naming `where` when it is not a JSON object.
base::Result<nlohmann::json> ParseBody(Provider provider, const Headers& headers,
                                       std::string_view body, const std::string& where);

// kInvalid naming `where` and the `fields` expected when `event` has no repository URL.
base::Status NeedUrls(const WebhookEvent& event, const std::string& where, const char* fields);

// Bitbucket (webhook_bitbucket.cc). X-Event-Key tells Server ("repo:refs_changed",
// "diagnostics:ping", "pr:*") from Cloud ("repo:push", "pullrequest:*", ...).
bool IsBitbucketPush(const std::string& event_key);
void CollectBitbucketUrls(const nlohmann::json& body, WebhookEvent& event);
base::Status ParseBitbucketPush(const std::string& event_key, const nlohmann::json& body,
                                WebhookEvent& event);

}  // namespace ecsync::webhook::internal
