#pragma once

#include <map>
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

// True when `tags` mark a stack as managed by ecsync.
bool IsManaged(const std::map<std::string, std::string>& tags);

}  // namespace ecsync::reconcile
