// The status API's JSON and the status page (controller/status.h) stay valid UTF-8 whatever
// bytes git, compose files or AWS put in names and error messages.

#include "controller/status.h"
#include "web/status_page.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/stack_files.h"
#include "base/utf8.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

constexpr char kBadKey[] = "web\xff";
constexpr char kCut[] = "service \xE2\x82";  // a three-byte character cut after two bytes

void Fill(StatusStore& store) {
  store.UpdateRepository("shop", [](RepositoryStatus& r) {
    r.url = "https://example.com/shop.git";
    r.last_error = std::string("fetch failed: ") + kCut;
  });
  store.UpdateProject(std::string("shop/") + kBadKey, [](ProjectStatus& p) {
    p.repository = "shop";
    p.name = kBadKey;
    p.condition = Condition::kStalled;
    p.reason = std::string("compose.yaml:3: services.") + kBadKey + ": unknown key";
  });
  RunRecord run;
  run.action = "none";
  run.result = "error";
  run.message = kCut;
  store.AddRun(std::string("shop/") + kBadKey, run);
}

TEST(StatusJson, NonUtf8NamesAndErrorsAreReplacedNotFatal) {
  StatusStore store;
  Fill(store);
  std::string text;
  ASSERT_NO_THROW(text = store.ToJson().dump(2));
  EXPECT_TRUE(base::IsValidUtf8(text));
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["projects"][0]["name"], "web\xEF\xBF\xBD");
  EXPECT_EQ(doc["projects"][0]["condition"]["reason"],
            "compose.yaml:3: services.web\xEF\xBF\xBD: unknown key");
  EXPECT_EQ(doc["repositories"][0]["lastError"], "fetch failed: service \xEF\xBF\xBD");
  EXPECT_EQ(doc["projects"][0]["runs"][0]["message"], "service \xEF\xBF\xBD");
}

TEST(StatusPage, NonUtf8TextIsReplaced) {
  StatusStore store;
  Fill(store);
  const std::string html = web::RenderStatusPage(store, "1.0");
  EXPECT_TRUE(base::IsValidUtf8(html));
  EXPECT_NE(html.find("web\xEF\xBF\xBD"), std::string::npos);
}

TEST(StatusPage, AFailingRepositoryShowsItsBackoff) {
  StatusStore store;
  store.UpdateRepository("shop", [](RepositoryStatus& r) {
    r.url = "https://git.example.com/shop.git";
    r.last_error = "connection refused";
    r.consecutive_failures = 3;
    r.backoff_seconds = 241.6;
    r.next_attempt = std::chrono::system_clock::from_time_t(1'800'000'000);
  });
  const std::string html = web::RenderStatusPage(store, "1.0");
  EXPECT_NE(html.find("<th>next check</th>"), std::string::npos);
  EXPECT_NE(html.find("(retry after 3 failures, backing off 242 s)"), std::string::npos) << html;
}

// End to end: a commit whose compose file has a key with the byte 0xFF. The project stalls
// with an error quoting the key, and the status stays readable until the next commit.
TEST(StatusJson, ACommittedNonUtf8ComposeKeyDoesNotBreakTheStatus) {
  testing::TempDir work;
  testing::GitRepo repo;
  repo.Write("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n    bad\xffkey: 1\n");
  repo.Commit("a key that is not UTF-8");
  git::LibGit2Source git(work.path() + "/cache");
  aws::StackFiles stacks(work.path() + "/stacks", *base::SystemClock::Get());
  metrics::Metrics metrics("test", "");
  config::Config config;
  config.aws.vpc_id = "vpc-12345678";
  config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
  config::RepositoryConfig repository;
  repository.name = "shop";
  repository.url = repo.url();
  repository.ref = "main";
  repository.poll_interval = std::chrono::milliseconds(200);
  config::ProjectConfig project;
  project.name = "web";
  project.files = {"compose.yaml"};
  repository.projects.push_back(project);
  config.repositories.push_back(repository);
  ControllerDeps deps;
  deps.git = &git;
  deps.targets.cloudformation = &stacks;
  deps.clock = base::SystemClock::Get();
  deps.metrics = &metrics;
  Controller controller(config, deps);
  controller.Start();
  ProjectStatus status;
  ASSERT_TRUE(testing::WaitUntil([&] {
    return controller.status().FindProject("shop/web", &status) &&
           status.condition == Condition::kStalled;
  }));
  controller.Stop();
  // The condition quotes the key as committed; the outputs must not.
  ASSERT_FALSE(base::IsValidUtf8(status.reason)) << status.reason;
  std::string text;
  ASSERT_NO_THROW(text = controller.status().ToJson().dump(2));
  EXPECT_TRUE(base::IsValidUtf8(text));
  EXPECT_NE(text.find("bad\xEF\xBF\xBDkey"), std::string::npos) << text;
  EXPECT_TRUE(base::IsValidUtf8(web::RenderStatusPage(controller.status(), "1.0")));
}

}  // namespace
}  // namespace ecsync::controller
