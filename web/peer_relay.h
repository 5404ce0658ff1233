#pragma once

// A project's page and actions on any replica (docs/high-availability.md): a request under
// /api/v1/projects/<key> for a project whose repository another replica holds is sent on to
// that replica's admin listener as it came (method, path, body, the caller's Authorization
// and approver headers), and its answer is relayed. The owner checks the caller's token
// itself, so a relay grants nothing the caller could not do at the owner.

#include <optional>
#include <string>

#include "aws/http.h"
#include "server/request.h"
#include "web/peers.h"

namespace ecsync::web {

// Marks a relayed request, so that it is answered where it arrives and never relayed again
// (two replicas with different views of a shard's owner cannot bounce it between them).
inline constexpr char kRelayedByHeader[] = "X-Ecsync-Relayed-By";

class PeerRelay {
 public:
  // `http` (with a timeout that suits a project's details: they read CloudFormation) must
  // outlive this.
  PeerRelay(aws::HttpClient& http, PeerViewSource view);

  // The owner's answer when `request` concerns a repository (clone URL `repo_url`) that
  // another live replica with an address holds; a 502 naming that replica when it does not
  // answer; nullopt when this replica should answer (it holds the repository, nobody does,
  // or the request was relayed already). Thread-safe.
  std::optional<server::Response> Relay(const server::Request& request,
                                        const std::string& repo_url);

 private:
  aws::HttpClient& http_;
  PeerViewSource view_;
};

}  // namespace ecsync::web
