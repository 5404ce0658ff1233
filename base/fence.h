#pragma once

// What a replica may do with the shard of its projects: write to AWS for them until
// valid_until on its own monotonic clock, tagging each write with the lease's epoch. A value
// type in base so that both coordination/ (which grants fences) and reconcile/ (which obeys
// them) see it without depending on each other.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace ecsync::base {

struct Fence {
  int64_t epoch = 0;  // the lease's epoch: grows on every change of the shard's owner
  // The last successful renewal's start + lease duration - safety margin, on this replica's
  // steady clock: no other replica can take the lease before valid_until + safety margin.
  std::chrono::steady_clock::time_point valid_until;
  // Held by a write for as long as its call runs (reconcile::FencedCloudFormation): the
  // replica hands a shard back only once no copy of its holds is left, so a write that passed
  // its fence check never overlaps the next owner's. Null when the giver tracks no writes.
  std::shared_ptr<const void> hold = nullptr;
};

// An idempotency token (CloudFormation's ClientRequestToken, CodeBuild's idempotencyToken)
// that carries the epoch: "<token>-e<epoch>", `token` shortened so that the whole stays
// within 128 characters. Two owners of one shard thus never share a token, so a new owner's
// retried call is never mistaken for the previous owner's (and AWS rejects a previous
// owner's token reused with other parameters instead of applying it twice). `token` is
// [a-zA-Z0-9-] (reconcile::RequestToken's form); the result is too.
std::string FencedToken(const std::string& token, int64_t epoch);

}  // namespace ecsync::base
