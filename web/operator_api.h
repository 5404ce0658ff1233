#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "config/api.h"
#include "controller/controller.h"
#include "metrics/metrics.h"
#include "server/request.h"

namespace ecsync::web {

// The operator API on the admin listener (docs/operator-api.md):
//   GET  /api/v1/status                     every repository and project (read)
//   GET  /api/v1/projects/<key>             one project (read)
//   POST /api/v1/projects/<key>/reconcile   Controller::ReconcileNow, or OverrideWindow for a
//                                           project Held by a deploy window (operate)
//   POST /api/v1/projects/<key>/suspend     Controller::Suspend (operate)
//   POST /api/v1/projects/<key>/resume      Controller::Resume (operate)
//   POST /api/v1/projects/<key>/acknowledge Controller::Acknowledge (operate)
//   POST /api/v1/projects/<key>/approve     Controller::DecideChange when a change set (or a
//   POST /api/v1/projects/<key>/reject      plan) waits under approval: manual: 202 with the
//                                           change set; else Controller::ApproveDeployment
//                                           (operate): 202 with each service's outcome, 409
//                                           when nothing waits. <key> may also name the
//                                           delete of a project that left git, kept for
//                                           approval (409 once it waits no more)
// <key> is "<repository>/<project>" as one segment with the slash percent-encoded (%2F), or
// as the two segments <repository>/<project>.
//
// Callers present `Authorization: Bearer <token>`; the token's SHA-256 is compared with
// every configured digest (FindToken). Reads need a read or operate token unless
// api.open_reads is true or no token is configured; actions need an operate token and are
// refused (403) while no token is configured. The order of checks keeps strangers from
// learning anything: route and method (404, 405), then the token (401, 403), then the body
// (actions take none: 413) and only then the project (404). Every answer is JSON; errors are
// {"error": "..."} written here, never an internal message. Every action is logged with the
// token's name and counted in ecsync_operator_actions_total{action,result}.
//
// Thread-safe.
class OperatorApi {
 public:
  // `controller` must outlive this; `metrics` may be null.
  OperatorApi(controller::Controller& controller, metrics::Metrics* metrics,
              config::ApiConfig config);

  // Replaces the tokens and open_reads (a configuration reload); requests already being
  // answered keep the configuration they started with.
  void SetConfig(config::ApiConfig config);

  // Whether `path` belongs to this API (everything under /api/).
  static bool Handles(std::string_view path);
  // Answers a request whose path Handles.
  server::Response Handle(const server::Request& request) const;
  // The refusal (401) of a read endpoint outside this API (the status page) when reads need
  // a token and `request` carries no valid one; nullopt when it may be answered.
  std::optional<server::Response> RefuseRead(const server::Request& request) const;

 private:
  struct Caller;
  struct Route;

  std::shared_ptr<const config::ApiConfig> Config() const;
  // Who `request` comes from, or the refusal when `action` (or a read, when false) is not
  // allowed to them.
  std::optional<server::Response> Authorize(const server::Request& request,
                                            const config::ApiConfig& config, bool action,
                                            Caller* caller) const;
  server::Response Read(const Route& route) const;
  server::Response Act(const server::Request& request, const Route& route,
                       const config::ApiConfig& config) const;
  // approve and reject: the project's deployments waiting for a manual approval.
  server::Response Approve(const server::Request& request, const Route& route,
                           const Caller& caller) const;
  // Logs an action's outcome (with the token's name, never the token) and counts it.
  void Record(const Route& route, const std::string& token_name, const std::string& peer,
              const char* result) const;

  controller::Controller& controller_;
  metrics::Metrics* metrics_;
  mutable std::mutex mu_;
  std::shared_ptr<const config::ApiConfig> config_;  // guarded by mu_
};

// The bearer token of an Authorization header ("Bearer <token>", the scheme in any case);
// nullopt for any other form.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// The configured token whose digest is SHA-256(`token`), or nullptr. Compares the digest with
// every entry, each in constant time, without stopping at a match, so the time taken tells
// nothing about which entry (if any) matched or how close a guess came.
const config::ApiToken* FindToken(const config::ApiConfig& config, std::string_view token);

}  // namespace ecsync::web
