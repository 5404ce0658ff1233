// The status UI in headless Chromium against a real controller: moto as AWS, a real git
// repository polled for commits. tests/web/ui_browser.py drives the browser (the DevTools
// protocol over a pipe): the overview and project pages, a deploy arriving live, the
// operator buttons with a refused and an accepted token, and repository text (a service
// named like an <img> tag, a commit message holding <script>) rendered as text. The
// screenshots land in the build folder (ui-screenshots/).
//
// The operator API is another branch's work: until it is merged, a stand-in answers its
// routes through HttpServer::Options::admin_extension with the documented contract (202,
// or 401 with {"error": ...}). Once it is, drop OperatorStandIn and configure a token.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "base/env.h"
#include "cli/aws_setup.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "tests/support/support.h"
#include "web/http_server.h"

namespace ecsync::web {
namespace {

constexpr char kOperateToken[] = "operate-token";

std::string Chromium() {
  if (const char* path = std::getenv("ECSYNC_CHROMIUM")) return path;
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

// The operator API's contract, answered in memory; records what it accepted.
class OperatorStandIn {
 public:
  std::optional<server::Response> operator()(const server::Request& request) {
    if (request.method != "POST" || !request.path.starts_with("/api/v1/projects/")) {
      return std::nullopt;
    }
    const std::string* auth = request.Header("Authorization");
    server::Response response;
    response.content_type = "application/json";
    if (auth == nullptr || *auth != std::string("Bearer ") + kOperateToken) {
      response.status = 401;
      response.body = R"({"error":"a bearer token with the operate role is required"})";
      return response;
    }
    std::lock_guard<std::mutex> lock(mu_);
    accepted_.push_back(request.path);
    response.status = 202;
    response.body = R"({"status":"accepted"})";
    return response;
  }

  std::vector<std::string> accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> accepted_;
};

TEST(UiBrowser, OverviewProjectPageLiveUpdatesButtonsAndEscaping) {
  const std::string chromium = Chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/setup.sh)";
  }
  testing::MotoServer moto;
  testing::TempDir work;
  testing::GitRepo repo;
  repo.Write("compose.yaml", "services:\n  web:\n    image: nginx:1.27-alpine\n");
  repo.Write("bad/compose.yaml",
             "services:\n  \"<img src=x onerror=alert(1)>\":\n    image: nginx:1.27-alpine\n");
  repo.Commit("first <script>alert(1)</script>");

  auto targets = cli::ConnectAws(cli::AwsFlags{}, base::EnvFromMap(moto.ClientEnv()));
  ASSERT_TRUE(targets.ok()) << targets.status().message();
  git::LibGit2Source git(work.path() + "/cache");
  metrics::Metrics metrics("test", "");
  config::Config config;
  config::RepositoryConfig repository;
  repository.name = "shop";
  repository.url = repo.url();
  repository.ref = "main";
  repository.poll_interval = std::chrono::milliseconds(300);
  config::ProjectConfig web;
  web.name = "web";
  web.files = {"compose.yaml"};
  config::ProjectConfig bad;
  bad.name = "bad";
  bad.files = {"bad/compose.yaml"};
  repository.projects = {web, bad};
  config.repositories.push_back(repository);
  controller::ControllerDeps deps;
  deps.git = &git;
  deps.targets = *targets;
  deps.clock = base::SystemClock::Get();
  deps.metrics = &metrics;
  controller::Controller controller(config, deps);
  WebhookHandler webhooks(controller, &metrics, *base::SystemClock::Get(), {});
  OperatorStandIn stand_in;
  HttpServer::Options options;
  options.listen = "127.0.0.1:0";
  options.admin_listen = "127.0.0.1:0";
  options.version = "test <b>1</b>";
  options.admin_extension = [&](const server::Request& request) { return stand_in(request); };
  HttpServer server(controller, webhooks, &metrics, options);
  ASSERT_TRUE(server.Start().ok());
  controller.Start();
  controller::ProjectStatus status;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return controller.status().FindProject("shop/web", &status) &&
               status.condition == controller::Condition::kReady;
      },
      std::chrono::seconds(120)))
      << status.reason;

  // Beside the test binary: the build folder, however the test is started.
  const std::string shots =
      std::filesystem::read_symlink("/proc/self/exe").parent_path().string() + "/ui-screenshots";
  testing::CommandResult run = testing::RunCommand(
      {"python3", testing::SourceDir() + "/tests/web/ui_browser.py", chromium,
       "http://127.0.0.1:" + std::to_string(server.admin_port()), repo.path(), shots});
  controller.Stop();
  server.Stop();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(stand_in.accepted(), std::vector<std::string>{"/api/v1/projects/shop%2Fweb/reconcile"});
  for (const char* shot :
       {"overview-desktop.png", "overview-phone.png", "project-desktop.png", "project-phone.png"}) {
    EXPECT_TRUE(std::filesystem::exists(shots + "/" + shot)) << shot;
  }
}

}  // namespace
}  // namespace ecsync::web
