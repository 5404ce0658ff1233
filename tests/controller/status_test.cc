// The status API's JSON (controller/status.h) stay valid UTF-8 whatever
// bytes git, compose files or AWS put in names and error messages.

#include "controller/status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/stack_files.h"
#include "base/clock.h"
#include "base/utf8.h"
#include "controller/commit_link.h"
#include "controller/controller.h"
#include "controller/outcome_recorder.h"
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
  std::string project;
  ASSERT_NO_THROW(project = store.ProjectJson(std::string("shop/") + kBadKey)->dump());
  EXPECT_EQ(nlohmann::json::parse(project)["runs"][0]["message"], "service \xEF\xBF\xBD");
}

// The list is the overview's: each project's summary. The run history, the last change set
// and the template diff are in the project's own entry only.
TEST(StatusJson, TheListHoldsSummariesAndTheProjectEntryTheHistory) {
  StatusStore store;
  store.UpdateProject("shop/web", [](ProjectStatus& p) {
    p.repository = "shop";
    p.last_changes = {{"Modify", "WebService", "AWS::ECS::Service", "False"}};
    p.last_template_diff = {"~ DesiredCount: 1 -> 2"};
  });
  store.AddRun("shop/web", RunRecord{});
  const nlohmann::ordered_json listed = store.ToJson()["projects"][0];
  EXPECT_EQ(listed["key"], "shop/web");
  for (const char* field : {"runs", "lastChanges", "lastTemplateDiff", "lastChangesRevision"}) {
    EXPECT_FALSE(listed.contains(field)) << field;
  }
  const nlohmann::ordered_json full = *store.ProjectJson("shop/web");
  EXPECT_EQ(full["runs"].size(), 1u);
  EXPECT_EQ(full["lastChanges"][0]["logicalId"], "WebService");
  EXPECT_EQ(full["lastTemplateDiff"][0], "~ DesiredCount: 1 -> 2");
  // Everything the list says, the entry says alike.
  for (const auto& [field, value] : listed.items()) EXPECT_EQ(full[field], value) << field;
}

TEST(StatusStore, EveryChangeBumpsTheVersionAndTellsTheObservers) {
  StatusStore store;
  std::vector<std::pair<uint64_t, std::string>> seen;  // version, key or "repo:" + name
  const int id = store.AddObserver(
      [&](uint64_t version, const std::string& key, const std::string& repository) {
        seen.emplace_back(version, key.empty() ? "repo:" + repository : key);
      });
  store.UpdateProject("shop/web", [](ProjectStatus& p) { p.stack = "shop-web"; });
  store.UpdateRepository("shop", [](RepositoryStatus& r) { r.url = "u"; });
  store.AddRun("shop/web", RunRecord{});
  store.RemoveProject("shop/web");
  store.RemoveObserver(id);
  store.UpdateProject("shop/api", [](ProjectStatus&) {});
  const std::vector<std::pair<uint64_t, std::string>> expected = {
      {1, "shop/web"}, {2, "repo:shop"}, {3, "shop/web"}, {4, "shop/web"}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(store.version(), 5u);
  EXPECT_EQ(store.ToJson()["version"], 5);
}

TEST(StatusStore, AProjectShowsItsCommitSubjectAuthorAndLink) {
  StatusStore store;
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  store.UpdateRepository("shop",
                         [](RepositoryStatus& r) { r.url = "git@github.com:acme/shop.git"; });
  store.RecordCommit("shop", sha, {"fix <script>alert(1)</script>", "Ada"});
  store.UpdateProject("shop/web", [&](ProjectStatus& p) {
    p.repository = "shop";
    p.last_attempted_revision = sha;
  });
  const auto project = store.ProjectJson("shop/web");
  ASSERT_TRUE(project);
  EXPECT_EQ((*project)["commit"]["subject"], "fix <script>alert(1)</script>");
  EXPECT_EQ((*project)["commit"]["author"], "Ada");
  EXPECT_EQ((*project)["commit"]["url"], "https://github.com/acme/shop/commit/" + sha);
  EXPECT_FALSE(store.ProjectJson("shop/none"));
  // Only the latest kMaxCommits are kept.
  for (int i = 0; i < static_cast<int>(RepositoryStatus::kMaxCommits); ++i) {
    store.RecordCommit("shop", std::to_string(i), {"s", "a"});
  }
  EXPECT_EQ((*store.ProjectJson("shop/web"))["commit"]["subject"], "");
}

TEST(CommitLink, KnownHostsInEveryUrlForm) {
  const std::string sha = "abc123";
  EXPECT_EQ(CommitLink("https://github.com/acme/shop.git", sha),
            "https://github.com/acme/shop/commit/abc123");
  EXPECT_EQ(CommitLink("git@github.com:acme/shop.git", sha),
            "https://github.com/acme/shop/commit/abc123");
  EXPECT_EQ(CommitLink("https://user:secret@gitlab.com/group/sub/shop", sha),
            "https://gitlab.com/group/sub/shop/-/commit/abc123");
  EXPECT_EQ(CommitLink("ssh://git@gitea.example.com:2222/acme/shop.git", sha),
            "https://gitea.example.com/acme/shop/commit/abc123");
  EXPECT_EQ(CommitLink("https://codeberg.org/acme/shop", sha),
            "https://codeberg.org/acme/shop/commit/abc123");
  EXPECT_EQ(CommitLink("https://bitbucket.org/acme/shop.git", sha),
            "https://bitbucket.org/acme/shop/commits/abc123");
  EXPECT_EQ(CommitLink("https://git.example.com/acme/shop.git", sha), "");
  EXPECT_EQ(CommitLink("file:///tmp/repo", sha), "");
  EXPECT_EQ(CommitLink("https://github.com/acme/shop\"onclick=x", sha), "");
  EXPECT_EQ(CommitLink("https://github.com/acme/shop", "javascript:alert(1)"), "");
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
}

// Whoever sees a project's condition change also sees the run behind it: a reader (the
// status API, the UI's stream) woken by the change that made a project Stalled or Ready finds
// the refused or finished run first in its list, never the run before it.
TEST(OutcomeRecorderTest, TheRunIsRecordedBeforeTheConditionItExplains) {
  StatusStore status;
  base::FakeClock clock;
  OutcomeRecorder recorder(status, nullptr, clock);
  status.UpdateProject("mono/app", [](ProjectStatus& s) { s.stack = "mono-app"; });
  std::vector<std::string> seen;  // "<condition> <first run's result>" at each change
  status.AddObserver([&](uint64_t, const std::string& key, const std::string&) {
    ProjectStatus now;
    if (key != "mono/app" || !status.FindProject(key, &now)) return;
    seen.push_back(std::string(ConditionName(now.condition)) + " " +
                   (now.runs.empty() ? "-" : now.runs.front().result));
  });

  recorder.SignatureRefused("mono/app", std::string(40, 'b'), "refused bbbbbbbbbbbb");
  ASSERT_FALSE(seen.empty());
  for (const std::string& change : seen) {
    if (change.starts_with("Stalled")) {
      EXPECT_EQ(change, "Stalled refused");
    }
  }
  EXPECT_EQ(seen.back(), "Stalled refused");

  seen.clear();
  FinishedRun finished;
  finished.run.result = "success";
  finished.run.action = "update";
  finished.stack = "mono-app";
  finished.revision = std::string(40, 'c');
  finished.condition = Condition::kReady;
  finished.succeeded = true;
  recorder.Finished("mono/app", finished);
  ASSERT_FALSE(seen.empty());
  for (const std::string& change : seen) {
    if (change.starts_with("Ready")) {
      EXPECT_EQ(change, "Ready success");
    }
  }
  EXPECT_EQ(seen.back(), "Ready success");
}

}  // namespace
}  // namespace ecsync::controller
