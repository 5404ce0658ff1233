#pragma once

// What the web layer knows of the other replicas sharing the projects (docs/
// high-availability.md, "Webhooks and status on any replica"): who owns each repository, where
// each live replica's admin listener is, and the key they sign their requests to each other
// with. cli::Replica builds it from the coordinator's last read of the table.

#include <functional>
#include <map>
#include <string>

namespace ecsync::web {

struct PeerView {
  std::string self;                         // this replica's id
  std::string secret;                       // "" until the table's secret was read
  std::map<std::string, std::string> urls;  // live replica -> its peer_url (self included)
  // The replica holding the shard of a repository's clone URL; "" when nobody holds it now.
  std::function<std::string(const std::string& repo_url)> owner;

  // The peer_url of `replica`; "" when it is not live or advertises none.
  std::string UrlOf(const std::string& replica) const {
    auto it = urls.find(replica);
    return it == urls.end() ? "" : it->second;
  }
};

// Called for every use: the view changes with every coordinator Tick. Thread-safe.
using PeerViewSource = std::function<PeerView()>;

}  // namespace ecsync::web
