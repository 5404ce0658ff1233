#pragma once

#include <map>
#include <optional>
#include <string>

namespace ecsync::reconcile {

// Tags ecsync puts on every stack it manages; they are its only memory of what it applied.
inline constexpr char kTagManagedBy[] = "ecsync:managed-by";
inline constexpr char kTagSource[] = "ecsync:source";
inline constexpr char kTagRevision[] = "ecsync:revision";
inline constexpr char kTagTemplateSha[] = "ecsync:template-sha256";
inline constexpr char kManagedByValue[] = "ecsync";

// Identifies where a stack's desired state lives: "<repository url>#<compose path>".
// Tag values are capped at 256 characters by AWS; longer sources are shortened to a
// prefix plus a hash so they stay unique.
std::string SourceId(const std::string& repo_url, const std::string& compose_path);

// An idempotency token for CloudFormation's ClientRequestToken: the same (stack, revision,
// operation) always gives the same token, so a retried call is not applied twice.
// At most 128 characters of [a-zA-Z0-9-].
std::string RequestToken(const std::string& stack, const std::string& revision,
                         const std::string& operation);

// The value of tag `key`, or `fallback` when the stack has no such tag.
std::string TagValue(const std::map<std::string, std::string>& tags, const char* key,
                     const std::string& fallback = "");

// The compose path of a stack whose ecsync:source names repository `repo_url` (what follows
// SourceId(repo_url, "")); nullopt for a stack of another repository or without the tag.
std::optional<std::string> SourcePathIn(const std::map<std::string, std::string>& tags,
                                        const std::string& repo_url);

// A revision as messages show it: its first 12 characters.
std::string ShortRevision(const std::string& revision);

// True when `tags` mark a stack as managed by ecsync.
bool IsManaged(const std::map<std::string, std::string>& tags);

}  // namespace ecsync::reconcile
