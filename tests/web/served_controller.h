#pragma once

// A controller over moto (the project's wrapper) and a real git repository, served by the
// real HttpServer with the operator API: what `ecsync serve` runs, in process. Used by the
// tests that drive the API or the UI end to end.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/hash.h"
#include "cli/aws_setup.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "tests/server/raw_client.h"
#include "tests/support/support.h"
#include "web/http_server.h"
#include "web/webhook_handler.h"

namespace ecsync::testing {

// Tokens of both roles, as `api.tokens` would configure them.
inline config::ApiConfig OperatorTokens(const std::string& operate, const std::string& read,
                                        bool open_reads) {
  config::ApiConfig api;
  api.open_reads = open_reads;
  api.tokens.push_back(
      {.name = "alice", .sha256 = base::Sha256(operate), .role = config::ApiRole::kOperate});
  api.tokens.push_back(
      {.name = "robot", .sha256 = base::Sha256(read), .role = config::ApiRole::kRead});
  return api;
}

// One repository "shop" at `repo_url` polled every 300 ms, with `projects`.
inline config::Config ShopConfig(const std::string& repo_url,
                                 std::vector<config::ProjectConfig> projects) {
  config::Config config;
  config::RepositoryConfig repository;
  repository.name = "shop";
  repository.url = repo_url;
  repository.ref = "main";
  repository.poll_interval = std::chrono::milliseconds(300);
  repository.projects = std::move(projects);
  config.repositories.push_back(std::move(repository));
  return config;
}

inline config::ProjectConfig Project(const std::string& name, const std::string& file) {
  config::ProjectConfig project;
  project.name = name;
  project.files = {file};
  return project;
}

class ServedController {
 public:
  // Starts moto, the controller (which begins polling) and the server on loopback ports.
  // Check ok() before use.
  ServedController(const config::Config& config, web::HttpServer::Options options)
      : metrics_("test", "") {
    auto targets = cli::ConnectAws(cli::AwsFlags{}, base::EnvFromMap(moto_.ClientEnv()));
    if (!targets.ok()) {
      error_ = targets.status().ToString();
      return;
    }
    controller::ControllerDeps deps;
    deps.git = &git_;
    deps.targets = *targets;
    deps.clock = base::SystemClock::Get();
    deps.metrics = &metrics_;
    controller_ = std::make_unique<controller::Controller>(config, deps);
    webhooks_ = std::make_unique<web::WebhookHandler>(
        *controller_, &metrics_, *base::SystemClock::Get(), web::WebhookHandler::Options{});
    options.listen = "127.0.0.1:0";
    options.admin_listen = "127.0.0.1:0";
    server_ = std::make_unique<web::HttpServer>(*controller_, *webhooks_, &metrics_, options);
    if (base::Status started = server_->Start(); !started.ok()) {
      error_ = started.ToString();
      return;
    }
    controller_->Start();
  }

  ~ServedController() {
    if (controller_) controller_->Stop();
    if (server_) server_->Stop();
  }

  ServedController(const ServedController&) = delete;
  ServedController& operator=(const ServedController&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Waits until project `key` has `condition` (at most `timeout`); `status` holds what was
  // seen last.
  ::testing::AssertionResult WaitFor(const std::string& key, controller::Condition condition,
                                     std::chrono::milliseconds timeout,
                                     controller::ProjectStatus* status) const {
    const bool reached = WaitUntil(
        [&] {
          return controller_->status().FindProject(key, status) && status->condition == condition;
        },
        timeout);
    if (reached) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << key << " is " << controller::ConditionName(status->condition) << ": "
           << status->reason;
  }

  // One request to the admin port with `token` as the bearer (none when empty); the whole
  // response, "" when the connection failed.
  std::string Send(const std::string& method, const std::string& path,
                   const std::string& token = "") const {
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: x\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    if (method == "POST") request += "Content-Length: 0\r\n";
    request += "\r\n";
    auto client = RawClient::Connect(server_->admin_port());
    if (!client || !client->Send(request)) return "";
    return client->ReadResponse(std::chrono::milliseconds(10000));
  }

  const MotoServer& moto() const { return moto_; }
  controller::Controller& controller() { return *controller_; }
  web::HttpServer& server() { return *server_; }
  metrics::Metrics& metrics() { return metrics_; }

 private:
  MotoServer moto_;
  TempDir work_;
  git::LibGit2Source git_{work_.path() + "/cache"};
  metrics::Metrics metrics_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<web::WebhookHandler> webhooks_;
  std::unique_ptr<web::HttpServer> server_;
  std::string error_;
};

}  // namespace ecsync::testing
