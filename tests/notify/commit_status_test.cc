// Commit statuses against a stand-in git host on loopback that records each request and
// answers as the real APIs do (201 with a JSON body, 204, 4xx and 5xx with the hosts' error
// bodies, 429 and 403 with rate-limit headers). Requests go through the real libcurl client
// and are checked field by field against each host's published API.

#include "notify/commit_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aws/encoding.h"
#include "base/utf8.h"
#include "config/config.h"

namespace ecsync::notify {
namespace {

using config::GitHostApi;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSha[] = "0123456789abcdef0123456789abcdef01234567";
constexpr char kToken[] = "tok-9f8e7d";

struct Recorded {
  std::string method;
  std::string target;  // as sent: path and query, percent-escapes kept
  httplib::Headers headers;
  std::string body;

  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);  // httplib compares names case-insensitively
    return it == headers.end() ? "" : it->second;
  }
  json Json() const { return json::parse(body); }
};

struct Reply {
  int status = 201;
  std::string body;
  httplib::Headers headers;
};

// A git host on 127.0.0.1: answers scripted replies in order, then 201 with a JSON body
// (a deployment's id for POST .../deployments).
class StandInHost {
 public:
  StandInHost() {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({request.method, request.target, request.headers, request.body});
      Reply reply;
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      } else if (request.path.ends_with("/deployments")) {
        reply.body = R"({"id": )" + std::to_string(next_id_++) + R"(, "environment": "x"})";
      } else {
        reply.body = R"({"id": 1, "state": "pending"})";
      }
      response.status = reply.status;
      for (const auto& [name, value] : reply.headers) response.set_header(name, value);
      if (!reply.body.empty()) response.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~StandInHost() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Push(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(reply));
  }
  std::vector<Recorded> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Reply> script_;
  std::vector<Recorded> requests_;
  int next_id_ = 42;
};

Event MakeEvent(EventKind kind, const std::string& description = "") {
  Event event;
  event.kind = kind;
  event.project_key = "shop/web";
  event.repository = "shop";
  event.repository_url = "https://github.com/acme/shop.git";
  event.project = "web";
  event.stack = "shop-web";
  event.revision = kSha;
  event.description = description;
  return event;
}

class CommitStatusTest : public ::testing::Test {
 protected:
  // A sink for `api` at the stand-in host, posting for repository "shop".
  std::unique_ptr<CommitStatusSink> MakeSink(GitHostApi api, const std::string& repository,
                                             const std::string& api_path = "") {
    CommitStatusSettings settings;
    settings.repository = "shop";
    settings.target =
        HostTarget{api, host_.url() + api_path, repository, kToken, "", "ecsync/1.2.3"};
    settings.external_url = "https://ecsync.example.com";
    return std::make_unique<CommitStatusSink>(std::move(settings), http_, clock_);
  }

  StandInHost host_;
  aws::CurlHttpClient http_;
  base::FakeClock clock_;
};

TEST_F(CommitStatusTest, GitHubStatusRequest) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop", "/api/v3");
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  const std::vector<Recorded> requests = host_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const Recorded& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, std::string("/api/v3/repos/acme/shop/statuses/") + kSha);
  EXPECT_EQ(r.Header("Accept"), "application/vnd.github+json");
  EXPECT_EQ(r.Header("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(r.Header("X-GitHub-Api-Version"), "2022-11-28");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("User-Agent"), "ecsync/1.2.3");
  EXPECT_EQ(r.Json(), json({{"state", "pending"},
                            {"target_url", "https://ecsync.example.com/projects/shop%2Fweb"},
                            {"description", "Deploying to stack shop-web"},
                            {"context", "ecsync/shop-web"}}));
  EXPECT_EQ(sink->name(), "commit_status:github:shop");

  const std::pair<EventKind, const char*> kinds[] = {{EventKind::kDeploySucceeded, "success"},
                                                     {EventKind::kDeployFailed, "failure"},
                                                     {EventKind::kDeployError, "error"}};
  for (const auto& [kind, state] : kinds) {
    ASSERT_TRUE(sink->Deliver(MakeEvent(kind, "why")).ok());
    EXPECT_EQ(host_.Requests().back().Json()["state"], state);
  }
}

// Gate decisions on the commit: a held change stays pending and says why; a refused
// signature fails the commit, so whoever pushed it sees why nothing deployed.
TEST_F(CommitStatusTest, GateDecisionsArePendingAndFailure) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  EXPECT_TRUE(sink->Wants(MakeEvent(EventKind::kHeld)));
  EXPECT_TRUE(sink->Wants(MakeEvent(EventKind::kSignatureRefused)));
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kHeld, "held by deny window until 06:00")).ok());
  EXPECT_EQ(host_.Requests().back().Json()["state"], "pending");
  EXPECT_EQ(host_.Requests().back().Json()["description"], "held by deny window until 06:00");
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kSignatureRefused)).ok());
  EXPECT_EQ(host_.Requests().back().Json()["state"], "failure");
  EXPECT_EQ(host_.Requests().back().Json()["description"],
            "Not deployed: the signature check refused this commit");
  EXPECT_FALSE(sink->Wants(MakeEvent(EventKind::kDriftDetected)));
}

TEST_F(CommitStatusTest, GitHubDeploymentOncePerCommitAndEnvironment) {
  CommitStatusSettings settings;
  settings.repository = "shop";
  settings.target =
      HostTarget{GitHostApi::kGitHub, host_.url(), "acme/shop", kToken, "", "ecsync/1.2.3"};
  settings.deployments = true;
  settings.external_url = "https://ecsync.example.com";
  CommitStatusSink sink(settings, http_, clock_);

  ASSERT_TRUE(sink.Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  ASSERT_TRUE(sink.Deliver(MakeEvent(EventKind::kDeploySucceeded, "Stack updated")).ok());
  const std::vector<Recorded> requests = host_.Requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].target, std::string("/repos/acme/shop/statuses/") + kSha);
  EXPECT_EQ(requests[1].target, "/repos/acme/shop/deployments");
  EXPECT_EQ(requests[1].Header("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(requests[1].Header("Accept"), "application/vnd.github+json");
  EXPECT_EQ(requests[1].Json(), json({{"ref", kSha},
                                      {"task", "deploy"},
                                      {"auto_merge", false},
                                      {"required_contexts", json::array()},
                                      {"environment", "shop-web"},
                                      {"description", "Deploying to stack shop-web"}}));
  EXPECT_EQ(requests[2].target, "/repos/acme/shop/deployments/42/statuses");
  const std::string page = "https://ecsync.example.com/projects/shop%2Fweb";
  EXPECT_EQ(requests[2].Json(), json({{"state", "in_progress"},
                                      {"description", "Deploying to stack shop-web"},
                                      {"log_url", page},
                                      {"environment_url", page}}));
  EXPECT_EQ(requests[3].Json()["state"], "success");
  // The same deployment gets the final state: no second deployment for the commit.
  EXPECT_EQ(requests[4].target, "/repos/acme/shop/deployments/42/statuses");
  EXPECT_EQ(requests[4].Json()["state"], "success");
  EXPECT_EQ(requests[4].Json()["description"], "Stack updated");

  // Another environment (stack) on the same commit is a deployment of its own.
  Event other = MakeEvent(EventKind::kDeployFailed, "Service web did not stabilize");
  other.stack = "shop-web-eu";
  ASSERT_TRUE(sink.Deliver(other).ok());
  const std::vector<Recorded> more = host_.Requests();
  ASSERT_EQ(more.size(), 8u);
  EXPECT_EQ(more[5].Json()["context"], "ecsync/shop-web-eu");
  EXPECT_EQ(more[6].Json()["environment"], "shop-web-eu");
  EXPECT_EQ(more[7].target, "/repos/acme/shop/deployments/43/statuses");
  EXPECT_EQ(more[7].Json()["state"], "failure");
}

TEST_F(CommitStatusTest, GitHubDeploymentRetriedAfterItsStatusFailedWithoutRepeatingTheRest) {
  CommitStatusSettings settings;
  settings.repository = "shop";
  settings.target = HostTarget{GitHostApi::kGitHub, host_.url(), "acme/shop", kToken, "", "x"};
  settings.deployments = true;
  CommitStatusSink sink(settings, http_, clock_);
  host_.Push({});                                           // the commit status
  host_.Push({201, R"({"id": 7})", {}});                    // the deployment
  host_.Push({502, R"({"message": "Server Error"})", {}});  // its status
  const base::Status first = sink.Deliver(MakeEvent(EventKind::kDeployStarted));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.kind(), base::ErrorKind::kTransient);
  ASSERT_TRUE(sink.Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  const std::vector<Recorded> requests = host_.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[3].target, "/repos/acme/shop/deployments/7/statuses");
}

TEST_F(CommitStatusTest, GitLabStatusRequest) {
  auto sink = MakeSink(GitHostApi::kGitLab, "group/sub/shop");
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployError, "ThrottlingException")).ok());
  const std::vector<Recorded> requests = host_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  const Recorded& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, std::string("/api/v4/projects/group%2Fsub%2Fshop/statuses/") + kSha);
  EXPECT_EQ(r.Header("PRIVATE-TOKEN"), kToken);
  EXPECT_EQ(r.Header("Authorization"), "");
  EXPECT_EQ(r.Header("Accept"), "application/json");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("User-Agent"), "ecsync/1.2.3");
  EXPECT_EQ(r.Json(), json({{"state", "running"},
                            {"name", "ecsync/shop-web"},
                            {"target_url", "https://ecsync.example.com/projects/shop%2Fweb"},
                            {"description", "Deploying to stack shop-web"}}));
  EXPECT_EQ(requests[1].Json()["state"], "failed");
  EXPECT_EQ(requests[1].Json()["description"], "ThrottlingException");
}

TEST_F(CommitStatusTest, GitLabRefusingARepeatedStateIsDone) {
  auto sink = MakeSink(GitHostApi::kGitLab, "1234");
  host_.Push({400,
              R"json({"message": "Cannot transition status via :run from :running )json"
              R"json((Reason(s): Status cannot transition via \"run\".)"})json",
              {}});
  EXPECT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  EXPECT_EQ(host_.Requests()[0].target, std::string("/api/v4/projects/1234/statuses/") + kSha);
  // The state is remembered as posted; GitLab cannot take a new description for it.
  EXPECT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted, "still going")).ok());
  EXPECT_EQ(host_.Requests().size(), 1u);
}

TEST_F(CommitStatusTest, GiteaStatusRequest) {
  auto sink = MakeSink(GitHostApi::kGitea, "acme/shop");
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployFailed, "bad image")).ok());
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployError, "AWS 503")).ok());
  const std::vector<Recorded> requests = host_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  const Recorded& r = requests[0];
  EXPECT_EQ(r.target, std::string("/api/v1/repos/acme/shop/statuses/") + kSha);
  EXPECT_EQ(r.Header("Authorization"), std::string("token ") + kToken);
  EXPECT_EQ(r.Header("Accept"), "application/json");
  EXPECT_EQ(r.Header("User-Agent"), "ecsync/1.2.3");
  EXPECT_EQ(r.Json(), json({{"state", "failure"},
                            {"target_url", "https://ecsync.example.com/projects/shop%2Fweb"},
                            {"description", "bad image"},
                            {"context", "ecsync/shop-web"}}));
  EXPECT_EQ(requests[1].Json()["state"], "error");
}

TEST_F(CommitStatusTest, BitbucketCloudBuildStatus) {
  CommitStatusSettings settings;
  settings.repository = "shop";
  // The default api_url resolves to Cloud; here it is the stand-in host.
  settings.target =
      HostTarget{GitHostApi::kBitbucketCloud, host_.url(), "team/shop", kToken, "", "ecsync/1.2.3"};
  settings.context = "ecsync/{stack}/a-context-well-over-forty-bytes-long";
  CommitStatusSink sink(settings, http_, clock_);
  ASSERT_TRUE(sink.Deliver(MakeEvent(EventKind::kDeploySucceeded)).ok());
  const Recorded r = host_.Requests().at(0);
  EXPECT_EQ(r.target,
            std::string("/2.0/repositories/team/shop/commit/") + kSha + "/statuses/build");
  EXPECT_EQ(r.Header("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(r.Header("Accept"), "application/json");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  const json body = r.Json();
  const std::string context = "ecsync/shop-web/a-context-well-over-forty-bytes-long";
  EXPECT_EQ(body["key"], BitbucketKey(context));
  EXPECT_EQ(body["key"].get<std::string>().size(), 40u);
  EXPECT_EQ(body["name"], context);
  EXPECT_EQ(body["state"], "SUCCESSFUL");
  // Bitbucket requires a URL: without external_url, the commit's page.
  EXPECT_EQ(body["url"], std::string("https://bitbucket.org/team/shop/commits/") + kSha);
  EXPECT_EQ(body["description"], "Deployed to stack shop-web");
  EXPECT_EQ(body.size(), 5u);
}

TEST_F(CommitStatusTest, BitbucketAppPasswordIsBasicAuthentication) {
  CommitStatusSettings settings;
  settings.repository = "shop";
  settings.target =
      HostTarget{GitHostApi::kBitbucketCloud, host_.url(), "team/shop", kToken, "ci-bot", "x"};
  CommitStatusSink sink(settings, http_, clock_);
  ASSERT_TRUE(sink.Deliver(MakeEvent(EventKind::kDeployFailed)).ok());
  EXPECT_EQ(host_.Requests().at(0).Header("Authorization"),
            "Basic " + aws::Base64Encode(std::string("ci-bot:") + kToken));
  EXPECT_EQ(host_.Requests().at(0).Json()["state"], "FAILED");
}

TEST_F(CommitStatusTest, BitbucketServerBuildStatus) {
  auto sink = MakeSink(GitHostApi::kBitbucketServer, "PROJ/shop", "/bitbucket");
  host_.Push({204, "", {}});
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  const Recorded r = host_.Requests().at(0);
  EXPECT_EQ(r.target, std::string("/bitbucket/rest/api/latest/projects/PROJ/repos/shop/commits/") +
                          kSha + "/builds");
  EXPECT_EQ(r.Header("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(r.Json(), json({{"key", "ecsync/shop-web"},
                            {"state", "INPROGRESS"},
                            {"name", "ecsync/shop-web"},
                            {"url", "https://ecsync.example.com/projects/shop%2Fweb"},
                            {"description", "Deploying to stack shop-web"}}));

  // Without a project and repository: the commit-only build-status endpoint.
  auto commit_only = MakeSink(GitHostApi::kBitbucketServer, "");
  host_.Push({204, "", {}});
  ASSERT_TRUE(commit_only->Deliver(MakeEvent(EventKind::kDeployError)).ok());
  const Recorded legacy = host_.Requests().at(1);
  EXPECT_EQ(legacy.target, std::string("/rest/build-status/1.0/commits/") + kSha);
  EXPECT_EQ(legacy.Json()["state"], "FAILED");
  EXPECT_EQ(legacy.Json()["key"], "ecsync/shop-web");
}

TEST_F(CommitStatusTest, PostsOnlyWhenTheStatusChanges) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  EXPECT_EQ(host_.Requests().size(), 1u);
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted, "Creating service web")).ok());
  EXPECT_EQ(host_.Requests().size(), 2u);
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeploySucceeded)).ok());
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeploySucceeded)).ok());
  EXPECT_EQ(host_.Requests().size(), 3u);
  // A new commit is a new status.
  Event next = MakeEvent(EventKind::kDeploySucceeded);
  next.revision = std::string(40, 'f');
  ASSERT_TRUE(sink->Deliver(next).ok());
  EXPECT_EQ(host_.Requests().size(), 4u);
}

TEST_F(CommitStatusTest, WantsOnlyDeployEventsOfItsRepository) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  EXPECT_TRUE(sink->Wants(MakeEvent(EventKind::kDeployStarted)));
  EXPECT_TRUE(sink->Wants(MakeEvent(EventKind::kDeployError)));
  for (EventKind kind : {EventKind::kDriftDetected, EventKind::kStalled, EventKind::kPruned}) {
    EXPECT_FALSE(sink->Wants(MakeEvent(kind))) << EventKindName(kind);
  }
  Event other = MakeEvent(EventKind::kDeployStarted);
  other.repository = "billing";
  EXPECT_FALSE(sink->Wants(other));
  Event no_revision = MakeEvent(EventKind::kDeployStarted);
  no_revision.revision.clear();
  EXPECT_FALSE(sink->Wants(no_revision));
  EXPECT_TRUE(sink->Deliver(other).ok());
  EXPECT_TRUE(host_.Requests().empty());
}

TEST_F(CommitStatusTest, DescriptionIsOneLineCutToTheHostsLimit) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  std::string long_text = "Resource web failed:\n\tCREATE_FAILED ";
  while (long_text.size() < 600) long_text += "\xC3\xA9t\xC3\xA9 ";  // "été "
  ASSERT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployFailed, long_text)).ok());
  const std::string description = host_.Requests().at(0).Json()["description"];
  EXPECT_TRUE(base::IsValidUtf8(description));
  size_t chars = 0;
  for (char c : description) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  EXPECT_EQ(chars, 140u);
  EXPECT_TRUE(description.starts_with("Resource web failed: CREATE_FAILED \xC3\xA9t\xC3\xA9 "));
  EXPECT_TRUE(description.ends_with("\xE2\x80\xA6"));
  EXPECT_EQ(description.find('\n'), std::string::npos);

  EXPECT_EQ(OneLineOfCodePoints("  a \r\n b  ", 140), "a b");
  EXPECT_EQ(OneLineOfCodePoints("abcdef", 6), "abcdef");
  EXPECT_EQ(OneLineOfCodePoints("abcdefg", 6), "abcde\xE2\x80\xA6");
  EXPECT_EQ(OneLineOfCodePoints("bad \xFF byte", 140), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(DescriptionLimit(GitHostApi::kGitLab), 255u);
}

TEST_F(CommitStatusTest, RetryAfterPausesTheSinkWithoutCallingTheHost) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  host_.Push({429, R"({"message": "slow down"})", {{"Retry-After", "30"}}});
  const base::Status limited = sink->Deliver(MakeEvent(EventKind::kDeployStarted));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.kind(), base::ErrorKind::kThrottled);
  EXPECT_THAT(limited.message(), AllOf(HasSubstr("429"), HasSubstr("slow down")));
  clock_.Advance(std::chrono::seconds(29));
  const base::Status paused = sink->Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_EQ(paused.kind(), base::ErrorKind::kThrottled);
  EXPECT_EQ(host_.Requests().size(), 1u);
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  EXPECT_EQ(host_.Requests().size(), 2u);
}

TEST_F(CommitStatusTest, ExhaustedRateLimitWaitsForTheReset) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                         clock_.Now().time_since_epoch() + std::chrono::minutes(10))
                         .count();
  host_.Push({403,
              R"({"message": "API rate limit exceeded for installation ID 1."})",
              {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(reset)}}});
  EXPECT_EQ(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).kind(),
            base::ErrorKind::kThrottled);
  clock_.Advance(std::chrono::minutes(9));
  EXPECT_EQ(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).kind(),
            base::ErrorKind::kThrottled);
  EXPECT_EQ(host_.Requests().size(), 1u);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());

  // A 403 that is not a rate limit is an error to drop, and pauses nothing.
  host_.Push({403, R"({"message": "Resource not accessible by integration"})", {}});
  const base::Status forbidden = sink->Deliver(MakeEvent(EventKind::kDeployFailed));
  EXPECT_EQ(forbidden.kind(), base::ErrorKind::kInvalid);
  EXPECT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployFailed)).ok());
}

TEST_F(CommitStatusTest, ServerErrorsAndNetworkTroubleAreTransientAndRetried) {
  auto sink = MakeSink(GitHostApi::kGitea, "acme/shop");
  host_.Push({500, "<html>oops</html>", {}});
  const base::Status failed = sink->Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_EQ(failed.kind(), base::ErrorKind::kTransient);
  EXPECT_THAT(failed.message(), AllOf(HasSubstr("gitea 127.0.0.1"), HasSubstr("HTTP 500")));
  // Not remembered as posted: the retry sends it.
  EXPECT_TRUE(sink->Deliver(MakeEvent(EventKind::kDeployStarted)).ok());
  EXPECT_EQ(host_.Requests().size(), 2u);

  CommitStatusSettings settings;
  settings.repository = "shop";
  settings.target =
      HostTarget{GitHostApi::kGitHub, "http://127.0.0.1:1", "acme/shop", kToken, "", "x"};
  CommitStatusSink unreachable(settings, http_, clock_);
  const base::Status down = unreachable.Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_EQ(down.kind(), base::ErrorKind::kTransient);
  EXPECT_THAT(down.message(), Not(HasSubstr(kToken)));
}

TEST_F(CommitStatusTest, ClientErrorsNameHostStatusAndMessageButNeverTheToken) {
  auto sink = MakeSink(GitHostApi::kGitHub, "acme/shop");
  host_.Push({422,
              R"({"message": "Validation Failed", "errors": [{"resource": "Status", )"
              R"("code": "custom", "message": "No commit found for SHA: 0123"}]})",
              {}});
  base::Status status = sink->Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_EQ(status.kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("github 127.0.0.1"), HasSubstr("POST /repos/acme/shop/statuses/"),
                    HasSubstr("HTTP 422"), HasSubstr("Validation Failed"),
                    HasSubstr("No commit found for SHA")));
  // A host that echoes the credential back.
  host_.Push({401, std::string(R"({"message": "Bad credentials: Bearer )") + kToken + "\"}", {}});
  status = sink->Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_EQ(status.kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("HTTP 401"), Not(HasSubstr(kToken))));

  auto cloud = MakeSink(GitHostApi::kBitbucketCloud, "team/shop");
  host_.Push({404, R"({"type": "error", "error": {"message": "Repository not found"}})", {}});
  status = cloud->Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_THAT(status.message(), AllOf(HasSubstr("bitbucket"), HasSubstr("HTTP 404"),
                                      HasSubstr("Repository not found")));
  auto server = MakeSink(GitHostApi::kBitbucketServer, "PROJ/shop");
  host_.Push({400, R"({"errors": [{"context": null, "message": "key is too long"}]})", {}});
  status = server->Deliver(MakeEvent(EventKind::kDeployStarted));
  EXPECT_THAT(status.message(), AllOf(HasSubstr("bitbucket-server"), HasSubstr("key is too long")));
}

// From the configuration file: contexts per repository and per project, and one sink per
// repository with commit statuses.
TEST_F(CommitStatusTest, SinksFromConfigurationWithContextDefaultsAndOverrides) {
  const std::string text =
      "external_url: https://ecsync.example.com\n"
      "repositories:\n"
      "  - url: https://git.example.com/acme/shop.git\n"
      "    notify:\n"
      "      commit_status:\n"
      "        provider: gitea\n"
      "        api_url: " +
      host_.url() +
      "\n"
      "        token: {env: GITEA_TOKEN}\n"
      "    projects:\n"
      "      - {name: web, files: web/compose.yaml}\n"
      "      - {name: api, files: api/compose.yaml,\n"
      "         notify: {commit_status: {context: 'prod/{project}'}}}\n"
      "      - {name: jobs, glob: 'jobs/*/compose.yaml',\n"
      "         notify: {commit_status: {context: 'jobs@{repository}'}}}\n"
      "  - url: https://git.example.com/acme/billing.git\n"
      "    projects: [{files: compose.yaml}]\n";
  const base::Result<config::Config> config = config::ParseConfig(
      text, "ecsync.yaml", base::EnvFromMap({{"HOME", "/h"}, {"GITEA_TOKEN", kToken}}), nullptr);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  std::vector<std::unique_ptr<Sink>> sinks = MakeCommitStatusSinks(*config, http_, "9.9", clock_);
  ASSERT_EQ(sinks.size(), 1u);
  auto* sink = dynamic_cast<CommitStatusSink*>(sinks[0].get());
  ASSERT_NE(sink, nullptr);
  Event web = MakeEvent(EventKind::kDeployStarted);
  EXPECT_EQ(sink->ContextFor(web), "ecsync/shop-web");
  Event api = web;
  api.project = "api";
  EXPECT_EQ(sink->ContextFor(api), "prod/api");
  Event job = web;
  job.project = "jobs-nightly";
  EXPECT_EQ(sink->ContextFor(job), "jobs@shop");
  Event billing = web;
  billing.repository = "billing";
  EXPECT_FALSE(sink->Wants(billing));

  ASSERT_TRUE(sink->Deliver(api).ok());
  const Recorded r = host_.Requests().at(0);
  EXPECT_EQ(r.target, std::string("/api/v1/repos/acme/shop/statuses/") + kSha);
  EXPECT_EQ(r.Header("User-Agent"), "ecsync/9.9");
  EXPECT_EQ(r.Json()["context"], "prod/api");
  EXPECT_EQ(r.Json()["target_url"], "https://ecsync.example.com/projects/shop%2Fweb");
}

}  // namespace
}  // namespace ecsync::notify
