// The Slack, Teams and generic webhook sinks against a local stand-in HTTP server that records
// every request and answers as scripted: requests are checked field by field, the webhook's
// signature with the verification code of ecsync's own generic receiver.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aws/http.h"
#include "base/clock.h"
#include "notify/dispatcher.h"
#include "notify/retry_after.h"
#include "notify/slack.h"
#include "notify/teams.h"
#include "notify/webhook.h"
#include "tests/support/support.h"
#include "webhook/webhook.h"

namespace ecsync::notify {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// The secret part of the stand-in's webhook path, which must never show in an error.
constexpr char kSecretPath[] = "/services/T0ACME/B0OPS/xoxSecretToken123";

struct Recorded {
  std::string method;
  std::string path;
  webhook::Headers headers;
  std::string body;
};

struct Answer {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
};

// An httplib server on a loopback port: records each request, answers from a script (then
// 200 "ok").
class StandIn {
 public:
  StandIn() {
    server_.Post(R"(/.*)", [this](const httplib::Request& request, httplib::Response& response) {
      Answer answer;
      {
        std::lock_guard<std::mutex> lock(mu_);
        Recorded recorded{request.method, request.path, {}, request.body};
        for (const auto& [name, value] : request.headers) recorded.headers[name] = value;
        requests_.push_back(std::move(recorded));
        if (!script_.empty()) {
          answer = script_.front();
          script_.pop_front();
        }
      }
      response.status = answer.status;
      for (const auto& [name, value] : answer.headers) response.set_header(name, value);
      response.set_content(answer.body, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~StandIn() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + kSecretPath; }
  void Script(Answer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(answer));
  }
  std::vector<Recorded> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<Recorded> requests_;
};

Event Failed() {
  Event event;
  event.kind = EventKind::kDeployFailed;
  event.project_key = "shop/web";
  event.repository = "shop";
  event.repository_url = "https://git.example.com/acme/shop.git";
  event.project = "web";
  event.stack = "shop-web";
  event.revision = "abc1234def5678abc1234def5678abc1234def56";
  event.description =
      "updating stack shop-web failed (UPDATE_ROLLBACK_COMPLETE); first failure: WebService "
      "(AWS::ECS::Service) UPDATE_FAILED: <!channel> & <http://evil.example|click>";
  event.at = std::chrono::system_clock::time_point(seconds(1'764'876'000));
  return event;
}

HttpSinkOptions Options(const StandIn& server, const std::string& external_url = "") {
  HttpSinkOptions options;
  options.name = "ops";
  options.url = server.url();
  options.external_url = external_url;
  options.user_agent = "ecsync/test";
  options.filter.kinds = {EventKind::kDeployFailed, EventKind::kStalled};
  return options;
}

class SinksTest : public ::testing::Test {
 protected:
  StandIn server_;
  aws::CurlHttpClient http_;
};

TEST_F(SinksTest, SlackPostsBlockKitWithEscapedTextAndALink) {
  SlackSink sink(Options(server_, "https://ecsync.example.com"), http_);
  EXPECT_EQ(sink.name(), "slack:ops");
  ASSERT_TRUE(sink.Deliver(Failed()).ok());
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const Recorded& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, kSecretPath);
  EXPECT_EQ(r.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(r.headers.at("User-Agent"), "ecsync/test");
  const json body = json::parse(r.body);
  EXPECT_THAT(body["text"].get<std::string>(),
              AllOf(HasSubstr("Deploy failed: shop/web at abc1234: updating stack shop-web"),
                    HasSubstr("&lt;!channel&gt; &amp; &lt;http://evil.example|click&gt;")));
  const json& blocks = body["blocks"];
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0]["type"], "header");
  EXPECT_EQ(blocks[0]["text"]["type"], "plain_text");
  EXPECT_EQ(blocks[0]["text"]["text"], ":x: Deploy failed: shop/web");
  EXPECT_EQ(blocks[1]["type"], "section");
  EXPECT_EQ(blocks[1]["text"]["type"], "mrkdwn");
  EXPECT_THAT(blocks[1]["text"]["text"].get<std::string>(),
              AllOf(HasSubstr("WebService (AWS::ECS::Service) UPDATE_FAILED"),
                    HasSubstr("&lt;!channel&gt;"), Not(HasSubstr("<!channel>"))));
  const json& fields = blocks[1]["fields"];
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], json({{"type", "mrkdwn"}, {"text", "*Project*\nshop/web"}}));
  EXPECT_EQ(fields[1]["text"], "*Stack*\nshop-web");
  EXPECT_EQ(fields[2]["text"], "*Revision*\n`abc1234`");
  EXPECT_EQ(fields[3]["text"], "*Repository*\nshop");
  EXPECT_EQ(blocks[2]["type"], "section");
  EXPECT_EQ(blocks[2]["text"]["text"],
            "<https://ecsync.example.com/projects/shop/web|Open shop/web in ecsync>");

  // Without an external URL there is no link block.
  SlackSink plain(Options(server_), http_);
  ASSERT_TRUE(plain.Deliver(Failed()).ok());
  EXPECT_EQ(json::parse(server_.requests().back().body)["blocks"].size(), 2u);
}

TEST_F(SinksTest, TeamsPostsAnAdaptiveCard) {
  TeamsSink sink(Options(server_, "https://ecsync.example.com"), http_);
  EXPECT_EQ(sink.name(), "teams:ops");
  server_.Script({202, "", {}});  // what a workflow webhook answers
  ASSERT_TRUE(sink.Deliver(Failed()).ok());
  const Recorded r = server_.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, kSecretPath);
  EXPECT_EQ(r.headers.at("Content-Type"), "application/json");
  const json body = json::parse(r.body);
  EXPECT_EQ(body["type"], "message");
  ASSERT_EQ(body["attachments"].size(), 1u);
  const json& attachment = body["attachments"][0];
  EXPECT_EQ(attachment["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_TRUE(attachment["contentUrl"].is_null());
  const json& card = attachment["content"];
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.4");
  EXPECT_EQ(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json");
  ASSERT_EQ(card["body"].size(), 3u);
  EXPECT_EQ(card["body"][0]["type"], "TextBlock");
  EXPECT_EQ(card["body"][0]["text"], "Deploy failed: shop/web");
  EXPECT_EQ(card["body"][0]["color"], "Attention");
  EXPECT_EQ(card["body"][1]["type"], "TextBlock");
  EXPECT_THAT(card["body"][1]["text"].get<std::string>(), HasSubstr("WebService"));
  EXPECT_EQ(card["body"][1]["wrap"], true);
  EXPECT_EQ(card["body"][2]["type"], "FactSet");
  EXPECT_EQ(card["body"][2]["facts"], json::parse(R"([{"title":"Project","value":"shop/web"},
                            {"title":"Stack","value":"shop-web"},
                            {"title":"Revision","value":"abc1234"},
                            {"title":"Repository","value":"shop"}])"));
  ASSERT_EQ(card["actions"].size(), 1u);
  EXPECT_EQ(card["actions"][0]["type"], "Action.OpenUrl");
  EXPECT_EQ(card["actions"][0]["url"], "https://ecsync.example.com/projects/shop/web");

  TeamsSink plain(Options(server_), http_);
  ASSERT_TRUE(plain.Deliver(Failed()).ok());
  EXPECT_FALSE(
      json::parse(server_.requests().back().body)["attachments"][0]["content"].contains("actions"));
}

TEST_F(SinksTest, WebhookIsSignedAsEcsyncsOwnReceiverVerifies) {
  base::FakeClock clock;
  WebhookSink sink(Options(server_, "https://ecsync.example.com"), "hmac-secret", clock, http_);
  EXPECT_EQ(sink.name(), "webhook:ops");
  server_.Script({503, "busy", {}});
  EXPECT_EQ(sink.Deliver(Failed()).kind(), base::ErrorKind::kTransient);
  clock.Advance(std::chrono::milliseconds(2500));
  ASSERT_TRUE(sink.Deliver(Failed()).ok());
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const Recorded& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, kSecretPath);
    EXPECT_EQ(r.headers.at("Content-Type"), "application/json");
    EXPECT_EQ(r.headers.at("X-Ecsync-Event"), "deploy_failed");
    EXPECT_TRUE(
        webhook::VerifyWebhook(webhook::Provider::kGeneric, r.headers, r.body, "hmac-secret"));
    EXPECT_FALSE(
        webhook::VerifyWebhook(webhook::Provider::kGeneric, r.headers, r.body, "another-secret"));
    EXPECT_THAT(r.headers.at("X-Signature"), ::testing::MatchesRegex("sha256=[0-9a-f]{64}"));
  }
  const json first = json::parse(requests[0].body);
  const json body = json::parse(requests[1].body);
  EXPECT_EQ(body["event"], "deploy_failed");
  EXPECT_EQ(body["project_key"], "shop/web");
  EXPECT_EQ(body["repository"], "shop");
  EXPECT_EQ(body["repository_url"], "https://git.example.com/acme/shop.git");
  EXPECT_EQ(body["project"], "web");
  EXPECT_EQ(body["stack"], "shop-web");
  EXPECT_EQ(body["revision"], "abc1234def5678abc1234def5678abc1234def56");
  EXPECT_THAT(body["description"].get<std::string>(), HasSubstr("<!channel>"));  // JSON, raw
  EXPECT_EQ(body["url"], "https://ecsync.example.com/projects/shop/web");
  EXPECT_EQ(body["timestamp"], "2025-12-04T19:20:00Z");  // when it happened
  EXPECT_EQ(first["sent_at"], "2023-11-14T22:13:20Z");   // when each attempt was signed
  EXPECT_EQ(body["sent_at"], "2023-11-14T22:13:22.500Z");
  // One id for every attempt of the event, in the body and as X-Request-Id.
  EXPECT_THAT(body["id"].get<std::string>(), ::testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(first["id"], body["id"]);
  EXPECT_EQ(requests[1].headers.at("X-Request-Id"), body["id"]);
  Event other = Failed();
  other.kind = EventKind::kStalled;
  EXPECT_NE(EventId(other), EventId(Failed()));
}

// An operator's decision on a change waiting for approval: each sink names the change set
// and who decided, escaped like every other value.
TEST_F(SinksTest, ApprovalEventsNameTheChangeSetAndWhoDecided) {
  Event approved = Failed();
  approved.kind = EventKind::kApproved;
  approved.description = "approved by alice: update of stack shop-web";
  approved.change_set = "ecsync-abc1234def56-1a2b3c4d";
  approved.actor = "<!channel> alice";

  SlackSink slack(Options(server_), http_);
  ASSERT_TRUE(slack.Deliver(approved).ok());
  json body = json::parse(server_.requests().back().body);
  EXPECT_EQ(body["blocks"][0]["text"]["text"], ":thumbsup: Change approved: shop/web");
  const json& fields = body["blocks"][1]["fields"];
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[4]["text"], "*Change set*\n`ecsync-abc1234def56-1a2b3c4d`");
  EXPECT_EQ(fields[5]["text"], "*By*\n&lt;!channel&gt; alice");

  TeamsSink teams(Options(server_), http_);
  Event pending = approved;
  pending.kind = EventKind::kApprovalPending;
  pending.actor.clear();
  ASSERT_TRUE(teams.Deliver(pending).ok());
  const json card = json::parse(server_.requests().back().body)["attachments"][0]["content"];
  EXPECT_EQ(card["body"][0]["text"], "Approval needed: shop/web");
  EXPECT_EQ(card["body"][0]["color"], "Warning");
  EXPECT_EQ(card["body"][2]["facts"].back(),
            json({{"title", "Change set"}, {"value", "ecsync-abc1234def56-1a2b3c4d"}}));

  base::FakeClock clock;
  WebhookSink webhook(Options(server_), "hmac-secret", clock, http_);
  Event rejected = approved;
  rejected.kind = EventKind::kRejected;
  ASSERT_TRUE(webhook.Deliver(rejected).ok());
  const Recorded r = server_.requests().back();
  EXPECT_EQ(r.headers.at("X-Ecsync-Event"), "rejected");
  body = json::parse(r.body);
  EXPECT_EQ(body["event"], "rejected");
  EXPECT_EQ(body["change_set"], "ecsync-abc1234def56-1a2b3c4d");
  EXPECT_EQ(body["actor"], "<!channel> alice");  // JSON, raw
  Event superseded = pending;
  superseded.kind = EventKind::kSuperseded;
  ASSERT_TRUE(webhook.Deliver(superseded).ok());
  body = json::parse(server_.requests().back().body);
  EXPECT_EQ(body["event"], "superseded");
  EXPECT_FALSE(body.contains("actor"));
}

TEST_F(SinksTest, AnswersMapToRetryOrDropWithoutRevealingTheUrl) {
  SlackSink sink(Options(server_), http_);
  server_.Script({429, "rate_limited", {{"Retry-After", "7"}}});
  base::Status throttled = sink.Deliver(Failed());
  EXPECT_EQ(throttled.kind(), base::ErrorKind::kThrottled);
  EXPECT_EQ(RetryAfterOf(throttled), seconds(7));

  server_.Script({500, "oops", {}});
  EXPECT_EQ(sink.Deliver(Failed()).kind(), base::ErrorKind::kTransient);

  // A refusal names the sink and quotes the answer, with the URL's secret path cut out.
  server_.Script({404, std::string("no_service for ") + kSecretPath, {}});
  base::Status refused = sink.Deliver(Failed());
  EXPECT_EQ(refused.kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(refused.message(),
              AllOf(HasSubstr("slack:ops"), HasSubstr("HTTP 404"), HasSubstr("no_service"),
                    Not(HasSubstr("xoxSecretToken")), Not(HasSubstr("T0ACME"))));

  // No answer at all: transient, and curl's message (which names the URL) is redacted.
  HttpSinkOptions closed = Options(server_);
  closed.url = "http://127.0.0.1:1" + std::string(kSecretPath);
  SlackSink unreachable(closed, http_);
  base::Status down = unreachable.Deliver(Failed());
  EXPECT_EQ(down.kind(), base::ErrorKind::kTransient);
  EXPECT_THAT(down.message(), AllOf(HasSubstr("slack:ops"), Not(HasSubstr("xoxSecretToken"))));
}

TEST_F(SinksTest, TheDispatcherWaitsOutRetryAfterBeforeSendingAgain) {
  base::FakeClock clock;
  DispatcherOptions options;
  options.initial_backoff = seconds(1);
  options.jitter = 0;
  Dispatcher dispatcher(clock, nullptr, options);
  dispatcher.AddSink(std::make_unique<SlackSink>(Options(server_), http_));
  server_.Script({429, "rate_limited", {{"Retry-After", "3"}}});
  dispatcher.Start();
  dispatcher.Publish(Failed());
  auto sent = [&](size_t n) { return server_.requests().size() >= n; };
  // The retry is scheduled once the answer is in (the clock is read then).
  ASSERT_TRUE(testing::WaitUntil([&] { return dispatcher.counts().retried == 1; }));
  clock.Advance(std::chrono::milliseconds(2999));  // past the backoff, not the Retry-After
  dispatcher.Wake();
  EXPECT_FALSE(testing::WaitUntil([&] { return sent(2); }, std::chrono::milliseconds(50)));
  clock.Advance(std::chrono::milliseconds(1));
  dispatcher.Wake();
  ASSERT_TRUE(testing::WaitUntil([&] { return sent(2); }));
  dispatcher.Stop(seconds(0));
  EXPECT_EQ(dispatcher.counts().delivered, 1u);
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(SinksTest, FiltersDecideWhatASinkWants) {
  HttpSinkOptions options = Options(server_);
  options.filter.repositories = {"shop"};
  TeamsSink sink(options, http_);
  Event event = Failed();
  EXPECT_TRUE(sink.Wants(event));
  event.kind = EventKind::kDeploySucceeded;
  EXPECT_FALSE(sink.Wants(event));
  event = Failed();
  event.repository = "blog";
  EXPECT_FALSE(sink.Wants(event));
}

}  // namespace
}  // namespace ecsync::notify
