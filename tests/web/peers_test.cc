// Replicas talking to each other (docs/high-availability.md, "Webhooks and status on any
// replica"): the peer signature, webhook checks forwarded to the replica holding the
// repository's shard, and the status merged from every replica, against real HTTP servers
// standing in for the other replicas and the real curl client.

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "aws/http.h"
#include "base/clock.h"
#include "tests/support/support.h"
#include "web/peer_auth.h"
#include "web/peer_forwarder.h"
#include "web/peer_relay.h"
#include "web/peer_status.h"

namespace ecsync::web {
namespace {

using std::chrono::seconds;
using Json = nlohmann::ordered_json;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

server::Request Signed(const std::string& method, const std::string& path, const std::string& body,
                       std::chrono::system_clock::time_point at,
                       const std::string& secret = kSecret) {
  server::Request request;
  request.method = method;
  request.path = path;
  request.body = body;
  request.headers = PeerHeaders(secret, method, path, body, at);
  return request;
}

TEST(PeerAuth, OnlyARequestSignedWithTheSecretWithinTheWindowPasses) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_TRUE(VerifyPeerRequest(Signed("POST", "/internal/v1/trigger", "{}", now), kSecret, now));
  // A clock four minutes off either way still passes; six minutes does not.
  EXPECT_TRUE(VerifyPeerRequest(Signed("GET", "/p", "", now - seconds(240)), kSecret, now));
  EXPECT_TRUE(VerifyPeerRequest(Signed("GET", "/p", "", now + seconds(240)), kSecret, now));
  EXPECT_FALSE(VerifyPeerRequest(Signed("GET", "/p", "", now - seconds(360)), kSecret, now));
  EXPECT_FALSE(VerifyPeerRequest(Signed("GET", "/p", "", now + seconds(360)), kSecret, now));
  EXPECT_FALSE(VerifyPeerRequest(Signed("GET", "/p", "", now, "another-secret"), kSecret, now));
  EXPECT_FALSE(VerifyPeerRequest(Signed("GET", "/p", "", now), "", now));

  // Each signed part is bound: another method, path or body fails.
  server::Request moved = Signed("POST", "/internal/v1/trigger", R"({"repositories":["a"]})", now);
  moved.body = R"({"repositories":["b"]})";
  EXPECT_FALSE(VerifyPeerRequest(moved, kSecret, now));
  moved = Signed("POST", "/internal/v1/trigger", "{}", now);
  moved.path = "/internal/v1/status";
  EXPECT_FALSE(VerifyPeerRequest(moved, kSecret, now));
  moved = Signed("POST", "/internal/v1/status", "", now);
  moved.method = "GET";
  EXPECT_FALSE(VerifyPeerRequest(moved, kSecret, now));

  // Missing or malformed headers.
  server::Request bare;
  bare.method = "GET";
  bare.path = "/p";
  EXPECT_FALSE(VerifyPeerRequest(bare, kSecret, now));
  server::Request garbled = Signed("GET", "/p", "", now);
  garbled.headers[0].second = "12x";
  EXPECT_FALSE(VerifyPeerRequest(garbled, kSecret, now));
}

// A stand-in for another replica's admin listener: records what it is sent and answers the
// internal endpoints, checking signatures as the real one does.
class FakeReplica {
 public:
  explicit FakeReplica(Json status = Json::object()) : status_(std::move(status)) {
    server_.Post("/internal/v1/trigger",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard<std::mutex> lock(mu_);
                   ++triggers_;
                   if (fail.load()) {
                     res.status = 500;
                     return;
                   }
                   if (!Verified(req)) {
                     res.status = 401;
                     return;
                   }
                   bodies_.push_back(req.body);
                   res.status = 202;
                   res.set_content(R"({"status":"accepted"})", "application/json");
                 });
    server_.Get("/internal/v1/status", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++reads_;
      if (!Verified(req)) {
        res.status = 401;
        return;
      }
      res.set_content(status_.dump(), "application/json");
    });
    // The operator API of the owner, echoing what reached it.
    server_.Post(R"(/api/v1/projects/.*)", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 202;
      res.set_content(nlohmann::json{{"path", req.path},
                                     {"body", req.body},
                                     {"authorization", req.get_header_value("Authorization")},
                                     {"approver", req.get_header_value("X-Ecsync-Approver")},
                                     {"relayedBy", req.get_header_value("X-Ecsync-Relayed-By")},
                                     {"cookie", req.get_header_value("Cookie")}}
                          .dump(),
                      "application/json");
    });
    server_.set_keep_alive_max_count(1);  // no idle connection delays stop()
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeReplica() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> Bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  int Triggers() {
    std::lock_guard<std::mutex> lock(mu_);
    return triggers_;
  }
  int Reads() {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_;
  }
  std::atomic<bool> fail{false};

 private:
  static bool Verified(const httplib::Request& req) {
    server::Request request;
    request.method = req.method;
    request.path = req.path;
    request.body = req.body;
    for (const auto& [name, value] : req.headers) request.headers.emplace_back(name, value);
    return VerifyPeerRequest(request, kSecret, std::chrono::system_clock::now());
  }

  Json status_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  int triggers_ = 0;
  int reads_ = 0;
};

// A port nothing listens on (bound, then closed): connecting is refused at once.
std::string ClosedUrl() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

// Repository URLs owned by replica a (this one), b, c, and nobody.
PeerView ViewOf(const std::string& b_url, const std::string& c_url = "") {
  PeerView view;
  view.self = "a";
  view.secret = kSecret;
  view.urls = {{"a", "http://127.0.0.1:1"}, {"b", b_url}};
  if (!c_url.empty()) view.urls["c"] = c_url;
  view.owner = [](const std::string& url) -> std::string {
    if (url.ends_with("/mine.git")) return "a";
    if (url.ends_with("/theirs.git")) return "b";
    if (url.ends_with("/far.git")) return "c";
    return "";
  };
  return view;
}

class PeerForwarderTest : public ::testing::Test {
 protected:
  aws::CurlHttpClient http_{
      aws::CurlOptions{std::chrono::milliseconds(500), std::chrono::milliseconds(1500), ""}};
  base::FakeClock clock_;  // retry delays are recorded, not slept
};

TEST_F(PeerForwarderTest, ACheckOfAnotherReplicasRepositoryIsSentToItSigned) {
  FakeReplica b;
  // Real time: b checks the signature's time against its own clock.
  PeerForwarder forwarder(
      http_, [&] { return ViewOf(b.url()); }, *base::SystemClock::Get());
  forwarder.Start();
  // Its own repository, nobody's, and an owner without an address stay here.
  EXPECT_FALSE(forwarder.Forward("mine", "https://git.example/acme/mine.git"));
  EXPECT_FALSE(forwarder.Forward("lost", "https://git.example/acme/lost.git"));
  EXPECT_FALSE(forwarder.Forward("far", "https://git.example/acme/far.git"));
  EXPECT_TRUE(forwarder.Forward("theirs", "https://git.example/acme/theirs.git"));
  ASSERT_TRUE(testing::WaitUntil([&] { return !b.Bodies().empty(); }, seconds(10)));
  EXPECT_EQ(nlohmann::json::parse(b.Bodies()[0]), nlohmann::json({{"repositories", {"theirs"}}}));
  EXPECT_EQ(b.Triggers(), 1);  // signed: accepted at the first attempt
}

TEST_F(PeerForwarderTest, NothingIsForwardedWithoutThePeerSecret) {
  FakeReplica b;
  PeerForwarder forwarder(
      http_,
      [&] {
        PeerView view = ViewOf(b.url());
        view.secret.clear();
        return view;
      },
      clock_);
  forwarder.Start();
  EXPECT_FALSE(forwarder.Forward("theirs", "https://git.example/acme/theirs.git"));
}

TEST_F(PeerForwarderTest, AFailingOwnerIsTriedThreeTimesThenLeftToItsPoll) {
  FakeReplica b;
  b.fail = true;
  PeerForwarder forwarder(
      http_, [&] { return ViewOf(b.url()); }, clock_);
  forwarder.Start();
  const auto before = clock_.SteadyNow();
  ASSERT_TRUE(forwarder.Forward("theirs", "https://git.example/acme/theirs.git"));
  ASSERT_TRUE(testing::WaitUntil([&] { return b.Triggers() == 3; }, seconds(10)));
  forwarder.Stop();
  EXPECT_EQ(b.Triggers(), 3);
  EXPECT_EQ(clock_.SteadyNow() - before, std::chrono::milliseconds(500));  // two 250 ms waits
}

// This replica's own status: r-mine is current, r-theirs and r-far are stale (b and c hold
// them now), and r-gone's project belongs to a repository no longer configured.
Json LocalStatus() {
  return Json::parse(R"({
    "repositories": [
      {"name": "r-far", "url": "https://git.example/acme/far.git", "lastFetchedCommit": "f1"},
      {"name": "r-mine", "url": "https://git.example/acme/mine.git", "lastFetchedCommit": "m2"},
      {"name": "r-theirs", "url": "https://git.example/acme/theirs.git", "lastFetchedCommit": "t1"}],
    "projects": [
      {"key": "r-far/web", "repository": "r-far", "lastAppliedRevision": "f1"},
      {"key": "r-gone/web", "repository": "r-gone", "lastAppliedRevision": "g1"},
      {"key": "r-mine/web", "repository": "r-mine", "lastAppliedRevision": "m2"},
      {"key": "r-theirs/web", "repository": "r-theirs", "lastAppliedRevision": "t1"}],
    "version": 7})");
}

// Replica b's own status: r-theirs is current there.
Json StatusOfB() {
  return Json::parse(R"({
    "repositories": [
      {"name": "r-mine", "url": "https://git.example/acme/mine.git", "lastFetchedCommit": "m0"},
      {"name": "r-theirs", "url": "https://git.example/acme/theirs.git", "lastFetchedCommit": "t2"}],
    "projects": [
      {"key": "r-mine/web", "repository": "r-mine", "lastAppliedRevision": "m0"},
      {"key": "r-theirs/web", "repository": "r-theirs", "lastAppliedRevision": "t2"},
      {"key": "r-theirs/api", "repository": "r-theirs", "lastAppliedRevision": "t2"}],
    "version": 40})");
}

TEST(PeerStatusTest, EachRepositoryComesFromTheReplicaHoldingIt) {
  FakeReplica b(StatusOfB());
  const std::string c_url = ClosedUrl();
  aws::CurlHttpClient http(
      aws::CurlOptions{std::chrono::milliseconds(500), std::chrono::milliseconds(1500), ""});
  PeerStatus status(
      http, [&] { return ViewOf(b.url(), c_url); }, *base::SystemClock::Get());
  const Json merged = status.Merge(LocalStatus());

  std::map<std::string, Json> repositories;
  for (const Json& repository : merged["repositories"]) {
    repositories[repository["name"]] = repository;
  }
  ASSERT_EQ(repositories.size(), 3U) << merged.dump(2);
  EXPECT_EQ(repositories["r-mine"]["lastFetchedCommit"], "m2");  // ours, not b's stale view
  EXPECT_EQ(repositories["r-mine"]["replica"], "a");
  EXPECT_EQ(repositories["r-theirs"]["lastFetchedCommit"], "t2");  // b's, not ours
  EXPECT_EQ(repositories["r-theirs"]["replica"], "b");
  EXPECT_EQ(repositories["r-far"]["lastFetchedCommit"], "f1");  // c did not answer: ours
  EXPECT_EQ(repositories["r-far"]["replica"], "c");

  std::map<std::string, Json> projects;
  for (const Json& project : merged["projects"]) projects[project["key"]] = project;
  ASSERT_EQ(projects.size(), 5U) << merged.dump(2);
  EXPECT_EQ(projects["r-mine/web"]["lastAppliedRevision"], "m2");
  EXPECT_EQ(projects["r-theirs/web"]["lastAppliedRevision"], "t2");
  EXPECT_EQ(projects["r-theirs/api"]["replica"], "b");  // a project only b knows
  EXPECT_EQ(projects["r-far/web"]["replica"], "c");
  EXPECT_EQ(projects["r-gone/web"]["replica"], "a");
  EXPECT_EQ(merged["version"], 7);

  ASSERT_EQ(merged["peers"].size(), 2U);
  EXPECT_EQ(merged["peers"][0]["id"], "b");
  EXPECT_EQ(merged["peers"][0]["reachable"], true);
  EXPECT_EQ(merged["peers"][1]["id"], "c");
  EXPECT_EQ(merged["peers"][1]["reachable"], false);
  EXPECT_NE(merged["peers"][1]["error"], "");

  // A second read within a second asks b nothing more.
  const int reads = b.Reads();
  status.Merge(LocalStatus());
  EXPECT_EQ(b.Reads(), reads);
}

TEST(PeerRelayTest, AProjectsRequestGoesToTheReplicaHoldingItWithTheCallersToken) {
  FakeReplica b;
  const std::string c_url = ClosedUrl();
  aws::CurlHttpClient http(
      aws::CurlOptions{std::chrono::milliseconds(500), std::chrono::milliseconds(1500), ""});
  PeerRelay relay(http, [&] { return ViewOf(b.url(), c_url); });
  server::Request approve;
  approve.method = "POST";
  approve.target = approve.path = "/api/v1/projects/r-theirs%2Fweb/approve";
  approve.body = R"({"changeSet":"cs-1"})";
  approve.headers = {{"Authorization", "Bearer operate-token-1234567890"},
                     {"X-Ecsync-Approver", "alice"},
                     {"Cookie", "session=not-for-the-owner"}};

  auto answer = relay.Relay(approve, "https://git.example/acme/theirs.git");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 202);
  const nlohmann::json echoed = nlohmann::json::parse(answer->body);
  EXPECT_EQ(echoed["path"], "/api/v1/projects/r-theirs/web/approve");  // as httplib decodes it
  EXPECT_EQ(echoed["body"], approve.body);
  EXPECT_EQ(echoed["authorization"], "Bearer operate-token-1234567890");  // checked by b
  EXPECT_EQ(echoed["approver"], "alice");
  EXPECT_EQ(echoed["relayedBy"], "a");
  EXPECT_EQ(echoed["cookie"], "");  // only what the operator API reads travels
  bool named = false;
  for (const auto& [name, value] : answer->headers)
    named |= name == "X-Ecsync-Replica" && value == "b";
  EXPECT_TRUE(named);

  // Answered here: its own repository, nobody's, and a request relayed once already.
  EXPECT_FALSE(relay.Relay(approve, "https://git.example/acme/mine.git"));
  EXPECT_FALSE(relay.Relay(approve, "https://git.example/acme/lost.git"));
  server::Request again = approve;
  again.headers.emplace_back(kRelayedByHeader, "c");
  EXPECT_FALSE(relay.Relay(again, "https://git.example/acme/theirs.git"));

  // An owner that does not answer: 502 naming it, nothing internal.
  auto failed = relay.Relay(approve, "https://git.example/acme/far.git");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 502);
  EXPECT_EQ(nlohmann::json::parse(failed->body)["replica"], "c");
}

}  // namespace
}  // namespace ecsync::web
