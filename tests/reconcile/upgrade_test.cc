// Upgrade safety (docs/deployments/README.md): a stack that an earlier ecsync release deployed
// updates in place with today's converter. The stack here is deployed from the template the
// release before x-aws-deployment printed (tests/reconcile/upgrade/), tagged as that release
// tagged it; today's reconciler then takes it over through real change sets in moto, whose
// wrapper says which changes replace a resource as CloudFormation decides it, from each
// type's registry schema (tests/support/moto_change_set_replacement.py).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "base/strings.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kStack[] = "shop";
constexpr char kFixtures[] = "/tests/reconcile/upgrade/";

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string Fixture(const std::string& name) {
  auto text = base::ReadWholeFile(testing::SourceDir() + kFixtures + name);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

class UpgradeTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    aws::MotoClientsTest::SetUp();
    if (HasFatalFailure()) return;
    auto vpc = clients_.ec2->DefaultVpcId();
    ASSERT_TRUE(vpc.ok()) << vpc.status().ToString();
    vpc_ = *vpc;
    auto subnets = clients_.ec2->SubnetIds(vpc_);
    ASSERT_TRUE(subnets.ok() && subnets->size() >= 2);
    subnets_ = {(*subnets)[0], (*subnets)[1]};
  }

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = kStack;
    options.network = cfn::ConvertOptions(vpc_, subnets_);
    options.wait = {milliseconds(100), milliseconds(120000)};
    return options;
  }

  Reconciler MakeReconciler() {
    return Reconciler(git_,
                      {.cloudformation = clients_.cloudformation.get(),
                       .ec2 = clients_.ec2.get(),
                       .ecs = clients_.ecs.get()},
                      *base::SystemClock::Get(), [](const ProgressEvent&) {});
  }

  // The release's template, in this moto's network, as the compact body it sent.
  std::string ReleasedTemplate() const {
    std::string text = Fixture("template-30c1d2b.json");
    // The subnets' hex digits also name their mount targets' logical IDs.
    const std::map<std::string, std::string> ids = {{"vpc-11111111", vpc_},
                                                    {"aaaa1111", subnets_[0].substr(7)},
                                                    {"bbbb2222", subnets_[1].substr(7)}};
    for (const auto& [placeholder, id] : ids) text = ReplaceAll(text, placeholder, id);
    return nlohmann::ordered_json::parse(text).dump();
  }

  // Commits the fixture's compose file and deploys the release's template for it, tagged as
  // that release tagged its stacks.
  void DeployAsTheReleaseDid() {
    repo_.Write("compose.yaml", Fixture("compose.yaml"));
    revision_ = repo_.Commit("first");
    Desired desired;
    desired.source = SourceId(repo_.url(), "compose.yaml");
    desired.revision = revision_;
    desired.present = true;
    desired.stack_name = kStack;
    desired.template_body = ReleasedTemplate();
    desired.template_sha = base::Sha256Hex(desired.template_body);
    auto report = MakeReconciler().ApplyDesired(Options(), desired);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->succeeded) << report->message;
    before_ = Services();
    ASSERT_EQ(before_.size(), 3u);
  }

  // The stack's ECS services: logical ID to physical ID (the service ARN).
  std::map<std::string, std::string> Services() const {
    std::map<std::string, std::string> out;
    auto resources = clients_.cloudformation->DescribeStackResources(kStack);
    EXPECT_TRUE(resources.ok()) << resources.status().ToString();
    if (!resources.ok()) return out;
    for (const aws::StackResource& r : *resources) {
      if (r.resource_type == "AWS::ECS::Service") out[r.logical_id] = r.physical_id;
    }
    return out;
  }

  // Runs `run` in another thread, moving the wrapper's deployment clock until it returns.
  static base::Result<ReconcileReport> Driven(
      const std::function<base::Result<ReconcileReport>()>& run,
      const std::function<void()>& drive) {
    std::atomic<bool> done = false;
    base::Result<ReconcileReport> report = base::InternalError("not run");
    std::thread thread([&] {
      report = run();
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      drive();
      std::this_thread::sleep_for(milliseconds(50));
    }
    thread.join();
    return report;
  }

  testing::TempDir cache_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
  std::string vpc_;
  std::vector<std::string> subnets_;
  std::string revision_;
  std::map<std::string, std::string> before_;
};

// Today's converter prints the release's template byte for byte for a project that uses
// nothing new, so taking such a stack over changes nothing at all: no change set, no update.
TEST_F(UpgradeTest, AStackTheReleaseDeployedIsLeftAsItIs) {
  DeployAsTheReleaseDid();
  if (HasFatalFailure()) return;
  auto plan = MakeReconciler().Plan(Options());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->action, Action::kNone) << plan->reason;
  auto report = MakeReconciler().Reconcile(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(report->action, Action::kNone) << report->message;
  EXPECT_EQ(Services(), before_);
}

// Opting one service into a canary adds the resources the strategy needs beside the old ones
// and changes the existing ones in place: the change set replaces nothing, and after the
// deployment every service is the one the release created.
TEST_F(UpgradeTest, OptingIntoACanaryReplacesNothing) {
  DeployAsTheReleaseDid();
  if (HasFatalFailure()) return;
  std::string compose = Fixture("compose.yaml");
  compose = ReplaceAll(compose, "      interval: 30s\n",
                       "      interval: 30s\n"
                       "    x-aws-deployment:\n"
                       "      strategy: canary\n"
                       "      canary: {percent: 10, bake_minutes: 5}\n");
  ASSERT_NE(compose.find("strategy: canary"), std::string::npos);
  repo_.Write("compose.yaml", compose);
  repo_.Commit("api: canary deployments");

  auto plan = MakeReconciler().Plan(Options());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->action, Action::kUpdate) << plan->reason;
  std::vector<std::string> modified;
  for (const aws::ResourceChange& change : plan->changes) {
    EXPECT_NE(change.action, "Remove") << change.logical_id;
    if (change.action != "Modify") continue;
    modified.push_back(change.logical_id);
    EXPECT_EQ(change.replacement, "False") << change.logical_id;
  }
  EXPECT_NE(std::find(modified.begin(), modified.end(), "ApiService"), modified.end())
      << base::Join(modified, ", ");
  for (const char* kept : {"WebService", "WorkerService", "ApiTaskDefinition", "Cluster",
                           "LoadBalancer", "DataFilesystem", "CloudMap"}) {
    EXPECT_EQ(std::find(modified.begin(), modified.end(), kept), modified.end()) << kept;
  }

  auto report = Driven([&] { return MakeReconciler().Reconcile(Options()); },
                       [&] { moto_->Control("/moto-api/ecsync/ecs/advance", R"({"steps": 1})"); });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(report->action, Action::kUpdate);
  EXPECT_EQ(Services(), before_);
}

// The other side of the check above: a change to a property CloudFormation cannot change in
// place is reported as a replacement, through ecsync's own change-set client.
TEST_F(UpgradeTest, AChangeSetSaysWhenAServiceWouldBeReplaced) {
  DeployAsTheReleaseDid();
  if (HasFatalFailure()) return;
  nlohmann::ordered_json changed = nlohmann::ordered_json::parse(ReleasedTemplate());
  changed["Resources"]["WorkerService"]["Properties"]["ServiceName"] = "worker-renamed";
  changed["Resources"]["WebService"]["Properties"]["DesiredCount"] = 3;
  aws::CreateChangeSetRequest request;
  request.stack_name = kStack;
  request.change_set_name = "rename";
  request.template_body = changed.dump();
  request.change_set_type = "UPDATE";
  auto id = clients_.cloudformation->CreateChangeSet(request);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto change_set = clients_.cloudformation->DescribeChangeSet(*id, kStack);
  ASSERT_TRUE(change_set.ok()) << change_set.status().ToString();
  std::map<std::string, std::string> replacement;
  for (const aws::ResourceChange& change : change_set->changes) {
    replacement[change.logical_id] = change.replacement;
  }
  EXPECT_EQ(replacement["WorkerService"], "True");
  EXPECT_EQ(replacement["WebService"], "False");
  EXPECT_EQ(replacement.count("ApiService"), 0u);
}

}  // namespace
}  // namespace ecsync::reconcile
