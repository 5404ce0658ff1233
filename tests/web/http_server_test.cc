// The controller's HTTP endpoints over real sockets: which listener serves what, and that
// slow, idle and oversized clients on the public port neither stop webhooks nor health
// probes, nor make memory grow.

#include "web/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/stack_files.h"
#include "base/hash.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "tests/server/raw_client.h"
#include "tests/support/log_capture.h"
#include "tests/support/silent_server.h"
#include "tests/support/support.h"
#include "tests/webhook/webhook_payloads.h"
#include "web/peer_auth.h"

namespace ecsync::controller {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::StatusOf;

constexpr char kSecret[] = "hook-secret";
constexpr char kUrl[] = "https://git.example.com/acme/app.git";

// Replica a's coordination status (cli::Replica::StatusJson): 2 of 8 shards, 4 replicas.
nlohmann::ordered_json ReplicaA(bool healthy) {
  nlohmann::ordered_json doc;
  doc["replica_id"] = "replica-a";
  doc["healthy"] = healthy;
  doc["reason"] = healthy ? "" : "DynamoDB unreachable: connection refused";
  doc["shards"] = 8;
  doc["owned_shards"] = {1, 5};
  doc["fair_share"] = 2;
  doc["live_replicas"] = 4;
  return doc;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest()
      : git_(work_.path() + "/cache"),
        stacks_(work_.path() + "/stacks", *base::SystemClock::Get()),
        metrics_("test", "") {
    config::Config config;
    config::RepositoryConfig repo;
    repo.name = "app";
    repo.url = kUrl;
    repo.ref = "main";
    config::ProjectConfig project;
    project.name = "web";
    project.files = {"compose.yaml"};
    repo.projects.push_back(project);
    config.repositories.push_back(repo);
    config.webhooks.secret = kSecret;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &stacks_;
    deps.clock = base::SystemClock::Get();
    deps.metrics = &metrics_;
    config_ = config;
    controller_ = std::make_unique<Controller>(config, deps);  // not started: no polling
    web::WebhookHandler::Options hooks;
    hooks.max_body_bytes = size_t{64} * 1024;
    hooks.requests_per_second = 1000;
    hooks.burst = 1000;
    webhooks_ = std::make_unique<web::WebhookHandler>(*controller_, &metrics_,
                                                      *base::SystemClock::Get(), hooks);
  }

  void Start(web::HttpServer::Options options = {}) {
    options.listen = "127.0.0.1:0";
    options.admin_listen = "127.0.0.1:0";
    server_ = std::make_unique<web::HttpServer>(*controller_, *webhooks_, &metrics_, options);
    ASSERT_TRUE(server_->Start().ok());
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  // One request on a new connection; the response, or "" when none came within `timeout`.
  static std::string Request(int port, const std::string& request,
                             milliseconds timeout = milliseconds(2000),
                             const std::string& source = "127.0.0.1") {
    auto client = RawClient::Connect(port, source);
    if (!client || !client->Send(request)) return "";
    return client->ReadResponse(timeout);
  }

  static std::string Get(int port, const std::string& path,
                         milliseconds timeout = milliseconds(2000)) {
    return Request(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", timeout);
  }

  // A GitHub push to main of the configured repository, signed with its secret.
  static std::string SignedPush(const std::string& delivery) {
    const std::string body = nlohmann::json{
        {"ref", "refs/heads/main"},
        {"after", std::string(40, 'a')},
        {"repository",
         {{"clone_url", kUrl}}}}.dump();
    return "POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "X-GitHub-Event: push\r\nX-GitHub-Delivery: " +
           delivery +
           "\r\nX-Hub-Signature-256: sha256=" + base::HexEncode(base::HmacSha256(kSecret, body)) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  testing::TempDir work_;
  config::Config config_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  metrics::Metrics metrics_;
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<web::WebhookHandler> webhooks_;
  std::unique_ptr<web::HttpServer> server_;
};

TEST_F(HttpServerTest, AReplicaShowsItsSharesAndIsNotReadyWhileCutOffFromTheTable) {
  std::atomic<bool> healthy{false};
  web::HttpServer::Options options;
  options.replica_status = [&healthy] { return ReplicaA(healthy.load()); };
  Start(options);
  const std::string cut_off = Get(server_->admin_port(), "/readyz");
  EXPECT_EQ(StatusOf(cut_off), 503);
  EXPECT_NE(cut_off.find("coordination unhealthy: DynamoDB unreachable"), std::string::npos)
      << cut_off;
  healthy = true;
  // Healthy, but its repositories were never checked (the controller is not started).
  const std::string waiting = Get(server_->admin_port(), "/readyz");
  EXPECT_EQ(StatusOf(waiting), 503);
  EXPECT_NE(waiting.find("waiting for the first check"), std::string::npos) << waiting;
  const std::string status = Get(server_->admin_port(), "/api/v1/status");
  ASSERT_EQ(StatusOf(status), 200);
  const nlohmann::json doc = nlohmann::json::parse(testing::BodyOf(status));
  EXPECT_EQ(doc["replica"]["replica_id"], "replica-a");
  EXPECT_EQ(doc["replica"]["owned_shards"], nlohmann::json({1, 5}));
  EXPECT_EQ(doc["replica"]["live_replicas"], 4);
}

// Ready once every repository was checked, and from then on: a repository added by a reload
// (as the repositories of a shard taken over) is caught up while ready, and the body and
// ecsync_repositories_unchecked say how many are left.
TEST_F(HttpServerTest, ReadinessOnceReachedHoldsWhileRepositoriesAddedLaterAreCaughtUp) {
  std::atomic<bool> healthy{true};
  web::HttpServer::Options options;
  options.replica_status = [&healthy] { return ReplicaA(healthy.load()); };
  Start(options);
  EXPECT_EQ(StatusOf(Get(server_->admin_port(), "/readyz")), 503);
  controller_->Start();  // the configured host does not resolve: a failed check is a check
  std::string ready;
  EXPECT_TRUE(testing::WaitUntil([&] {
    ready = Get(server_->admin_port(), "/readyz");
    return StatusOf(ready) == 200;
  })) << ready;
  EXPECT_NE(ready.find("ready: replica replica-a owns 2 of 8 shards"), std::string::npos) << ready;
  EXPECT_EQ(ready.find("catching up"), std::string::npos) << ready;

  // A git host that accepts the connection and never answers: the new repository's check
  // hangs until the host closes.
  testing::SilentServer silent;
  config::Config reloaded = config_;
  config::RepositoryConfig late = reloaded.repositories[0];
  late.name = "late";
  late.url = silent.url();
  reloaded.repositories.push_back(late);
  controller_->Reload(reloaded);
  EXPECT_EQ(controller_->UncheckedRepositories(), 1u);
  ready = Get(server_->admin_port(), "/readyz");
  EXPECT_EQ(StatusOf(ready), 200) << ready;
  EXPECT_NE(ready.find("catching up: 1 repositories not checked yet"), std::string::npos) << ready;
  const std::string metrics = Get(server_->admin_port(), "/metrics");
  EXPECT_NE(metrics.find("ecsync_repositories_unchecked 1"), std::string::npos) << metrics;
  // Cut off from the table it is not ready, whatever it checked.
  healthy = false;
  EXPECT_EQ(StatusOf(Get(server_->admin_port(), "/readyz")), 503);
  healthy = true;

  silent.Close();  // the hung check fails: checked
  EXPECT_TRUE(testing::WaitUntil([&] { return controller_->UncheckedRepositories() == 0; }));
  ready = Get(server_->admin_port(), "/readyz");
  EXPECT_EQ(StatusOf(ready), 200) << ready;
  EXPECT_EQ(ready.find("catching up"), std::string::npos) << ready;
  controller_->Stop();
}

// Another replica's requests: signed with the table's peer secret, or refused before anything
// is read; a signed trigger checks the named configured repositories and nothing else.
TEST_F(HttpServerTest, TheInternalEndpointsAnswerOnlySignedRequestsFromReplicas) {
  const std::string secret(64, 'f');
  web::HttpServer::Options options;
  options.peers = [&secret] {
    web::PeerView view;
    view.self = "replica-a";
    view.secret = secret;
    return view;
  };
  Start(options);
  const int port = server_->admin_port();
  const std::string body = R"({"repositories":["app","not-configured"]})";
  auto post = [&](const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string request = "POST /internal/v1/trigger HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    return Request(port, request + "\r\n" + body);
  };
  testing::LogCapture log;
  const auto now = std::chrono::system_clock::now();
  const std::string unsigned_answer = post({});
  EXPECT_EQ(StatusOf(unsigned_answer), 401) << unsigned_answer;
  EXPECT_EQ(
      StatusOf(post(web::PeerHeaders("wrong-secret", "POST", "/internal/v1/trigger", body, now))),
      401);
  EXPECT_EQ(StatusOf(post(web::PeerHeaders(secret, "POST", "/internal/v1/trigger", body,
                                           now - std::chrono::hours(1)))),
            401);
  EXPECT_EQ(log.text().find("check requested by another replica"), std::string::npos);

  const std::string accepted =
      post(web::PeerHeaders(secret, "POST", "/internal/v1/trigger", body, now));
  ASSERT_EQ(StatusOf(accepted), 202) << accepted;
  EXPECT_EQ(nlohmann::json::parse(testing::BodyOf(accepted))["repositories"],
            nlohmann::json({"app"}));
  EXPECT_NE(log.text().find("check requested by another replica"), std::string::npos);

  // The status a peer merges: this replica's own document.
  std::string get = "GET /internal/v1/status HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(StatusOf(Request(port, get + "\r\n")), 401);
  for (const auto& [name, value] :
       web::PeerHeaders(secret, "GET", "/internal/v1/status", "", now)) {
    get += name + ": " + value + "\r\n";
  }
  const std::string status = Request(port, get + "\r\n");
  ASSERT_EQ(StatusOf(status), 200) << status;
  EXPECT_EQ(nlohmann::json::parse(testing::BodyOf(status))["repositories"][0]["name"], "app");
}

TEST_F(HttpServerTest, WithoutReplicasThereIsNoInternalEndpoint) {
  Start();
  EXPECT_EQ(StatusOf(Get(server_->admin_port(), "/internal/v1/status")), 404);
}

TEST_F(HttpServerTest, ThePublicPortServesOnlyWebhooks) {
  Start();
  for (const char* path : {"/metrics", "/api/v1/status", "/", "/healthz", "/readyz"}) {
    EXPECT_EQ(StatusOf(Get(server_->port(), path)), 404) << path;
    const int admin_status = std::string(path) == "/readyz" ? 503 : 200;  // never polled yet
    EXPECT_EQ(StatusOf(Get(server_->admin_port(), path)), admin_status) << path;
  }
  EXPECT_EQ(StatusOf(Request(server_->port(), SignedPush("d-1"))), 202);
  EXPECT_EQ(StatusOf(Get(server_->port(), "/hooks/github")), 405);
  EXPECT_EQ(StatusOf(Request(server_->admin_port(), SignedPush("d-2"))), 404);
  const std::string metrics = Get(server_->admin_port(), "/metrics");
  EXPECT_NE(
      metrics.find("ecsync_webhook_requests_total{provider=\"github\",result=\"accepted\"} 1"),
      std::string::npos)
      << metrics;
}

TEST_F(HttpServerTest, SlowAndIdleClientsStopNeitherWebhooksNorHealthProbes) {
  web::HttpServer::Options options;
  options.request_timeout = milliseconds(30'000);  // outlasts the test: no help from it
  Start(options);
  // 16 clients sending one header line every 100 ms, and 500 that send nothing.
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(RawClient::Connect(server_->port(), "127.0.0.2"));
    ASSERT_TRUE(slow.back() && slow.back()->Send("POST /hooks/github HTTP/1.1\r\n"));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done.load()) {
      for (auto& client : slow) client->Send("X-Slow: 1\r\n");
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(RawClient::Connect(server_->port(), "127.0.1." + std::to_string(1 + i / 50)));
    ASSERT_TRUE(idle.back());
  }
  for (int i = 0; i < 10; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(StatusOf(Get(server_->admin_port(), "/healthz", milliseconds(1000))), 200) << i;
    EXPECT_EQ(StatusOf(Request(server_->port(), SignedPush("slow-" + std::to_string(i)),
                               milliseconds(1000))),
              202)
        << i;
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  }
  done.store(true);
  trickle.join();
}

TEST_F(HttpServerTest, TooManyOrTooLargeHeadersGet431AndMemoryStaysBounded) {
  Start();
  std::string many = "POST /hooks/github HTTP/1.1\r\n";
  for (int i = 0; i < 100'000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(StatusOf(Request(server_->port(), many, milliseconds(3000))), 431);
  std::string large = "POST /hooks/github HTTP/1.1\r\n";
  for (int i = 0; i < 2'000; ++i) {
    large += "X-" + std::to_string(i) + ": " + std::string(8000, 'v') + "\r\n";
  }
  EXPECT_EQ(StatusOf(Request(server_->port(), large, milliseconds(3000))), 431);

  // Four clients at once, each trying to send 64 MB of headers in lines just under 8 KB
  // (cpp-httplib took them all: 17 MiB of RSS became 386 MiB).
  const long before = testing::ResidentKiB();
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  senders.reserve(4);
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&, i] {
      auto client = RawClient::Connect(server_->port(), "127.0.0." + std::to_string(30 + i));
      client->Send("POST /hooks/github HTTP/1.1\r\n");
      const std::string line = "X-Big: " + std::string(8000, 'b') + "\r\n";
      for (int sent = 0; sent < 8 * 1024 && client->Send(line); ++sent) {
      }
      if (StatusOf(client->ReadResponse(milliseconds(3000))) == 431) ++refused;
    });
  }
  for (std::thread& sender : senders) sender.join();
  EXPECT_EQ(refused.load(), 4);
  EXPECT_LT(testing::ResidentKiB() - before, 32 * 1024) << "RSS was " << before << " KiB";
  const std::string metrics = Get(server_->admin_port(), "/metrics");
  EXPECT_NE(metrics.find("ecsync_http_refused_total{listener=\"public\","
                         "reason=\"headers_too_large\"} 6"),
            std::string::npos)
      << metrics;
}

// GitHub's default content type: the push as a form field, signed over the raw form. Real
// pushes are 10-12 KB that way; the former HTTP library refused any form over 8 KiB.
TEST_F(HttpServerTest, AGitHubFormDeliveryOfTwelveKilobytesIsAccepted) {
  Start();
  std::string json = webhook::payloads::GitHubPushWithCommits(60);
  const std::string needle = "https://github.com/Acme/Shop.git";
  json.replace(json.find(needle), needle.size(), kUrl);  // the configured repository
  const std::string form = "payload=" + webhook::payloads::FormEncode(json);
  ASSERT_GT(form.size(), 12'000u);
  const std::string request =
      "POST /hooks/github HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nX-GitHub-Event: push\r\n"
      "X-GitHub-Delivery: form-1\r\nX-Hub-Signature-256: sha256=" +
      webhook::payloads::Sign(kSecret, form) +
      "\r\nContent-Length: " + std::to_string(form.size()) + "\r\n\r\n" + form;
  const std::string response = Request(server_->port(), request);
  EXPECT_EQ(StatusOf(response), 202) << response;
}

TEST_F(HttpServerTest, AWebhookBodyOverTheLimitIs413BeforeItIsSent) {
  Start();
  auto client = RawClient::Connect(server_->port());
  ASSERT_TRUE(client->Send("POST /hooks/github HTTP/1.1\r\nContent-Length: 50000000\r\n\r\n"));
  const std::string response = client->ReadResponse(milliseconds(2000));
  EXPECT_EQ(StatusOf(response), 413) << response;
  EXPECT_NE(response.find(R"("status":"too_large")"), std::string::npos) << response;
}

TEST_F(HttpServerTest, AWholeRequestMustArriveWithinTheDeadline) {
  web::HttpServer::Options options;
  options.request_timeout = milliseconds(500);
  Start(options);
  auto client = RawClient::Connect(server_->port());
  ASSERT_TRUE(client->Send("POST /hooks/github HTTP/1.1\r\n"));
  const auto start = std::chrono::steady_clock::now();
  while (!client->closed() && std::chrono::steady_clock::now() - start < milliseconds(6000)) {
    if (!client->Send("X-Trickle: 1\r\n")) break;
    client->ClosedWithin(milliseconds(100));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  EXPECT_EQ(StatusOf(client->ReadResponse(milliseconds(1000))), 408);
}

TEST_F(HttpServerTest, ConnectionsPerClientAreLimited) {
  web::HttpServer::Options options;
  options.max_connections_per_client = 8;
  Start(options);
  std::vector<std::unique_ptr<RawClient>> held;
  held.reserve(8);
  for (int i = 0; i < 8; ++i) held.push_back(RawClient::Connect(server_->port(), "127.0.0.9"));
  EXPECT_EQ(StatusOf(Request(server_->port(), SignedPush("x"), milliseconds(2000), "127.0.0.9")),
            503);
  EXPECT_EQ(StatusOf(Request(server_->port(), SignedPush("y"))), 202);
}

TEST_F(HttpServerTest, TheStatusApiAnswers304WhileItsVersionHolds) {
  Start();
  const std::string first = Get(server_->admin_port(), "/api/v1/status");
  ASSERT_EQ(StatusOf(first), 200);
  const size_t at = first.find("ETag: ");
  ASSERT_NE(at, std::string::npos) << first;
  const std::string etag = first.substr(at + 6, first.find("\r\n", at) - at - 6);
  const std::string conditional =
      "GET /api/v1/status HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\n\r\n";
  EXPECT_EQ(StatusOf(Request(server_->admin_port(), conditional)), 304);
  controller_->Reload(config_);  // a change: a new version
  EXPECT_EQ(StatusOf(Request(server_->admin_port(), conditional)), 200);
}

TEST_F(HttpServerTest, TheUiRoutesCarryTheSecurityHeaders) {
  Start();
  for (const char* path : {"/", "/projects/app%2Fweb", "/ui/app.js", "/ui/app.css",
                           "/api/v1/status", "/api/v1/projects/app%2Fnone/details"}) {
    const std::string response = Get(server_->admin_port(), path);
    EXPECT_NE(response.find("Content-Security-Policy: default-src 'self'"), std::string::npos)
        << path;
    EXPECT_NE(response.find("X-Content-Type-Options: nosniff"), std::string::npos) << path;
  }
  const std::string missing = Get(server_->admin_port(), "/api/v1/projects/app%2Fnone/details");
  EXPECT_EQ(StatusOf(missing), 404);
  EXPECT_EQ(nlohmann::json::parse(testing::BodyOf(missing))["error"], "no project app/none");
  // Without api.tokens the operator actions are refused.
  EXPECT_EQ(StatusOf(Request(server_->admin_port(),
                             "POST /api/v1/projects/app%2Fweb/reconcile HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 0\r\n\r\n")),
            403);
  EXPECT_EQ(StatusOf(Get(server_->port(), "/ui/app.js")), 404);  // never on the public port
}

TEST_F(HttpServerTest, EventStreamsCarryStatusChangesUpToTheCap) {
  Start();
  std::vector<std::unique_ptr<RawClient>> streams;
  for (size_t i = 0; i < web::HttpServer::kMaxEventStreams; ++i) {
    auto client = RawClient::Connect(server_->admin_port());
    ASSERT_TRUE(client->Send("GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(client->ReadUntil("text/event-stream", milliseconds(2000))) << i;
    streams.push_back(std::move(client));
  }
  EXPECT_EQ(StatusOf(Get(server_->admin_port(), "/api/v1/events")), 503);
  // Ordinary requests are still served: streams hold no worker.
  EXPECT_EQ(StatusOf(Get(server_->admin_port(), "/healthz")), 200);
  const uint64_t version = controller_->status().version();
  controller_->Reload(config_);
  const std::string expected =
      "data: {\"version\":" + std::to_string(version + 1) +
      ",\"key\":\"\",\"project\":null,\"repository\":\"";  // the repository's row follows
  EXPECT_TRUE(streams.front()->ReadUntil(expected, milliseconds(2000)));
  EXPECT_TRUE(streams.back()->ReadUntil(expected, milliseconds(2000)));
}

}  // namespace
}  // namespace ecsync::controller
