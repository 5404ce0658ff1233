// `ecsync serve` end to end: the real binary, repositories served by `git daemon`,
// moto_server as AWS, webhooks over real HTTP, and promtool on the metrics.

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "base/hash.h"
#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kSecret[] = "s3cret-hook";

std::string App(int replicas) {
  return "services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: " +
         std::to_string(replicas) + "\n";
}

class Serve : public ::testing::Test {
 protected:
  explicit Serve(const std::map<std::string, std::string>& moto_env = {}) : moto_(moto_env) {}

  // Creates the repository (its first commit holds App(1)) and the git daemon serving it.
  void SetUpRepository() {
    repo_ = std::make_unique<GitRepo>();
    repo_->Write("compose.yaml", App(1));
    first_ = repo_->Commit("first");
    std::string dir = repo_->path();
    auto slash = dir.rfind('/');
    daemon_ = std::make_unique<GitDaemon>(dir.substr(0, slash));
    url_ = daemon_->Url(dir.substr(slash + 1));
  }

  std::string Config(const std::string& poll_interval, const std::string& extra = "") {
    return "cache_dir: " + work_.path() + "/cache\n" +
           "webhooks:\n  secret: {env: HOOK_SECRET}\n  max_body_bytes: 64KiB\n"
           "  requests_per_second: 1000\n  burst: 1000\n" +
           extra + "repositories:\n  - name: app\n    url: " + url_ +
           "\n    branch: main\n    poll_interval: " + poll_interval +
           "\n    projects:\n      - name: web\n        files: [compose.yaml]\n        stack_name: "
           "app-web\n";
  }

  void StartServe(const std::string& config) {
    std::string path = work_.WriteFile("ecsync.yaml", config);
    std::remove((work_.path() + "/ports").c_str());
    auto env = moto_.ClientEnv();
    env["HOOK_SECRET"] = kSecret;
    serve_ = std::make_unique<Process>(
        std::vector<std::string>{EcsyncBinary(), "--log-format", "json", "serve", "--config", path,
                                 "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                                 "--port-file", work_.path() + "/ports"},
        env, work_.path() + "/serve.log");
    ASSERT_TRUE(WaitUntil(
        [&] {
          return std::ifstream(work_.path() + "/ports").good() ||
                 serve_->Wait(std::chrono::milliseconds(0)).has_value();
        },
        seconds(60)));
    ASSERT_TRUE(std::ifstream(work_.path() + "/ports").good()) << serve_->Log();
    std::ifstream ports(work_.path() + "/ports");
    int metrics_port = 0;
    ports >> port_ >> metrics_port >> admin_port_;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(30, 0);
    admin_ = std::make_unique<httplib::Client>("127.0.0.1", admin_port_);
    admin_->set_read_timeout(30, 0);
  }

  // The stack as DescribeStacks lists it; null when absent.
  json Stack(const std::string& name) {
    std::string out = moto_.Aws({"cloudformation", "describe-stacks"});
    if (out.empty()) return json();
    const json doc = json::parse(out);  // (a temporary in the range would dangle)
    for (const json& stack : doc["Stacks"]) {
      if (stack["StackName"] == name) return stack;
    }
    return json();
  }

  std::string StackStatus(const std::string& name) {
    json stack = Stack(name);
    return stack.is_null() ? "" : stack["StackStatus"].get<std::string>();
  }

  bool StackAt(const std::string& revision, const std::string& status_suffix = "_COMPLETE") {
    json stack = Stack("app-web");
    if (stack.is_null()) return false;
    std::string status = stack["StackStatus"];
    if (!status.ends_with(status_suffix) || status.starts_with("UPDATE_ROLLBACK")) return false;
    for (const json& tag : stack["Tags"]) {
      if (tag["Key"] == "ecsync:revision") return tag["Value"] == revision;
    }
    return false;
  }

  httplib::Result PostGitHub(const std::string& body, const std::string& delivery,
                             const std::string& secret = kSecret) {
    httplib::Headers headers = {
        {"X-GitHub-Event", "push"},
        {"X-GitHub-Delivery", delivery},
        {"X-Hub-Signature-256", "sha256=" + base::HexEncode(base::HmacSha256(secret, body))}};
    return client_->Post("/hooks/github", headers, body, "application/json");
  }

  std::string PushBody(const std::string& after, const std::string& url = "") {
    return json{{"ref", "refs/heads/main"},
                {"before", first_},
                {"after", after},
                {"repository",
                 {{"clone_url", url.empty() ? url_ : url}, {"ssh_url", "git@example.com:x/y.git"}}}}
        .dump();
  }

  // ecsync_reconciles_total summed over results for the project, from /metrics.
  double Reconciles() {
    auto res = admin_->Get("/metrics");
    if (!res || res->status != 200) return -1;
    std::regex line(R"re(ecsync_reconciles_total\{[^}]*project="app/web"[^}]*\} ([0-9.e+]+))re");
    double total = 0;
    for (std::sregex_iterator it(res->body.begin(), res->body.end(), line), end; it != end; ++it) {
      total += std::stod((*it)[1]);
    }
    return total;
  }

  json Status() {
    auto res = admin_->Get("/api/v1/status");
    if (!res || res->status != 200) return json();
    return json::parse(res->body);
  }

  MotoServer moto_;
  TempDir work_;
  std::unique_ptr<GitRepo> repo_;
  std::unique_ptr<GitDaemon> daemon_;
  std::string url_;
  std::string first_;
  std::unique_ptr<Process> serve_;
  std::unique_ptr<httplib::Client> client_;  // the public port: webhooks
  std::unique_ptr<httplib::Client> admin_;   // the admin port: health, metrics, status
  int port_ = 0;
  int admin_port_ = 0;
};

TEST_F(Serve, PushThenWebhookUpdatesTheStack) {
  SetUpRepository();
  StartServe(Config("0"));  // webhooks only, after the first check at start
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_); }, seconds(120))) << serve_->Log();

  repo_->Write("compose.yaml", App(2));
  std::string second = repo_->Commit("two replicas");
  auto res = PostGitHub(PushBody(second), "delivery-1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  ASSERT_TRUE(WaitUntil([&] { return StackAt(second); }, seconds(120))) << serve_->Log();
  EXPECT_EQ(StackStatus("app-web"), "UPDATE_COMPLETE");

  json status = Status();
  ASSERT_EQ(status["projects"].size(), 1u) << status.dump();
  EXPECT_EQ(status["projects"][0]["condition"]["type"], "Ready");
  EXPECT_EQ(status["projects"][0]["lastAppliedRevision"], second);
  EXPECT_EQ(status["repositories"][0]["lastFetchedCommit"], second);
  auto project = admin_->Get("/api/v1/projects/app%2Fweb");
  ASSERT_TRUE(project);
  EXPECT_GE(json::parse(project->body)["runs"].size(), 2u) << project->body;
}

TEST_F(Serve, PollingAlonePicksUpACommit) {
  SetUpRepository();
  StartServe(Config("300ms"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_); }, seconds(120))) << serve_->Log();
  repo_->Write("compose.yaml", App(3));
  std::string second = repo_->Commit("three replicas");
  EXPECT_TRUE(WaitUntil([&] { return StackAt(second); }, seconds(120))) << serve_->Log();
}

TEST_F(Serve, ABurstOfWebhooksCausesOneOrTwoReconciles) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_) && Reconciles() >= 1; }, seconds(120)))
      << serve_->Log();
  const double before = Reconciles();
  repo_->Write("compose.yaml", App(2));
  std::string second = repo_->Commit("two replicas");
  std::atomic<int> accepted{0};
  std::vector<std::thread> senders;
  senders.reserve(4);
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port_);
      for (int i = 0; i < 25; ++i) {
        std::string body = PushBody(second);
        httplib::Headers headers = {
            {"X-GitHub-Event", "push"},
            {"X-GitHub-Delivery", "burst-" + std::to_string(t) + "-" + std::to_string(i)},
            {"X-Hub-Signature-256", "sha256=" + base::HexEncode(base::HmacSha256(kSecret, body))}};
        auto res = client.Post("/hooks/github", headers, body, "application/json");
        if (res && res->status == 202) ++accepted;
      }
    });
  }
  for (auto& s : senders) s.join();
  EXPECT_EQ(accepted.load(), 100);
  ASSERT_TRUE(WaitUntil([&] { return StackAt(second); }, seconds(120))) << serve_->Log();
  // Let anything still queued finish, then count.
  ASSERT_TRUE(WaitUntil(
      [&] {
        json s = Status();
        return !s.is_null() && s["projects"][0]["condition"]["type"] == "Ready";
      },
      seconds(60)));
  const double runs = Reconciles() - before;
  EXPECT_GE(runs, 1);
  EXPECT_LE(runs, 2);
}

TEST_F(Serve, RefusedWebhooksChangeNothing) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_) && Reconciles() >= 1; }, seconds(120)))
      << serve_->Log();
  const double before = Reconciles();
  repo_->Write("compose.yaml", App(2));
  std::string second = repo_->Commit("two replicas");

  auto bad_signature = PostGitHub(PushBody(second), "d-1", "wrong-secret");
  ASSERT_TRUE(bad_signature);
  EXPECT_EQ(bad_signature->status, 401);
  EXPECT_EQ(bad_signature->body.find(kSecret), std::string::npos);

  auto unknown = PostGitHub(PushBody(second, "https://example.com/other/repo.git"), "d-2");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  std::string huge(size_t{100} * 1024, 'x');
  auto oversized = PostGitHub(huge, "d-3");
  ASSERT_TRUE(oversized);
  EXPECT_EQ(oversized->status, 413);

  auto malformed = PostGitHub("{not json", "d-4");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);

  httplib::Headers unsigned_generic = {{"Content-Type", "application/json"}};
  auto generic =
      client_->Post("/hooks/generic", unsigned_generic,
                    json{{"repository", url_}, {"ref", "main"}}.dump(), "application/json");
  ASSERT_TRUE(generic);
  EXPECT_EQ(generic->status, 401);

  // Nothing was fetched or deployed: the stack and the counters stay where they were.
  json status = Status();
  EXPECT_EQ(status["repositories"][0]["lastFetchedCommit"], first_);
  EXPECT_EQ(Reconciles(), before);
  EXPECT_TRUE(StackAt(first_));

  // The refusals are counted by result.
  auto metrics = admin_->Get("/metrics");
  ASSERT_TRUE(metrics);
  for (const char* result : {"unauthorized", "unknown_repository", "too_large", "bad_request"}) {
    EXPECT_NE(metrics->body.find("result=\"" + std::string(result) + "\""), std::string::npos)
        << result;
  }
}

TEST_F(Serve, GenericWebhookFromCiTriggersADeploy) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_); }, seconds(120))) << serve_->Log();
  repo_->Write("compose.yaml", App(2));
  std::string second = repo_->Commit("two replicas");
  std::string body = json{{"repository", url_}, {"ref", "main"}, {"commit", second}}.dump();
  httplib::Headers headers = {
      {"X-Signature", "sha256=" + base::HexEncode(base::HmacSha256(kSecret, body))}};
  auto res = client_->Post("/hooks/generic", headers, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_TRUE(WaitUntil([&] { return StackAt(second); }, seconds(120))) << serve_->Log();
}

TEST_F(Serve, EndpointsAnswerAndMetricsPassPromtool) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_); }, seconds(120))) << serve_->Log();
  ASSERT_TRUE(WaitUntil([&] {
    auto r = admin_->Get("/readyz");
    return r && r->status == 200;
  }));
  auto health = admin_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto page = admin_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  // The public port serves webhooks only.
  for (const char* path : {"/metrics", "/api/v1/status", "/", "/healthz", "/readyz"}) {
    auto hidden = client_->Get(path);
    ASSERT_TRUE(hidden) << path;
    EXPECT_EQ(hidden->status, 404) << path;
  }
  // The page is the status UI's shell; the projects come from the status JSON.
  EXPECT_NE(page->body.find("/ui/app.js"), std::string::npos);
  auto status = admin_->Get("/api/v1/status");
  ASSERT_TRUE(status);
  EXPECT_NE(status->body.find("app/web"), std::string::npos);

  auto metrics = admin_->Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  for (const char* family :
       {"ecsync_build_info", "ecsync_reconciles_total", "ecsync_reconcile_duration_seconds",
        "ecsync_git_fetch_duration_seconds", "ecsync_aws_requests_total", "ecsync_stack_status",
        "ecsync_project_condition", "ecsync_queue_depth"}) {
    EXPECT_NE(metrics->body.find(family), std::string::npos) << family;
  }
  EXPECT_NE(metrics->body.find("service=\"CloudFormation\""), std::string::npos);
  EXPECT_EQ(metrics->body.find(kSecret), std::string::npos);
  std::string path = work_.WriteFile("metrics.txt", metrics->body);
  CommandResult lint = RunCommand({"sh", "-c", "promtool check metrics < " + path});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "");
  // Logs are JSON lines with fields, and carry no secret.
  std::string log = serve_->Log();
  EXPECT_EQ(log.find(kSecret), std::string::npos);
  EXPECT_NE(log.find("\"project\":\"app/web\""), std::string::npos) << log;
}

TEST_F(Serve, SighupReloadsAndABadReloadKeepsTheRunningConfig) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_); }, seconds(120))) << serve_->Log();
  // A broken file: the controller keeps running with the old configuration.
  work_.WriteFile("ecsync.yaml", "repositories: [oops\n");
  serve_->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] { return serve_->Log().find("reload failed") != std::string::npos; }))
      << serve_->Log();
  auto health = admin_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // A good file with a second project: it is deployed without a restart.
  repo_->Write("api/compose.yaml", App(1));
  repo_->Commit("api");
  std::string config = Config("0");
  config += "      - name: api\n        files: [api/compose.yaml]\n        stack_name: app-api\n";
  work_.WriteFile("ecsync.yaml", config);
  serve_->Signal(SIGHUP);
  EXPECT_TRUE(WaitUntil([&] { return StackStatus("app-api") == "CREATE_COMPLETE"; }, seconds(120)))
      << serve_->Log();
}

// A reload applies new notification settings: a generic webhook added to the file receives
// the next deploy's events, signed with the new secret, without a restart.
TEST_F(Serve, SighupAppliesNewNotificationSettings) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_); }, seconds(120))) << serve_->Log();

  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> received;  // event, "valid" signature
  httplib::Server receiver;
  receiver.Post("/ecsync", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard<std::mutex> lock(mu);
    // The signature the new secret gives this body.
    received.emplace_back(
        request.get_header_value("X-Ecsync-Event"),
        request.get_header_value("X-Signature") ==
                "sha256=" + base::HexEncode(base::HmacSha256("n0tify", request.body))
            ? "valid"
            : "invalid");
    response.status = 204;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  struct Joiner {
    httplib::Server& server;
    std::thread& thread;
    ~Joiner() {
      server.stop();
      thread.join();
    }
  } joiner{receiver, serving};
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/ecsync";
  work_.WriteFile("notify-secret", "n0tify");
  work_.WriteFile("notify-url", url);
  const std::string dir = work_.path();
  work_.WriteFile(
      "ecsync.yaml",
      Config("0", "notifications:\n  - name: audit\n    type: webhook\n    url: {file: " + dir +
                      "/notify-url}\n    secret: {file: " + dir +
                      "/notify-secret}\n    events: [deploy_started, deploy_succeeded]\n"));
  serve_->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return serve_->Log().find("notification settings reloaded") != std::string::npos;
  })) << serve_->Log();

  repo_->Write("compose.yaml", App(2));
  const std::string second = repo_->Commit("two replicas");
  ASSERT_TRUE(PostGitHub(PushBody(second), "reload-1"));
  ASSERT_TRUE(WaitUntil([&] { return StackAt(second); }, seconds(120))) << serve_->Log();
  EXPECT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [event, signature] : received) {
      if (event == "deploy_succeeded") return true;
    }
    return false;
  })) << serve_->Log();
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [event, signature] : received) {
    EXPECT_EQ(signature, "valid") << event;
  }
  EXPECT_EQ(serve_->Log().find("n0tify"), std::string::npos);  // the secret is never logged
}

// Creates that moto reports CREATE_IN_PROGRESS until the test finishes them (finish-creates):
// the window outlasts any restart however slow the machine, and only bounds a test that
// fails before it finishes them.
class SlowServe : public Serve {
 protected:
  SlowServe() : Serve({{"ECSYNC_MOTO_SLOW_CREATE_SECONDS", "600"}}) {}
  void FinishCreates() { moto_.Control("/moto-api/ecsync/cloudformation/finish-creates", "{}"); }
};

TEST_F(SlowServe, SigtermDuringADeployLeavesAStateTheNextStartResumes) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(
      WaitUntil([&] { return StackStatus("app-web") == "CREATE_IN_PROGRESS"; }, seconds(60)))
      << serve_->Log();
  serve_->Signal(SIGTERM);
  auto code = serve_->Wait(seconds(30));
  ASSERT_TRUE(code.has_value()) << serve_->Log();
  EXPECT_EQ(*code, 0) << serve_->Log();
  // The create goes on in CloudFormation; nothing was deleted.
  EXPECT_NE(StackStatus("app-web"), "");
  EXPECT_NE(StackStatus("app-web").find("CREATE"), std::string::npos);

  StartServe(Config("0"));
  // The next start finds the create still running and waits on it.
  EXPECT_TRUE(
      WaitUntil([&] { return serve_->Log().find("waiting for it to finish") != std::string::npos; },
                seconds(60)))
      << serve_->Log();
  FinishCreates();
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_, "CREATE_COMPLETE"); }, seconds(120)))
      << serve_->Log();
  json stacks = json::parse(moto_.Aws({"cloudformation", "describe-stacks"}));
  EXPECT_EQ(stacks["Stacks"].size(), 1u);
}

TEST_F(SlowServe, KillNineDuringACreateThenRestartLeavesExactlyOneStack) {
  SetUpRepository();
  StartServe(Config("0"));
  ASSERT_TRUE(
      WaitUntil([&] { return StackStatus("app-web") == "CREATE_IN_PROGRESS"; }, seconds(60)))
      << serve_->Log();
  serve_->Signal(SIGKILL);
  ASSERT_TRUE(serve_->Wait(seconds(10)).has_value());
  StartServe(Config("0"));
  // The restarted process adopts the create in progress (waits on it), never starts another.
  EXPECT_TRUE(
      WaitUntil([&] { return serve_->Log().find("waiting for it to finish") != std::string::npos; },
                seconds(60)))
      << serve_->Log();
  FinishCreates();
  ASSERT_TRUE(WaitUntil([&] { return StackAt(first_, "CREATE_COMPLETE"); }, seconds(120)))
      << serve_->Log();
  json stacks = json::parse(moto_.Aws({"cloudformation", "describe-stacks"}));
  EXPECT_EQ(stacks["Stacks"].size(), 1u);
}

}  // namespace
}  // namespace ecsync::testing
