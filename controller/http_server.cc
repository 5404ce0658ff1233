#include "controller/http_server.h"

#include <httplib.h>

#include <charconv>

namespace ecsync::controller {

base::Result<std::pair<std::string, int>> ParseListenAddress(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return base::InvalidError("listen address \"" + address + "\" must be host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const std::string digits = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port < 0 || port > 65535) {
    return base::InvalidError("listen address \"" + address + "\" has no valid port (0-65535)");
  }
  return std::make_pair(host, port);
}

HttpServer::HttpServer(Controller& controller, WebhookHandler& webhooks,
                       metrics::Metrics* metrics, Options options)
    : controller_(controller), webhooks_(webhooks), metrics_(metrics), options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Routes(httplib::Server& server, bool main) {
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (metrics_ == nullptr) {
      res.status = 404;
      return;
    }
    metrics_->SetQueueDepth(controller_.QueueDepth());
    res.set_content(metrics_->Serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (shutting_down_.load()) {
      res.status = 503;
      res.set_content("shutting down\n", "text/plain");
    } else if (!controller_.Ready()) {
      res.status = 503;
      res.set_content("waiting for the first check of every repository\n", "text/plain");
    } else {
      res.set_content("ready\n", "text/plain");
    }
  });
  if (!main) return;
  server.Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(controller_.status().ToJson().dump(2) + "\n", "application/json");
  });
  server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.set_content(RenderStatusPage(controller_.status(), options_.version),
                    "text/html; charset=utf-8");
  });
  // Oversized bodies are refused from Content-Length before they are read.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    auto provider = ProviderFromPath(req.path);
    if (!provider || req.method != "POST") return httplib::Server::HandlerResponse::Unhandled;
    auto length = req.get_header_value("Content-Length");
    size_t size = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
    if (ec == std::errc() && end == length.data() + length.size() &&
        size > webhooks_.max_body_bytes()) {
      WebhookResponse answer = webhooks_.TooLarge(*provider, req.remote_addr);
      res.status = answer.status;
      res.set_content(answer.body, "application/json");
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_payload_max_length(webhooks_.max_body_bytes());
  server.Post(R"(/hooks/([a-z]+)/?)", [this](const httplib::Request& req, httplib::Response& res) {
    auto provider = ProviderFromPath(req.path);
    if (!provider) {
      res.status = 404;
      res.set_content(R"({"status":"unknown_provider"})", "application/json");
      return;
    }
    Headers headers;
    for (const auto& [name, value] : req.headers) headers.emplace(name, value);
    WebhookResponse answer = webhooks_.Handle(*provider, headers, req.body, req.remote_addr);
    res.status = answer.status;
    res.set_content(answer.body, "application/json");
  });
}

base::Status HttpServer::Start() {
  ECSYNC_ASSIGN_OR_RETURN(auto main_address, ParseListenAddress(options_.listen));
  server_ = std::make_unique<httplib::Server>();
  Routes(*server_, /*main=*/true);
  port_ = main_address.second == 0 ? server_->bind_to_any_port(main_address.first)
                                   : (server_->bind_to_port(main_address.first, main_address.second)
                                          ? main_address.second
                                          : -1);
  if (port_ <= 0) {
    return base::InvalidError("cannot listen on " + options_.listen +
                              " (address in use or not local?); set server.listen");
  }
  if (!options_.metrics_listen.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(auto metrics_address, ParseListenAddress(options_.metrics_listen));
    metrics_server_ = std::make_unique<httplib::Server>();
    Routes(*metrics_server_, /*main=*/false);
    metrics_port_ = metrics_address.second == 0
                        ? metrics_server_->bind_to_any_port(metrics_address.first)
                        : (metrics_server_->bind_to_port(metrics_address.first,
                                                         metrics_address.second)
                               ? metrics_address.second
                               : -1);
    if (metrics_port_ <= 0) {
      return base::InvalidError("cannot listen on " + options_.metrics_listen +
                                "; set server.metrics_listen");
    }
    metrics_thread_ = std::thread([this] { metrics_server_->listen_after_bind(); });
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return base::Status::Ok();
}

void HttpServer::Stop() {
  shutting_down_.store(true);
  if (server_) server_->stop();
  if (metrics_server_) metrics_server_->stop();
  if (thread_.joinable()) thread_.join();
  if (metrics_thread_.joinable()) metrics_thread_.join();
}

}  // namespace ecsync::controller
