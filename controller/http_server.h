#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "controller/controller.h"
#include "controller/webhook_handler.h"
#include "metrics/metrics.h"

namespace httplib {
class Server;
}

namespace ecsync::controller {

// The controller's HTTP endpoints:
//   POST /hooks/{github,gitlab,gitea,bitbucket,generic}  webhooks (see WebhookHandler)
//   GET  /metrics         Prometheus text format (also on metrics_listen when set)
//   GET  /healthz         200 while the process serves requests
//   GET  /readyz          200 once every repository was checked, 503 before and while
//                         shutting down
//   GET  /api/v1/status   JSON status of repositories and projects
//   GET  /                read-only HTML status page
// Runs on its own threads. Start once, Stop once.
class HttpServer {
 public:
  struct Options {
    std::string listen = "0.0.0.0:8080";
    std::string metrics_listen;  // "" serves /metrics on `listen` only
    std::string version;
  };
  HttpServer(Controller& controller, WebhookHandler& webhooks, metrics::Metrics* metrics,
             Options options);
  ~HttpServer();

  // Binds the addresses (port 0 picks a free one) and starts serving. kInvalid when an
  // address is malformed or cannot be bound.
  base::Status Start();
  // Readiness turns 503 (so load balancers stop sending), then the listeners close.
  void BeginShutdown() { shutting_down_.store(true); }
  void Stop();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }

 private:
  void Routes(httplib::Server& server, bool main);

  Controller& controller_;
  WebhookHandler& webhooks_;
  metrics::Metrics* metrics_;
  Options options_;
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<httplib::Server> metrics_server_;
  std::thread thread_;
  std::thread metrics_thread_;
  int port_ = 0;
  int metrics_port_ = 0;
};

// Splits "host:port" ("[::1]:8080" for IPv6). kInvalid when malformed.
base::Result<std::pair<std::string, int>> ParseListenAddress(const std::string& address);

}  // namespace ecsync::controller
