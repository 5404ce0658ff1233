#pragma once

// Webhooks on any replica (docs/high-availability.md): a webhook is verified by the replica
// that receives it, and a check of a repository whose shard another replica holds is sent to
// that replica's internal endpoint (POST /internal/v1/trigger, signed: web/peer_auth.h). The
// sends are queued and made by one thread, so the git host's answer never waits on a peer;
// checks queued for one replica go out together in one request.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "aws/http.h"
#include "base/clock.h"
#include "web/peers.h"

namespace ecsync::web {

class PeerForwarder {
 public:
  struct Options {
    int attempts = 3;  // per batch, the first included
    std::chrono::milliseconds retry_delay{250};
    size_t max_pending = 4096;  // repositories waiting; beyond it, checks run here instead
  };
  // `http` (with short timeouts: the owner is on the same network) and `clock` must outlive
  // this; `view` is called for every Forward and every send.
  PeerForwarder(aws::HttpClient& http, PeerViewSource view, base::Clock& clock, Options options);
  PeerForwarder(aws::HttpClient& http, PeerViewSource view, base::Clock& clock)
      : PeerForwarder(http, std::move(view), clock, Options{}) {}
  ~PeerForwarder();
  PeerForwarder(const PeerForwarder&) = delete;
  PeerForwarder& operator=(const PeerForwarder&) = delete;

  // True when the check of `repository` (clone URL `url`) was queued for the replica that
  // holds its shard. False when that is this replica, nobody holds it now, the owner
  // advertises no address, the secret is not known yet, or the queue is full: the caller
  // triggers the check here (a replica skips repositories of shards it does not hold, and a
  // replica taking a shard checks its repositories at once). Thread-safe.
  bool Forward(const std::string& repository, const std::string& url);

  void Start();
  // Ends the thread; what is still queued is dropped (the owners poll).
  void Stop();

 private:
  void Loop();
  // Sends `repositories` to `replica`; false when every attempt failed.
  bool Send(const std::string& replica, const std::set<std::string>& repositories);

  aws::HttpClient& http_;
  PeerViewSource view_;
  base::Clock& clock_;
  Options options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, std::set<std::string>> pending_;  // replica -> repositories; mu_
  size_t pending_count_ = 0;                              // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  std::thread thread_;
};

}  // namespace ecsync::web
