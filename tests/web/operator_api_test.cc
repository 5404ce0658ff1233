// The operator API over real sockets, on a controller over a real git repository and the
// stack-files target: bearer tokens and roles, the answers' codes, each action's effect,
// what is logged and counted.

#include "web/operator_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "base/hash.h"
#include "cli/approve_command.h"
#include "tests/controller/operator_fixture.h"
#include "tests/server/raw_client.h"
#include "tests/support/log_capture.h"
#include "web/http_server.h"
#include "web/webhook_handler.h"

namespace ecsync::controller::testing {
namespace {

using ::ecsync::testing::BodyOf;
using ::ecsync::testing::RawClient;
using ::ecsync::testing::StatusOf;
using ::ecsync::testing::WaitUntil;

constexpr char kOperateToken[] = "alice-operate-0123456789abcdef";
constexpr char kReadToken[] = "robot-read-0123456789abcdef";

config::ApiConfig Tokens(bool open_reads = false) {
  config::ApiConfig api;
  api.open_reads = open_reads;
  api.tokens.push_back(
      {.name = "alice", .sha256 = base::Sha256(kOperateToken), .role = config::ApiRole::kOperate});
  api.tokens.push_back(
      {.name = "robot", .sha256 = base::Sha256(kReadToken), .role = config::ApiRole::kRead});
  return api;
}

TEST(BearerToken, TakesTheBearerSchemeInAnyCase) {
  EXPECT_EQ(web::BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(web::BearerToken("bearer   abc "), "abc");
  EXPECT_EQ(web::BearerToken("BEARER abc"), "abc");
  EXPECT_FALSE(web::BearerToken("Basic YWxpY2U6cHc="));
  EXPECT_FALSE(web::BearerToken("Bearer "));
  EXPECT_FALSE(web::BearerToken("Bearerabc"));
  EXPECT_FALSE(web::BearerToken(""));
}

TEST(FindToken, HashesTheTokenAndComparesWithEveryEntry) {
  config::ApiConfig api = Tokens();
  const config::ApiToken* alice = web::FindToken(api, kOperateToken);
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(web::FindToken(api, kReadToken)->name, "robot");
  EXPECT_EQ(web::FindToken(api, "guess"), nullptr);
  EXPECT_EQ(web::FindToken(api, base::Sha256(kOperateToken)), nullptr);  // the digest is no token
  EXPECT_EQ(web::FindToken(api, base::Sha256Hex(kOperateToken)), nullptr);
  // Two entries with one digest (the configuration refuses this): the search does not stop
  // at the first match, so the last one is what it ends with.
  api.tokens.push_back(
      {.name = "twin", .sha256 = base::Sha256(kOperateToken), .role = config::ApiRole::kRead});
  EXPECT_EQ(web::FindToken(api, kOperateToken)->name, "twin");
}

class OperatorApiTest : public OperatorFixture {
 protected:
  void Start(config::ApiConfig api = Tokens(), std::optional<config::Config> config = {}) {
    if (config) {
      StartController(*config, /*wait_for_stacks=*/false);
    } else {
      StartController(MakeConfig());
    }
    webhooks_ = std::make_unique<web::WebhookHandler>(
        *controller_, &metrics_, *base::SystemClock::Get(), web::WebhookHandler::Options{});
    web::HttpServer::Options options;
    options.listen = "127.0.0.1:0";
    options.admin_listen = "127.0.0.1:0";
    options.api = std::move(api);
    server_ = std::make_unique<web::HttpServer>(*controller_, *webhooks_, &metrics_, options);
    ASSERT_TRUE(server_->Start().ok());
  }

  void TearDown() override {
    if (server_) server_->Stop();
    OperatorFixture::TearDown();
  }

  // One request to the admin port; the whole response.
  std::string Send(const std::string& method, const std::string& path,
                   const std::string& token = "", const std::string& body = "") {
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: x\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    if (method == "POST" || !body.empty()) {
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    auto client = RawClient::Connect(server_->admin_port());
    if (!client || !client->Send(request)) return "";
    return client->ReadResponse(std::chrono::milliseconds(5000));
  }

  static nlohmann::json JsonOf(const std::string& response) {
    return nlohmann::json::parse(BodyOf(response), nullptr, /*allow_exceptions=*/false);
  }

  std::unique_ptr<web::WebhookHandler> webhooks_;
  std::unique_ptr<web::HttpServer> server_;
};

TEST_F(OperatorApiTest, ReadsNeedAReadOrOperateToken) {
  Start();
  // Every read under /api/; the UI's page itself holds no data and asks for a token.
  for (const char* path : {"/api/v1/status", "/api/v1/projects/shop%2Fweb",
                           "/api/v1/projects/shop%2Fweb/details", "/api/v1/events"}) {
    const std::string anonymous = Send("GET", path);
    EXPECT_EQ(StatusOf(anonymous), 401) << path;
    EXPECT_NE(anonymous.find("WWW-Authenticate: Bearer realm=\"ecsync\"\r\n"), std::string::npos)
        << anonymous;
    const std::string wrong = Send("GET", path, "not-a-token");
    EXPECT_EQ(StatusOf(wrong), 401) << path;
    EXPECT_NE(wrong.find("error=\"invalid_token\""), std::string::npos) << wrong;
    EXPECT_EQ(StatusOf(Send("GET", path, kReadToken)), 200) << path;
    EXPECT_EQ(StatusOf(Send("GET", path, kOperateToken)), 200) << path;
  }
  EXPECT_EQ(JsonOf(Send("GET", "/api/v1/status")).value("error", ""),
            "this endpoint needs Authorization: Bearer <token> (see api.tokens)");
  // Health and metrics stay open for probes and Prometheus.
  EXPECT_EQ(StatusOf(Send("GET", "/healthz")), 200);
  EXPECT_EQ(StatusOf(Send("GET", "/metrics")), 200);
}

TEST_F(OperatorApiTest, AProjectIsNamedEncodedOrAsTwoSegments) {
  Start();
  const nlohmann::json encoded = JsonOf(Send("GET", "/api/v1/projects/shop%2Fweb", kReadToken));
  EXPECT_EQ(encoded.value("key", ""), "shop/web");
  EXPECT_EQ(encoded.value("stack", ""), "shop-web");
  EXPECT_EQ(JsonOf(Send("GET", "/api/v1/projects/shop%2fapi", kReadToken)).value("key", ""),
            "shop/api");
  EXPECT_EQ(JsonOf(Send("GET", "/api/v1/projects/shop/web", kReadToken)), encoded);
  const std::string unknown = Send("GET", "/api/v1/projects/shop/nope", kReadToken);
  EXPECT_EQ(StatusOf(unknown), 404);
  EXPECT_EQ(JsonOf(unknown).value("error", ""), "no such project");
  // Strangers learn nothing about which projects exist.
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/projects/shop/nope")), 401);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/nope/suspend")), 401);
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/projects/shop%zzweb", kReadToken)), 400);
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/nothing", kReadToken)), 404);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/explode", kOperateToken)), 404);
}

TEST_F(OperatorApiTest, ActionsNeedAnOperateTokenAndPostWithoutABody) {
  Start();
  const std::string path = "/api/v1/projects/shop%2Fweb/suspend";
  EXPECT_EQ(StatusOf(Send("POST", path)), 401);
  EXPECT_EQ(StatusOf(Send("POST", path, "not-a-token")), 401);
  const std::string reader = Send("POST", path, kReadToken);
  EXPECT_EQ(StatusOf(reader), 403);
  EXPECT_EQ(JsonOf(reader).value("error", ""),
            "this token may only read; actions need a token with role operate");
  const std::string get = Send("GET", path, kOperateToken);
  EXPECT_EQ(StatusOf(get), 405);
  EXPECT_NE(get.find("Allow: POST\r\n"), std::string::npos) << get;
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/status", kOperateToken)), 405);
  EXPECT_EQ(StatusOf(Send("POST", path, kOperateToken, "{}")), 413);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop%2Fnope/suspend", kOperateToken)), 404);
  EXPECT_FALSE(Status("shop/web").suspended);  // nothing above changed anything

  const std::string accepted = Send("POST", path, kOperateToken);
  EXPECT_EQ(StatusOf(accepted), 202) << accepted;
  EXPECT_EQ(JsonOf(accepted),
            (nlohmann::json{{"project", "shop/web"}, {"action", "suspend"}, {"accepted", true}}));
  EXPECT_TRUE(Status("shop/web").suspended);
}

TEST_F(OperatorApiTest, WithoutTokensReadsAreOpenAndActionsRefused) {
  Start(config::ApiConfig{});
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/status")), 200);
  EXPECT_EQ(StatusOf(Send("GET", "/")), 200);
  const std::string refused = Send("POST", "/api/v1/projects/shop/web/reconcile", kOperateToken);
  EXPECT_EQ(StatusOf(refused), 403);
  EXPECT_NE(JsonOf(refused).value("error", "").find("configure api.tokens"), std::string::npos)
      << refused;

  // A reload brings tokens: reads close and actions open.
  server_->SetApiConfig(Tokens());
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/status")), 401);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/suspend", kOperateToken)), 202);
}

TEST_F(OperatorApiTest, OpenReadsLeaveActionsClosed) {
  Start(Tokens(/*open_reads=*/true));
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/status")), 200);
  EXPECT_EQ(StatusOf(Send("GET", "/api/v1/projects/shop%2Fweb")), 200);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/suspend")), 401);
}

TEST_F(OperatorApiTest, SuspendResumeAndReconcileChangeWhatTheControllerDoes) {
  Start();
  ASSERT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/suspend", kOperateToken)), 202);
  const nlohmann::json project = JsonOf(Send("GET", "/api/v1/projects/shop/web", kReadToken));
  EXPECT_EQ(project.value("suspended", false), true);
  EXPECT_EQ(project.value("suspendedBy", ""), "alice");
  EXPECT_FALSE(project.value("suspendedAt", "").empty());

  repo_.Write("web/compose.yaml", App(2));
  const std::string second = repo_.Commit("scale web");
  const std::string refused = Send("POST", "/api/v1/projects/shop/web/reconcile", kOperateToken);
  EXPECT_EQ(StatusOf(refused), 409);
  EXPECT_EQ(JsonOf(refused).value("error", ""), "the project is suspended; resume it first");

  ASSERT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop%2Fweb/resume", kOperateToken)), 202);
  // Resumed: the poll that would find the commit is an hour away; reconcile fetches it now.
  ASSERT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop%2Fweb/reconcile", kOperateToken)), 202);
  EXPECT_TRUE(WaitUntil([&] { return Revision("shop-web") == second; }));
  EXPECT_EQ(Revision("shop-api"), first_);
}

TEST_F(OperatorApiTest, AcknowledgeAnswers409UnlessStalled) {
  Start();
  const std::string refused = Send("POST", "/api/v1/projects/shop/web/acknowledge", kOperateToken);
  EXPECT_EQ(StatusOf(refused), 409);
  EXPECT_EQ(JsonOf(refused).value("error", ""),
            "the project is not stalled (it is Ready); nothing to acknowledge");

  repo_.Write("web/compose.yaml", "services: [not a map");
  ASSERT_TRUE(CheckedAndIdle(repo_.Commit("broken")));
  ASSERT_TRUE(WaitUntil([&] { return Status("shop/web").condition == Condition::kStalled; }));
  const size_t runs = Status("shop/web").runs.size();
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/acknowledge", kOperateToken)), 202);
  EXPECT_TRUE(WaitUntil([&] { return Status("shop/web").runs.size() == runs + 1; }));
}

// approve and reject go through Controller::ApproveDeployment to reconcile's
// ApproveDeployments (tested against moto's ECS deployments in
// tests/reconcile/deployment_approval_test.cc); here the route's answers: an operate token,
// 404 for an unknown project, and 409 naming why when nothing can be approved (this
// controller deploys to stack files, which have no ECS).
TEST_F(OperatorApiTest, ApproveAndRejectNeedAnOperateTokenAndSayWhyNothingWasApproved) {
  Start();
  for (const char* action : {"approve", "reject"}) {
    const std::string path = std::string("/api/v1/projects/shop/web/") + action;
    EXPECT_EQ(StatusOf(Send("POST", path, kReadToken)), 403) << action;
    EXPECT_EQ(
        StatusOf(Send("POST", std::string("/api/v1/projects/shop/none/") + action, kOperateToken)),
        404)
        << action;
    const std::string answer = Send("POST", path, kOperateToken);
    EXPECT_EQ(StatusOf(answer), 409) << answer;
    EXPECT_NE(JsonOf(answer).value("error", "").find("stack shop-web"), std::string::npos)
        << answer;
  }
}

// approval: manual (tests/controller/approval_test.cc runs it against moto): a change
// waiting for approval comes before ECS deployments; approve applies it with the token's name
// in the stack's tags, reject drops it.
TEST_F(OperatorApiTest, ApproveAndRejectDecideAChangeWaitingUnderManualApproval) {
  config::Config config = MakeConfig();
  config.repositories[0].projects[0].manual_approval = true;  // shop/web
  Start(Tokens(), config);
  ASSERT_TRUE(WaitUntil([&] {
    ProjectStatus web;
    return controller_->status().FindProject("shop/web", &web) &&
           web.condition == Condition::kAwaitingApproval && Exists("shop-api");
  }));
  EXPECT_FALSE(Exists("shop-web"));
  nlohmann::json project = JsonOf(Send("GET", "/api/v1/projects/shop/web", kReadToken));
  EXPECT_EQ(project["condition"]["type"], "AwaitingApproval");
  EXPECT_EQ(project["pendingApproval"]["action"], "create");
  const std::string change_set = project["pendingApproval"]["changeSet"];
  EXPECT_EQ(project["condition"]["changeSet"], change_set);
  EXPECT_FALSE(project["pendingApproval"]["changes"].empty());

  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/approve", kReadToken)), 403);
  const std::string approved = Send("POST", "/api/v1/projects/shop/web/approve", kOperateToken);
  ASSERT_EQ(StatusOf(approved), 202) << approved;
  EXPECT_EQ(JsonOf(approved)["changeSet"], change_set);
  EXPECT_EQ(JsonOf(approved)["change"], "create");
  EXPECT_EQ(JsonOf(approved)["approvedBy"], "alice");
  ASSERT_TRUE(WaitUntil([&] { return Revision("shop-web") == first_ && controller_->Idle(); }));
  auto stack = stacks_.DescribeStack("shop-web");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(stack->tags["ecsync:approved-by"], "alice");
  EXPECT_EQ(stack->tags["ecsync:approved-change-set"], change_set);
  project = JsonOf(Send("GET", "/api/v1/projects/shop/web", kReadToken));
  EXPECT_TRUE(project["pendingApproval"].is_null());
  EXPECT_EQ(project["runs"][0]["approvedBy"], "alice");
  EXPECT_EQ(project["runs"][0]["changeSet"], change_set);

  // An update waits as a change set; rejected, the project waits for a new commit.
  repo_.Write("web/compose.yaml", App(2));
  const std::string second = repo_.Commit("scale web");
  ASSERT_TRUE(CheckedAndIdle(second));
  ASSERT_EQ(Status("shop/web").condition, Condition::kAwaitingApproval);
  EXPECT_EQ(Status("shop/web").pending_action, "update");
  const std::string rejected = Send("POST", "/api/v1/projects/shop/web/reject", kOperateToken);
  ASSERT_EQ(StatusOf(rejected), 202) << rejected;
  EXPECT_EQ(JsonOf(rejected)["change"], "update");
  EXPECT_EQ(Status("shop/web").condition, Condition::kStalled);
  EXPECT_EQ(Status("shop/web").runs.front().result, "rejected");
  EXPECT_EQ(Revision("shop-web"), first_);
  // Nothing waits now: the route falls back to ECS deployments (none on stack files).
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/approve", kOperateToken)), 409);

  // `ecsync approve --server` names the person beside the token.
  repo_.Write("web/compose.yaml", App(3));
  const std::string third = repo_.Commit("scale web again");
  ASSERT_TRUE(CheckedAndIdle(third));
  ASSERT_EQ(Status("shop/web").condition, Condition::kAwaitingApproval);
  std::ostringstream out;
  std::ostringstream err;
  cli::CommandContext context{
      .env = base::EnvFromMap({{"ECSYNC_API_TOKEN", kOperateToken}, {"USER", "ignored"}}),
      .interpolation = {},
      .out = out,
      .err = err};
  cli::ApproveCommand command;
  command.stack_name = "shop/web";
  command.server = "http://127.0.0.1:" + std::to_string(server_->admin_port()) + "/";
  command.as = "bob <ops>";
  ASSERT_EQ(cli::RunApprove(command, context), cli::kExitOk) << out.str() << err.str();
  EXPECT_NE(out.str().find("approved update ecsync-"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(" as bob__ops_ via alice"), std::string::npos) << out.str();
  ASSERT_TRUE(WaitUntil([&] { return Revision("shop-web") == third && controller_->Idle(); }));
  EXPECT_EQ(Status("shop/web").runs.front().approved_by, "bob__ops_ via alice");
  // Nothing waits any more, and stack files have no ECS deployments: exit 1. A read token
  // may not approve: exit 2.
  EXPECT_EQ(cli::RunApprove(command, context), cli::kExitFailed) << err.str();
  context.env = base::EnvFromMap({{"ECSYNC_API_TOKEN", kReadToken}});
  EXPECT_EQ(cli::RunApprove(command, context), cli::kExitBadConfig);
  context.env = base::EnvFromMap({});
  EXPECT_EQ(cli::RunApprove(command, context), cli::kExitBadConfig);
  EXPECT_EQ(err.str().find(kOperateToken), std::string::npos);
}

TEST_F(OperatorApiTest, ActionsAreLoggedWithTheTokenNameAndCounted) {
  ::ecsync::testing::LogCapture capture;
  Start();
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/suspend", kOperateToken)), 202);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/resume", kOperateToken)), 202);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/resume", kReadToken)), 403);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/web/resume", "wrong-token")), 401);
  EXPECT_EQ(StatusOf(Send("POST", "/api/v1/projects/shop/gone/reconcile", kOperateToken)), 404);
  const std::string log = capture.text();

  EXPECT_NE(log.find("operator action action=suspend project=shop/web token_name=alice "
                     "result=accepted"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("operator action refused action=resume project=shop/web token_name=robot "
                     "result=forbidden"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("action=resume project=shop/web token_name=\"\" result=unauthorized"),
            std::string::npos)
      << log;
  for (const std::string& secret :
       {std::string(kOperateToken), std::string(kReadToken), std::string("wrong-token"),
        base::Sha256Hex(kOperateToken), base::Sha256Hex(kReadToken)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }

  const std::string metrics = BodyOf(Send("GET", "/metrics"));
  for (const char* series :
       {"ecsync_operator_actions_total{action=\"suspend\",result=\"accepted\"} 1",
        "ecsync_operator_actions_total{action=\"resume\",result=\"accepted\"} 1",
        "ecsync_operator_actions_total{action=\"resume\",result=\"forbidden\"} 1",
        "ecsync_operator_actions_total{action=\"resume\",result=\"unauthorized\"} 1",
        "ecsync_operator_actions_total{action=\"reconcile\",result=\"not_found\"} 1"}) {
    EXPECT_NE(metrics.find(series), std::string::npos) << series << "\n" << metrics;
  }
  EXPECT_EQ(metrics.find(kOperateToken), std::string::npos);
}

}  // namespace
}  // namespace ecsync::controller::testing
