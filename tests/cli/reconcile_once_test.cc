// `ecsync reconcile --once` end to end: a real git repository, the real binary, moto_server
// as CloudFormation, and the AWS CLI as an independent witness of what was deployed.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

using nlohmann::json;

constexpr char kApp[] = R"(name: shop
services:
  web:
    image: nginx:1.27-alpine
    ports:
      - "80:80"
    depends_on: [worker]
  worker:
    image: busybox:1.36
    command: ["sh", "-c", "sleep 3600"]
    environment:
      QUEUE: jobs
)";

class ReconcileOnce : public ::testing::Test {
 protected:
  CommandResult Reconcile(const std::vector<std::string>& extra = {}) {
    // --branch is left to its default, main.
    std::vector<std::string> argv = {EcsyncBinary(), "reconcile",       "--once",
                                     "--repo",       repo_.url(),       "--cache-dir",
                                     cache_.path(),  "--poll-interval", "100ms"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, moto_.ClientEnv());
  }

  json Aws(const std::vector<std::string>& args) {
    std::string out = moto_.Aws(args);
    EXPECT_FALSE(out.empty());
    return out.empty() ? json() : json::parse(out);
  }

  // The ACTIVE ECS service whose name contains `fragment`, as DescribeServices returns it.
  // (moto replaces a service on some updates and keeps listing the old, inactive one.)
  json Service(const std::string& fragment) {
    json clusters = Aws({"ecs", "list-clusters"});
    for (const auto& cluster : clusters["clusterArns"]) {
      json services = Aws({"ecs", "list-services", "--cluster", cluster.get<std::string>()});
      for (const auto& arn : services["serviceArns"]) {
        if (arn.get<std::string>().find(fragment) == std::string::npos) continue;
        json described = Aws({"ecs", "describe-services", "--cluster", cluster.get<std::string>(),
                              "--services", arn.get<std::string>()});
        if (described["services"][0]["status"] == "ACTIVE") return described["services"][0];
      }
    }
    return json();
  }

  MotoServer moto_;
  GitRepo repo_;
  TempDir cache_;
};

TEST_F(ReconcileOnce, CreatesUpdatesAndDeletesTheStackAsCommitsArrive) {
  repo_.Write("compose.yaml", kApp);
  std::string first = repo_.Commit("shop");
  CommandResult created = Reconcile();
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:revision"), first);
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:managed-by"), "ecsync");
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:source"), repo_.url() + "#compose.yaml");
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:template-sha256").size(), 64u);
  // One progress line per stack event (moto records only the stack's own events; the
  // per-resource lines are covered by the StackWaiter tests).
  EXPECT_NE(created.err.find("shop"), std::string::npos) << created.err;
  EXPECT_NE(created.err.find("CREATE_COMPLETE  AWS::CloudFormation::Stack"), std::string::npos)
      << created.err;

  json clusters = Aws({"ecs", "list-clusters"});
  ASSERT_EQ(clusters["clusterArns"].size(), 1u);
  json web = Service("Web");
  ASSERT_FALSE(web.is_null());
  EXPECT_EQ(web["desiredCount"], 1);
  json task = Aws({"ecs", "describe-task-definition", "--task-definition",
                   web["taskDefinition"].get<std::string>()});
  bool found_image = false;
  for (const auto& c : task["taskDefinition"]["containerDefinitions"]) {
    if (c["image"] == "nginx:1.27-alpine") found_image = true;
  }
  EXPECT_TRUE(found_image) << task.dump(2);
  json deployed = Aws({"cloudformation", "get-template", "--stack-name", "shop"});
  std::string body = deployed["TemplateBody"].is_string()
                         ? deployed["TemplateBody"].get<std::string>()
                         : deployed["TemplateBody"].dump();
  EXPECT_TRUE(CfnLint(body).ok()) << CfnLint(body).message();

  // Same commit again: nothing to do.
  CommandResult again = Reconcile();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("up to date"), std::string::npos) << again.out;

  // A commit that changes the service: the stack is updated in place.
  std::string app = kApp;
  app.replace(app.find("    depends_on"), 0, "    deploy:\n      replicas: 2\n");
  repo_.Write("compose.yaml", app);
  std::string second = repo_.Commit("two web replicas");
  CommandResult updated = Reconcile();
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "UPDATE_COMPLETE");
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:revision"), second);
  EXPECT_EQ(Service("Web")["desiredCount"], 2);

  // A commit that deletes the compose file: the stack it created goes away.
  repo_.Remove("compose.yaml");
  repo_.Commit("retire the shop");
  CommandResult deleted = Reconcile();
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "");
}

TEST_F(ReconcileOnce, BrokenCommitLeavesRunningStackUntouched) {
  repo_.Write("compose.yaml", kApp);
  std::string good = repo_.Commit("shop");
  ASSERT_EQ(Reconcile().exit_code, 0);
  repo_.Write("compose.yaml", "services: [not a map");
  repo_.Commit("broken");
  CommandResult r = Reconcile();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("compose.yaml:1:"), std::string::npos) << r.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:revision"), good);
}

TEST_F(ReconcileOnce, ComposeFileInASubfolderWithAnExplicitStackName) {
  repo_.Write("deploy/prod/compose.yaml", "services:\n  api:\n    image: example/api:2\n");
  repo_.Commit("api");
  CommandResult r = Reconcile({"--path", "deploy/prod/compose.yaml", "--stack-name", "api-prod"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(moto_.StackStatus("api-prod"), "CREATE_COMPLETE");
  EXPECT_EQ(moto_.StackTag("api-prod", "ecsync:source"), repo_.url() + "#deploy/prod/compose.yaml");
}

TEST_F(ReconcileOnce, RefusesToTouchAStackItDidNotCreate) {
  TempDir dir;
  std::string tmpl =
      dir.WriteFile("t.json", R"({"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}})");
  ASSERT_FALSE(moto_
                   .Aws({"cloudformation", "create-stack", "--stack-name", "shop",
                         "--template-body", "file://" + tmpl})
                   .empty());
  repo_.Write("compose.yaml", kApp);
  repo_.Commit("shop");
  CommandResult r = Reconcile();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not created by ecsync"), std::string::npos) << r.err;
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:managed-by"), "");
}

TEST_F(ReconcileOnce, UnknownBranchIsAConfigurationError) {
  repo_.Write("compose.yaml", kApp);
  repo_.Commit("shop");
  CommandResult r = Reconcile({"--branch", "no-such-branch"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no-such-branch"), std::string::npos) << r.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "");
}

TEST_F(ReconcileOnce, MissingFileWithNoStackIsNothingToDo) {
  repo_.Write("README.md", "nothing here yet\n");
  repo_.Commit("empty");
  CommandResult r = Reconcile();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing to delete"), std::string::npos) << r.out;
}

TEST_F(ReconcileOnce, LsListsManagedStacksAndDownDeletesOne) {
  repo_.Write("compose.yaml", kApp);
  std::string revision = repo_.Commit("shop");
  ASSERT_EQ(Reconcile().exit_code, 0);
  TempDir dir;
  std::string tmpl =
      dir.WriteFile("t.json", R"({"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}})");
  ASSERT_FALSE(moto_
                   .Aws({"cloudformation", "create-stack", "--stack-name", "other",
                         "--template-body", "file://" + tmpl})
                   .empty());

  CommandResult text = RunCommand({EcsyncBinary(), "ls"}, moto_.ClientEnv());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("shop"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(revision.substr(0, 12)), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("other"), std::string::npos) << text.out;  // not ecsync's
  CommandResult as_json = RunCommand({EcsyncBinary(), "ls", "--output", "json"}, moto_.ClientEnv());
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json listed = json::parse(as_json.out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["stack"], "shop");
  EXPECT_EQ(listed[0]["status"], "CREATE_COMPLETE");
  EXPECT_EQ(listed[0]["revision"], revision);

  CommandResult refused =
      RunCommand({EcsyncBinary(), "down", "--stack-name", "other"}, moto_.ClientEnv());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("not created by ecsync"), std::string::npos) << refused.err;
  EXPECT_EQ(moto_.StackStatus("other"), "CREATE_COMPLETE");

  CommandResult down =
      RunCommand({EcsyncBinary(), "down", "--stack-name", "shop", "--poll-interval", "100ms"},
                 moto_.ClientEnv());
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(moto_.StackStatus("shop"), "");
  CommandResult missing =
      RunCommand({EcsyncBinary(), "down", "--stack-name", "shop"}, moto_.ClientEnv());
  EXPECT_EQ(missing.exit_code, 2);
}

TEST_F(ReconcileOnce, PlanShowsWhatWouldChangeAndChangesNothing) {
  repo_.Write("compose.yaml", kApp);
  std::string first = repo_.Commit("shop");
  auto plan = [&](const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {EcsyncBinary(), "plan",        "--repo",          repo_.url(),
                                     "--cache-dir",  cache_.path(), "--poll-interval", "100ms"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, moto_.ClientEnv());
  };
  CommandResult before = plan();
  EXPECT_EQ(before.exit_code, 1) << before.err;  // changes: the stack would be created
  EXPECT_NE(before.out.find("stack shop: create"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("+ WebService (AWS::ECS::Service)"), std::string::npos) << before.out;
  EXPECT_EQ(moto_.StackStatus("shop"), "");

  ASSERT_EQ(Reconcile().exit_code, 0);
  CommandResult same = plan();
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("stack shop: none"), std::string::npos) << same.out;

  std::string app = kApp;
  app.replace(app.find("    depends_on"), 0, "    deploy:\n      replicas: 3\n");
  repo_.Write("compose.yaml", app);
  repo_.Commit("three web replicas");
  CommandResult update = plan({"--output", "json"});
  EXPECT_EQ(update.exit_code, 1) << update.err;
  json planned = json::parse(update.out);
  EXPECT_EQ(planned["action"], "update");
  bool web_modified = false;
  for (const auto& c : planned["changes"]) {
    if (c["logical_id"] == "WebService" && c["action"] == "Modify") web_modified = true;
  }
  EXPECT_TRUE(web_modified) << planned.dump(2);
  bool count_line = false;
  for (const auto& line : planned["template_diff"]) {
    if (line == "~ Resources.WebService.Properties.DesiredCount: 1 -> 3") count_line = true;
  }
  EXPECT_TRUE(count_line) << planned.dump(2);
  // Nothing was applied and no change set was left behind.
  EXPECT_EQ(moto_.StackTag("shop", "ecsync:revision"), first);
  EXPECT_EQ(Service("Web")["desiredCount"], 1);
  json change_sets = Aws({"cloudformation", "list-change-sets", "--stack-name", "shop"});
  EXPECT_TRUE(change_sets["Summaries"].empty()) << change_sets.dump(2);
}

TEST_F(ReconcileOnce, JsonOutputIsOneEventPerLineEndingWithTheResult) {
  repo_.Write("compose.yaml", kApp);
  repo_.Commit("shop");
  CommandResult r = Reconcile({"--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> events;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) events.push_back(json::parse(line));
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["event"], "step");
  bool resource_event = false;
  for (const auto& e : events) resource_event |= e["event"] == "resource";
  EXPECT_TRUE(resource_event);
  EXPECT_EQ(events.back()["event"], "result");
  EXPECT_EQ(events.back()["action"], "create");
  EXPECT_EQ(events.back()["succeeded"], true);
  EXPECT_EQ(events.back()["status"], "CREATE_COMPLETE");
}

}  // namespace
}  // namespace ecsync::testing
