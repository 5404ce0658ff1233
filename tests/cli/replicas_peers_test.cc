// Webhooks and status on any replica (docs/high-availability.md), end to end: two real
// `ecsync serve` processes sharing the repositories, which they poll only once an hour, so a
// new commit reaches its stack only through a webhook. The webhook goes to the replica that
// does not hold the repository; it forwards the check to the one that does, and either
// replica's status lists every project with its owner and relays a project's page to it.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/hash.h"
#include "tests/cli/replicas.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kHookSecret[] = "replicas-hook-secret";

class ReplicasWithWebhooks : public Replicas {
 protected:
  ReplicasWithWebhooks()
      : Replicas(ReplicasOptions{
            .repositories = 6, .shards = 8, .poll_interval = "1h", .webhook_secret = kHookSecret}) {
  }

  // A GitHub push of `revision` to repository `repository`'s main, signed, sent to `to`'s
  // public port.
  static httplib::Result Push(const Replica& to, const std::string& url,
                              const std::string& revision) {
    const std::string body =
        json{{"ref", "refs/heads/main"}, {"after", revision}, {"repository", {{"clone_url", url}}}}
            .dump();
    httplib::Client client("127.0.0.1", to.port);
    client.set_read_timeout(10, 0);
    return client.Post(
        "/hooks/github",
        {{"X-GitHub-Event", "push"},
         {"X-GitHub-Delivery", "delivery-" + revision},
         {"X-Hub-Signature-256", "sha256=" + base::HexEncode(base::HmacSha256(kHookSecret, body))}},
        body, "application/json");
  }
};

TEST_F(ReplicasWithWebhooks, AWebhookOnAnyReplicaReachesTheOwnerAndAnyReplicaShowsEveryProject) {
  Start("replica-a");
  if (HasFatalFailure()) return;
  Start("replica-b");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(Await([&] { return AllDeployed(); }, seconds(120))) << Logs();
  Replica& a = replicas_[0];
  Replica& b = replicas_[1];
  ASSERT_TRUE(Await([&] { return Balanced({&a, &b}); }, seconds(30))) << Logs();

  // A repository b holds, pushed to a once b has checked every repository of its shards (a
  // shard that just arrived is checked at once, which would find the commit without the
  // webhook) and a's directory names b as its owner.
  ASSERT_TRUE(Await(
      [&] {
        for (const Replica* replica : {&a, &b}) {
          auto ready = replica->Get("/readyz");
          if (!ready || ready->status != 200) return false;
        }
        return true;
      },
      seconds(30)))
      << Logs();
  const std::vector<int> of_b = RepositoriesOf(b.Owned());
  ASSERT_FALSE(of_b.empty());
  const int repository = of_b[0];
  const std::string stack = StackOf(repository);
  ASSERT_TRUE(Await(
      [&] {
        auto res = a.Get("/api/v1/status");
        if (!res || res->status != 200) return false;
        const json doc = json::parse(res->body);
        for (const json& project : doc["projects"]) {
          if (project["stack"] == stack) return project["replica"] == "replica-b";
        }
        return false;
      },
      seconds(30)))
      << Logs();
  const std::string revision = CommitTo({repository}, App(2));
  const auto pushed = std::chrono::steady_clock::now();
  auto answer = Push(a, repos_->Url(repository), revision);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 202) << answer->body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return b.process->Log().find("check requested by another replica") != std::string::npos;
      },
      seconds(20)))
      << Logs();
  const double forwarded =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - pushed).count();
  RecordProperty("forwarded_seconds", std::to_string(forwarded));
  EXPECT_LT(forwarded, 5.0);  // within a second on a quiet machine; sanitizers and CI slow it
  // a says so once b has answered: a moment after b's line.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return a.process->Log().find("webhook check forwarded to the owning replica") !=
               std::string::npos;
      },
      seconds(10)))
      << Logs();
  // Polled once an hour: only the forwarded check can have deployed it.
  ASSERT_TRUE(Await([&] { return AllDeployed(); }, seconds(60))) << Logs();

  // Either replica's status: every project, each with the replica holding it.
  const std::set<int> owned_by_b = b.Owned();
  for (const Replica* replica : {&a, &b}) {
    auto res = replica->Get("/api/v1/status");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    const json doc = json::parse(res->body);
    ASSERT_EQ(doc["projects"].size(), static_cast<size_t>(options_.repositories)) << res->body;
    for (const json& project : doc["projects"]) {
      const int i = RepositoryOfStack(project["stack"].get<std::string>());
      ASSERT_GE(i, 0) << project.dump();
      EXPECT_EQ(project["replica"],
                owned_by_b.contains(ShardOfRepository(i)) ? "replica-b" : "replica-a")
          << replica->id << " " << project.dump();
    }
    ASSERT_EQ(doc["peers"].size(), 1U);
    EXPECT_TRUE(doc["peers"][0]["reachable"].get<bool>()) << doc["peers"].dump();
  }

  // The project's page asked of a is b's answer.
  auto page = a.Get("/api/v1/projects/repo" + std::to_string(repository) + "%2Fweb");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->get_header_value("X-Ecsync-Replica"), "replica-b");
  EXPECT_EQ(json::parse(page->body)["key"], "repo" + std::to_string(repository) + "/web");
}

}  // namespace
}  // namespace ecsync::testing
