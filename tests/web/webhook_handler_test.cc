// WebhookHandler (web/webhook_handler.h): what a stranger on the internet can and
// cannot learn or spend, rate limits, and real deliveries from every host end to end
// through the handler.

#include "web/webhook_handler.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/utf8.h"
#include "metrics/metrics.h"
#include "tests/webhook/webhook_payloads.h"

namespace ecsync::web {
namespace {

using controller::WebhookTarget;
using webhook::Headers;
using webhook::Provider;
using namespace webhook::payloads;  // the shared test deliveries

constexpr char kGitHubAddress[] = "140.82.115.10";
constexpr char kStranger[] = "198.51.100.23";

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest() : metrics_("test", "") {}

  void AddRepository(const std::string& name, const std::string& url,
                     const std::string& secret = kSecret, const std::string& branch = "main") {
    WebhookTarget target;
    target.repository = name;
    target.url = url;
    target.ref = branch;
    target.secret = secret;
    targets_.push_back(target);
  }

  web::WebhookHandler& Handler(web::WebhookHandler::Options options = {}) {
    handler_ = std::make_unique<web::WebhookHandler>(
        web::WebhookHandler::Repositories{[this] { return targets_; },
                                          [this](const std::string& name) {
                                            std::lock_guard<std::mutex> lock(mu_);
                                            triggered_.push_back(name);
                                          }},
        &metrics_, clock_, options);
    return *handler_;
  }

  std::vector<std::string> Triggered() {
    std::lock_guard<std::mutex> lock(mu_);
    return triggered_;
  }

  // The answer's body must always be a JSON object with a status, in valid UTF-8.
  static std::string Result(const web::WebhookResponse& answer) {
    EXPECT_TRUE(base::IsValidUtf8(answer.body)) << answer.body;
    auto doc = nlohmann::json::parse(answer.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("status")) return "<not JSON: " + answer.body + ">";
    return doc["status"].get<std::string>();
  }

  double Counted(const std::string& provider, const std::string& result) {
    const std::string text = metrics_.Serialize();
    const std::string needle = "provider=\"" + provider + "\",result=\"" + result + "\"} ";
    auto pos = text.find(needle);
    return pos == std::string::npos ? 0 : std::stod(text.substr(pos + needle.size()));
  }

  static Headers SignedGitHub(const std::string& event, const std::string& body,
                              const std::string& secret = kSecret) {
    Headers headers = GitHubHeaders(event);
    headers["X-Hub-Signature-256"] = "sha256=" + Sign(secret, body);
    return headers;
  }

  base::FakeClock clock_;
  metrics::Metrics metrics_;
  std::vector<WebhookTarget> targets_;
  std::unique_ptr<web::WebhookHandler> handler_;
  std::mutex mu_;
  std::vector<std::string> triggered_;
};

// ---------------------------------------------------------------- strangers

TEST_F(HandlerTest, UnsignedRequestsGetTheSame401WhetherOrNotTheRepositoryIsConfigured) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookHandler& handler = Handler();
  const std::string known = GitHubPushWithCommits(1);
  std::string unknown = known;
  for (size_t pos; (pos = unknown.find("Acme/Shop")) != std::string::npos;) {
    unknown.replace(pos, 9, "Acme/Else");
  }
  for (const Headers& headers :
       {GitHubHeaders("push"), SignedGitHub("push", known, "wrong secret")}) {
    web::WebhookResponse a = handler.Handle(Provider::kGitHub, headers, known, kStranger);
    web::WebhookResponse b = handler.Handle(Provider::kGitHub, headers, unknown, kStranger);
    EXPECT_EQ(a.status, 401);
    EXPECT_EQ(b.status, 401);
    EXPECT_EQ(a.body, b.body);
  }
  // Pings and other events too: nothing names a repository to a stranger.
  web::WebhookResponse ping =
      handler.Handle(Provider::kGitHub, GitHubHeaders("ping"), kGitHubOrganizationPing, kStranger);
  EXPECT_EQ(ping.status, 401);
  EXPECT_TRUE(Triggered().empty());
  EXPECT_EQ(Counted("github", "unauthorized"), 5);
}

TEST_F(HandlerTest, ASignedPushForAnUnknownRepositoryIsTold404) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  std::string body = GitHubPushWithCommits(1);
  for (size_t pos; (pos = body.find("Acme/Shop")) != std::string::npos;) {
    body.replace(pos, 9, "Acme/Else");
  }
  web::WebhookResponse answer =
      Handler().Handle(Provider::kGitHub, SignedGitHub("push", body), body, kGitHubAddress);
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(Result(answer), "unknown_repository");
}

TEST_F(HandlerTest, ARepositorysOwnSecretIsNeededNotAnyConfiguredOne) {
  AddRepository("shop", "https://github.com/acme/shop.git", "shop secret");
  AddRepository("other", "https://github.com/acme/other.git", kSecret);
  const std::string body = GitHubPushWithCommits(1);
  web::WebhookResponse answer =
      Handler().Handle(Provider::kGitHub, SignedGitHub("push", body), body, kGitHubAddress);
  EXPECT_EQ(answer.status, 401);
  web::WebhookResponse right = handler_->Handle(
      Provider::kGitHub, SignedGitHub("push", body, "shop secret"), body, kGitHubAddress);
  EXPECT_EQ(right.status, 202) << right.body;
  EXPECT_EQ(Triggered(), std::vector<std::string>{"shop"});
}

TEST_F(HandlerTest, AnUnsignedFloodDoesNotBlockSignedDeliveries) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookHandler::Options options;
  options.requests_per_second = 10;
  options.burst = 50;
  web::WebhookHandler& handler = Handler(options);
  const std::string body = GitHubPushWithCommits(1);
  // From another address, and from the host's own address (a stranger's hook on the same
  // git host is delivered from the same addresses as ours).
  for (const char* address : {kStranger, kGitHubAddress}) {
    for (int i = 0; i < 200; ++i) {
      handler.Handle(Provider::kGitHub, GitHubHeaders("push"), body, address);
    }
  }
  Headers headers = SignedGitHub("push", body);
  web::WebhookResponse answer = handler.Handle(Provider::kGitHub, headers, body, kGitHubAddress);
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(Triggered(), std::vector<std::string>{"shop"});
}

TEST_F(HandlerTest, AnAddressOverItsRefusedBudgetIsRefusedCheaply) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookHandler::Options options;
  options.refused_requests_per_second = 1;
  options.refused_burst = 3;
  web::WebhookHandler& handler = Handler(options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(handler.Handle(Provider::kGeneric, {}, "{}", kStranger).status, 401);
  }
  web::WebhookResponse limited = handler.Handle(Provider::kGeneric, {}, "{}", kStranger);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Result(limited), "rate_limited");
  // Other addresses are not affected, and the budget refills with time.
  EXPECT_EQ(handler.Handle(Provider::kGeneric, {}, "{}", "203.0.113.5").status, 401);
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(handler.Handle(Provider::kGeneric, {}, "{}", kStranger).status, 401);
  // One IPv6 host's /64 is one sender.
  for (int i = 0; i < 3; ++i) {
    handler.Handle(Provider::kGeneric, {}, "{}", "2001:db8:1:2::" + std::to_string(i + 1));
  }
  EXPECT_EQ(handler.Handle(Provider::kGeneric, {}, "{}", "2001:db8:1:2::ff").status, 429);
  EXPECT_EQ(Counted("generic", "rate_limited"), 2);
}

TEST_F(HandlerTest, AnAddressOverItsRefusedBudgetIsCheckedOnlyAgainstTheRepositoryItNames) {
  AddRepository("shop", "https://github.com/acme/shop.git", "shop secret");
  for (int i = 0; i < 20; ++i) {
    AddRepository("r" + std::to_string(i), "https://h/r", "s" + std::to_string(i));
  }
  web::WebhookHandler::Options options;
  options.refused_burst = 2;
  web::WebhookHandler& handler = Handler(options);
  // Within budget, a ping signed with any configured secret is answered.
  EXPECT_EQ(handler
                .Handle(Provider::kGitHub, SignedGitHub("ping", kGitHubOrganizationPing, "s7"),
                        kGitHubOrganizationPing, kGitHubAddress)
                .status,
            200);
  for (int i = 0; i < 2; ++i) handler.Handle(Provider::kGitHub, {}, "{}", kGitHubAddress);
  // Over it: a ping names no repository, so no secret is tried; a push still works.
  EXPECT_EQ(handler
                .Handle(Provider::kGitHub, SignedGitHub("ping", kGitHubOrganizationPing, "s7"),
                        kGitHubOrganizationPing, kGitHubAddress)
                .status,
            401);
  const std::string body = GitHubPushWithCommits(1);
  web::WebhookResponse push = handler.Handle(
      Provider::kGitHub, SignedGitHub("push", body, "shop secret"), body, kGitHubAddress);
  EXPECT_EQ(push.status, 202) << push.body;
  EXPECT_EQ(
      handler.Handle(Provider::kGitHub, SignedGitHub("push", body, "s7"), body, kGitHubAddress)
          .status,
      401);
}

TEST_F(HandlerTest, EachRepositoryHasItsOwnBudget) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  AddRepository("generic", "https://git.example.com/acme/api.git");
  web::WebhookHandler::Options options;
  options.requests_per_second = 0.001;
  options.burst = 2;
  web::WebhookHandler& handler = Handler(options);
  const std::string body = GitHubPushWithCommits(1);
  for (int i = 0; i < 2; ++i) {
    Headers headers = SignedGitHub("push", body);
    headers["X-GitHub-Delivery"] = "d-" + std::to_string(i);
    EXPECT_EQ(handler.Handle(Provider::kGitHub, headers, body, kGitHubAddress).status, 202);
  }
  Headers headers = SignedGitHub("push", body);
  headers["X-GitHub-Delivery"] = "d-late";
  web::WebhookResponse limited = handler.Handle(Provider::kGitHub, headers, body, kGitHubAddress);
  EXPECT_EQ(limited.status, 429);
  // The host retries the same delivery later: not a duplicate, since it was never accepted.
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(handler.Handle(Provider::kGitHub, headers, body, kGitHubAddress).status, 202);

  const std::string api = R"({"repository": "https://git.example.com/acme/api", "ref": "main"})";
  web::WebhookResponse other = handler.Handle(
      Provider::kGeneric, {{"X-Signature", "sha256=" + Sign(kSecret, api)}}, api, "10.0.0.9");
  EXPECT_EQ(other.status, 202) << other.body;
}

TEST_F(HandlerTest, OneAddressCannotSpendEveryAuthenticatedRequest) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookHandler::Options options;
  options.source_requests_per_second = 0.001;
  options.source_burst = 1;
  web::WebhookHandler& handler = Handler(options);
  const std::string body = GitHubPushWithCommits(1);
  EXPECT_EQ(handler.Handle(Provider::kGitHub, SignedGitHub("push", body), body, "10.0.0.1").status,
            202);
  EXPECT_EQ(handler.Handle(Provider::kGitHub, SignedGitHub("push", body), body, "10.0.0.1").status,
            429);
  EXPECT_EQ(handler.Handle(Provider::kGitHub, SignedGitHub("push", body), body, "10.0.0.2").status,
            200);  // a redelivery of the accepted one, from another address
}

TEST_F(HandlerTest, AnswersAreValidUtf8AndNeverQuoteExceptions) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookHandler& handler = Handler();
  // A multi-byte character where the error message cuts its quote of the commit id.
  std::string body = GitHubPushWithCommits(1);
  body.replace(body.find(kNewCommit), 40, std::string(79, 'a') + "\xC3\xA9" + "bbbb");
  for (const Headers& headers : {GitHubHeaders("push"), SignedGitHub("push", body)}) {
    web::WebhookResponse answer = handler.Handle(Provider::kGitHub, headers, body, kStranger);
    EXPECT_NE(answer.status, 500);
    EXPECT_NE(Result(answer).find("<not JSON"), 0u);
    EXPECT_EQ(answer.body.find("json.exception"), std::string::npos);
  }
  // Bytes that are not UTF-8 in the delivery id quoted by a "duplicate" answer.
  const std::string good = GitHubPushWithCommits(1);
  Headers headers = SignedGitHub("push", good);
  headers["X-GitHub-Delivery"] = "id-\xFF\xC3";
  EXPECT_EQ(handler.Handle(Provider::kGitHub, headers, good, kGitHubAddress).status, 202);
  web::WebhookResponse duplicate = handler.Handle(Provider::kGitHub, headers, good, kGitHubAddress);
  EXPECT_EQ(duplicate.status, 200);
  EXPECT_EQ(Result(duplicate), "duplicate");
}

TEST_F(HandlerTest, OversizedBodiesAreRefusedLoggedAndCounted) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookHandler::Options options;
  options.max_body_bytes = 1000;
  web::WebhookHandler& handler = Handler(options);
  const std::string body = GitHubPushWithCommits(5);
  EXPECT_EQ(
      handler.Handle(Provider::kGitHub, SignedGitHub("push", body), body, kGitHubAddress).status,
      413);
  web::WebhookResponse early = handler.TooLarge(Provider::kGitHub, kGitHubAddress);
  EXPECT_EQ(early.status, 413);
  EXPECT_EQ(Result(early), "too_large");
  EXPECT_EQ(Counted("github", "too_large"), 2);
}

// ---------------------------------------------------------------- every host, end to end

TEST_F(HandlerTest, GitHubFormDeliveryOfTwelveKilobytesIsAccepted) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  const std::string form = "payload=" + FormEncode(GitHubPushWithCommits(60));
  ASSERT_GT(form.size(), 12'000u);
  Headers headers = SignedGitHub("push", form);
  headers["Content-Type"] = "application/x-www-form-urlencoded";
  web::WebhookResponse answer = Handler().Handle(Provider::kGitHub, headers, form, kGitHubAddress);
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(Triggered(), std::vector<std::string>{"shop"});
}

TEST_F(HandlerTest, GitHubOrganizationPingIsAnswered200) {
  AddRepository("shop", "https://github.com/acme/shop.git");
  web::WebhookResponse answer =
      Handler().Handle(Provider::kGitHub, SignedGitHub("ping", kGitHubOrganizationPing),
                       kGitHubOrganizationPing, kGitHubAddress);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Result(answer), "ignored");
  EXPECT_TRUE(Triggered().empty());
}

TEST_F(HandlerTest, GiteaFormDeliveryIsAccepted) {
  AddRepository("shop", "ssh://git@gitea.example.com:2222/acme/shop.git");
  const std::string form = "payload=" + FormEncode(kGiteaPushJson);
  web::WebhookResponse answer =
      Handler().Handle(Provider::kGitea, GiteaFormHeaders(kGiteaPushJson), form, "192.0.2.40");
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(Triggered(), std::vector<std::string>{"shop"});
}

TEST_F(HandlerTest, BitbucketCloudPushIsAccepted) {
  AddRepository("shop", "git@bitbucket.org:acme/shop.git");
  AddRepository("shop-release", "https://bitbucket.org/acme/shop.git", kSecret, "");
  targets_.back().ref_kind = config::RefKind::kTag;
  targets_.back().ref = "v1.4.0";
  Headers headers = BitbucketCloudHeaders("repo:push");
  headers["X-Hub-Signature"] = "sha256=" + Sign(kSecret, kBitbucketCloudPush);
  web::WebhookResponse answer =
      Handler().Handle(Provider::kBitbucket, headers, kBitbucketCloudPush, "104.192.136.1");
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(Triggered(), (std::vector<std::string>{"shop", "shop-release"}));
}

TEST_F(HandlerTest, BitbucketServerPushWithoutLinksIsAccepted) {
  AddRepository("shop", "https://bitbucket.example.com/scm/acme/shop.git");
  Headers headers = BitbucketServerHeaders("repo:refs_changed");
  headers["X-Hub-Signature"] = "sha256=" + Sign(kSecret, kBitbucketServerPushWithoutLinks);
  web::WebhookResponse answer =
      Handler().Handle(Provider::kBitbucket, headers, kBitbucketServerPushWithoutLinks, "10.1.2.3");
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(Triggered(), std::vector<std::string>{"shop"});
}

TEST_F(HandlerTest, BitbucketServerSignedTestConnectionIsAnswered200) {
  AddRepository("shop", "https://bitbucket.example.com/scm/acme/shop.git");
  const std::string body = R"({"test": true})";
  Headers headers = BitbucketServerHeaders("diagnostics:ping");
  headers["X-Hub-Signature"] = "sha256=" + Sign(kSecret, body);
  EXPECT_EQ(Handler().Handle(Provider::kBitbucket, headers, body, "10.1.2.3").status, 200);
  headers.erase("X-Hub-Signature");
  EXPECT_EQ(handler_->Handle(Provider::kBitbucket, headers, body, "10.1.2.3").status, 401);
}

TEST_F(HandlerTest, GitLabTokenDeliveryIsAccepted) {
  AddRepository("shop", "https://gitlab.example.com/acme/shop.git");
  const std::string body = R"({"object_kind": "push", "ref": "refs/heads/main",
      "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
      "checkout_sha": "bffeb74224043ba2feb48d137756c8a9331c449a",
      "project": {"git_http_url": "https://gitlab.example.com/acme/shop.git",
                  "git_ssh_url": "git@gitlab.example.com:acme/shop.git"}})";
  Headers headers = {{"X-Gitlab-Event", "Push Hook"},
                     {"X-Gitlab-Token", kSecret},
                     {"Content-Type", "application/json"}};
  EXPECT_EQ(Handler().Handle(Provider::kGitLab, headers, body, "10.1.2.4").status, 202);
  headers["X-Gitlab-Token"] = "guess";
  EXPECT_EQ(handler_->Handle(Provider::kGitLab, headers, body, "10.1.2.4").status, 401);
}

}  // namespace
}  // namespace ecsync::web
