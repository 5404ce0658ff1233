#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "controller/status.h"
#include "reconcile/engine.h"

namespace ecsync::controller {

// The document of GET /api/v1/projects/<key>/details: the project's status entry (as in
// /api/v1/status, always current) and its stack's resources and newest events, read through
// the engine and kept for `ttl`, so that many browsers refreshing a page cost CloudFormation
// two calls per stack per ttl. Thread-safe; concurrent requests for a stale stack wait for
// one read rather than each making their own.
class ProjectDetails {
 public:
  static constexpr size_t kMaxEvents = 20;

  // All must outlive this.
  ProjectDetails(const StatusStore& status, reconcile::Engine& engine, base::Clock& clock,
                 std::chrono::milliseconds ttl = std::chrono::seconds(5))
      : status_(status), engine_(engine), clock_(clock), ttl_(ttl) {}

  // kNotFound when no project has `key`. A stack that cannot be read (not created yet,
  // AWS trouble) gives empty lists and "stackError" with the reason.
  base::Result<nlohmann::ordered_json> Get(const std::string& key);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point read;
    nlohmann::ordered_json stack;  // {"resources", "events", "stackError"}
  };

  const StatusStore& status_;
  reconcile::Engine& engine_;
  base::Clock& clock_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;                       // held across a read, see the class comment
  std::map<std::string, Entry> cache_;  // by stack name; guarded by mu_
};

}  // namespace ecsync::controller
