#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "controller/controller.h"
#include "metrics/metrics.h"
#include "server/listener.h"
#include "server/socket.h"
#include "web/operator_api.h"
#include "web/peer_relay.h"
#include "web/peer_status.h"
#include "web/peers.h"
#include "web/webhook_handler.h"

namespace ecsync::web {

// The controller's HTTP endpoints, on two listeners (three with metrics_listen):
//   public (listen, default 0.0.0.0:8080), the only one to expose to git hosts:
//     POST /hooks/{github,gitlab,gitea,bitbucket,generic}  webhooks (see WebhookHandler)
//     anything else: 404
//   admin (admin_listen, default 127.0.0.1:8081), for probes, Prometheus and operators:
//     GET /healthz         200 while the process serves requests
//     GET /readyz          200 once every repository was checked, 503 before and while
//                          shutting down (replicas: and while cut off from the table);
//                          repositories that arrive later (a reload, shards taken over) are
//                          caught up while 200, the body says how many are left
//     GET /metrics         Prometheus text format
//     GET /api/v1/status   JSON status of repositories and projects (ETag: its version;
//                          If-None-Match with it answers 304)
//     /api/v1/projects/<key>[/<action>]  the operator API: a project's status, and the
//                          actions (see OperatorApi, which also decides who may read any
//                          /api/ route: status, details and events included)
//     GET /api/v1/projects/<key>/details  a project's status, its stack's resources and
//                          newest events (see controller::ProjectDetails); <key> URL-encoded
//     GET /api/v1/events   server-sent events, one per status change (see StatusEvent),
//                          at most kMaxEventStreams at once (503 beyond)
//     GET /, /projects/<key>, /ui/app.css, /ui/app.js   the status UI (web/ui/)
//     POST /internal/v1/trigger, GET /internal/v1/status   replicas' requests to each other,
//                          signed with the peer secret (web/peer_auth.h); 404 without
//                          coordination, 401 unsigned
//   metrics (metrics_listen, optional): /metrics, /healthz and /readyz only.
// Each listener has its own I/O thread and workers (server::Listener), so a flood of slow
// clients on the public port cannot delay a health probe on the admin port. Start once,
// Stop once; the accessors are thread-safe.
class HttpServer {
 public:
  struct Options {
    std::string listen = "0.0.0.0:8080";
    std::string admin_listen = "127.0.0.1:8081";
    std::string metrics_listen;  // "" for none
    std::string version;
    // Per listener; see server::Listener::Options.
    std::chrono::milliseconds request_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    size_t max_connections = 512;
    size_t max_connections_per_client = 64;
    // Who may read and act through the operator API.
    config::ApiConfig api;
    // Between heartbeat comments on an idle event stream.
    std::chrono::milliseconds stream_heartbeat{15'000};
    // Replicas sharing the projects: this replica's coordination status (cli::Replica::
    // StatusJson), shown as "replica" in /api/v1/status; /readyz is 503 while its "healthy"
    // is false. Null without coordination.
    std::function<nlohmann::ordered_json()> replica_status;
    // Replicas sharing the projects: the others, for /api/v1/status with every project
    // (web/peer_status.h) and the internal endpoints; `peer_http` sends to them (short
    // timeouts; must outlive the server). Both null without coordination.
    PeerViewSource peers;
    aws::HttpClient* peer_http = nullptr;
    // Sends /api/v1/projects/<key>... requests for projects another replica holds on to it
    // (web/peer_relay.h); a longer timeout than peer_http. Null: answered here.
    aws::HttpClient* relay_http = nullptr;
  };
  static constexpr size_t kMaxEventStreams = 32;
  HttpServer(controller::Controller& controller, WebhookHandler& webhooks,
             metrics::Metrics* metrics, Options options);
  ~HttpServer();

  // Binds the addresses (port 0 picks a free one) and starts serving. kInvalid naming the
  // configuration key when an address is malformed or cannot be bound.
  base::Status Start();
  // Readiness turns 503 (so load balancers stop sending), then the listeners close.
  void BeginShutdown() { shutting_down_.store(true); }
  void Stop();
  // A configuration reload: the operator API's tokens and open_reads. Thread-safe.
  void SetApiConfig(config::ApiConfig api) { operator_api_.SetConfig(std::move(api)); }

  int port() const { return public_ ? public_->port() : 0; }
  int admin_port() const { return admin_ ? admin_->port() : 0; }
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

 private:
  server::Response HandlePublic(const server::Request& request);
  server::Response HandlePublicTooLarge(const server::Request& request);
  // `full`: the admin listener (everything) rather than the metrics one (metrics, health).
  server::Response HandleAdmin(const server::Request& request, bool full);
  // /readyz (with coordination, see Options::replica_status).
  server::Response Readiness() const;
  // The status API, the project details and the event stream; nullopt for other paths.
  std::optional<server::Response> HandleApi(const server::Request& request);
  // /api/v1/status with every replica's projects (Options::peers set).
  server::Response MergedStatus(const server::Request& request);
  // The owner's answer to a project request another replica should answer; nullopt to
  // answer here.
  std::optional<server::Response> RelayToOwner(const server::Request& request);
  // /internal/v1/...: the other replicas' requests.
  server::Response HandleInternal(const server::Request& request);
  server::Listener::Options ListenerOptions(const std::string& name,
                                            const std::string& address) const;
  base::Status StartListener(std::unique_ptr<server::Listener>& listener,
                             server::Listener::Options options,
                             server::Listener::Callbacks callbacks, const char* key);

  controller::Controller& controller_;
  WebhookHandler& webhooks_;
  metrics::Metrics* metrics_;
  Options options_;
  OperatorApi operator_api_;
  std::unique_ptr<PeerStatus> peer_status_;  // with Options::peers
  std::unique_ptr<PeerRelay> peer_relay_;    // with Options::peers and relay_http
  std::atomic<bool> shutting_down_{false};
  // /readyz has found every repository checked once (see Readiness).
  mutable std::atomic<bool> was_ready_{false};
  std::unique_ptr<server::Listener> public_;
  std::unique_ptr<server::Listener> admin_;
  std::unique_ptr<server::Listener> metrics_server_;
  int status_observer_ = -1;  // the StatusStore observer feeding the event streams
};

using server::ParseListenAddress;

}  // namespace ecsync::web
