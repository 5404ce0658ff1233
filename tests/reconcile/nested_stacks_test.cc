// Projects over one stack's limits deploy as a parent stack with nested stacks whose
// templates go through the template bucket. Against moto through the real AWS clients:
// moto's S3 holds the templates and its CloudFormation (with tests/support/moto_ecsync.py's
// nested stacks) reads them. Small StackLimits make a few services "too many".

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/hash.h"
#include "git/libgit2_source.h"
#include "reconcile/crash_detector.h"
#include "reconcile/prune.h"
#include "reconcile/reconciler.h"
#include "reconcile/stack_tags.h"
#include "reconcile/template_placement.h"
#include "tests/aws/moto_fixture.h"
#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"
#include "tests/reconcile/forwarding_cloudformation.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kBucket[] = "ecsync-templates";
constexpr char kStack[] = "fleet";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Limits that a handful of services exceed (each published service is about ten resources).
cfn::StackLimits SmallLimits() {
  cfn::StackLimits limits;
  limits.max_resources = 30;
  return limits;
}

// `count` services, each publishing a port; `version` changes every service.
std::string FleetCompose(int count, const std::string& version) {
  std::string out = "name: fleet\nservices:\n";
  for (int i = 0; i < count; ++i) {
    out += "  web" + std::to_string(i) + ":\n    image: nginx:1.27\n";
    out += "    ports:\n      - \"" + std::to_string(8000 + i) + ":80\"\n";
    out += "    environment:\n      VERSION: \"" + version + "\"\n";
  }
  return out;
}

// The same as a model project, for the placer alone.
cfn::Json FleetTemplate(int count) {
  std::vector<compose::Service> services;
  services.reserve(count);
  for (int i = 0; i < count; ++i) {
    services.push_back(cfn::testing::Service("web" + std::to_string(i), "nginx:1.27",
                                             {cfn::testing::Port(8000 + i)}));
  }
  return cfn::testing::ConvertOk(cfn::testing::Project("fleet", services));
}

// ECS in which every service's new tasks keep failing to start (moto's never stop).
class CrashingEcs : public aws::Ecs {
 public:
  base::Result<std::vector<aws::EcsCluster>> DescribeClusters(
      const std::vector<std::string>&) override {
    return std::vector<aws::EcsCluster>{};
  }
  base::Result<aws::EcsServices> DescribeServices(const std::string&,
                                                  const std::vector<std::string>& names) override {
    aws::EcsServices out;
    aws::EcsService service;
    service.name = names.front();
    service.task_definition = "td:1";
    out.services = {service};
    return out;
  }
  base::Result<std::vector<std::string>> ListTasks(const std::string&, const std::string&,
                                                   const std::string& desired) override {
    if (desired != "STOPPED") return std::vector<std::string>{};
    return std::vector<std::string>{"t1", "t2", "t3"};
  }
  base::Result<std::vector<aws::EcsTask>> DescribeTasks(
      const std::string&, const std::vector<std::string>& arns) override {
    std::vector<aws::EcsTask> tasks;
    for (const std::string& arn : arns) {
      aws::EcsTask task;
      task.arn = arn;
      task.task_definition_arn = "td:1";
      task.stop_code = "TaskFailedToStart";
      task.stopped_reason = "CannotPullContainerError";
      tasks.push_back(task);
    }
    return tasks;
  }
};

class NestedStacksTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    cfn_ = std::make_unique<fakes::ForwardingCloudFormation>(*clients_.cloudformation);
  }

  void CreateBucket() const {
    ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
  }

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = kStack;
    options.template_bucket = kBucket;
    options.limits = SmallLimits();
    options.wait = {milliseconds(100), milliseconds(60000)};  // moto is quick
    return options;
  }

  Reconciler MakeReconciler(std::vector<std::string>* lines = nullptr) {
    ProgressSink sink;
    if (lines != nullptr) {
      sink = [lines](const ProgressEvent& event) { lines->push_back(FormatText(event)); };
    }
    return Reconciler(
        git_, {.cloudformation = cfn_.get(), .ec2 = clients_.ec2.get(), .s3 = clients_.s3.get()},
        *base::SystemClock::Get(), sink);
  }

  // Keys in the template bucket with their last-modified times, which change when an object
  // is written again.
  std::map<std::string, std::string> Objects() const {
    auto listed =
        nlohmann::json::parse(moto_->Aws({"s3api", "list-objects-v2", "--bucket", kBucket}));
    std::map<std::string, std::string> objects;
    for (const auto& object : listed.value("Contents", nlohmann::json::array())) {
      objects[object["Key"].get<std::string>()] = object["LastModified"].dump();
    }
    return objects;
  }

  std::string Object(const std::string& key) const {
    const std::string file = scratch_.path() + "/object.json";
    EXPECT_NE(moto_->Aws({"s3api", "get-object", "--bucket", kBucket, "--key", key, file}), "");
    return testing::ReadFileOrDie(file);
  }

  std::unique_ptr<fakes::ForwardingCloudFormation> cfn_;
  testing::TempDir cache_, scratch_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
};

TEST_F(NestedStacksTest, WithinLimitsTheTemplateIsPassedByteForByte) {
  CreateBucket();
  const std::string body = FleetTemplate(2).dump();
  TemplatePlacer placer(clients_.s3.get(), nullptr);
  auto placed = placer.Place({kBucket, "ecsync/"}, kStack, body, SmallLimits());
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ(placed->body, body);
  EXPECT_EQ(placed->url, "");
  EXPECT_EQ(placed->nested_stacks, 0u);
  EXPECT_TRUE(Objects().empty());

  // Over the inline limit but within a stack's: one object named by the template's hash.
  cfn::StackLimits tight = SmallLimits();
  tight.max_inline_bytes = 1000;
  placed = placer.Place({kBucket, "ecsync/"}, kStack, body, tight);
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ(placed->body, "");
  const std::string key = TemplateKey("ecsync/", kStack, body);
  EXPECT_EQ(placed->url, clients_.s3->TemplateUrl(kBucket, key));
  EXPECT_EQ(Object(key), body);
}

TEST_F(NestedStacksTest, OverLimitsChildrenAreUploadedUnderTheirHashesOnce) {
  CreateBucket();
  const cfn::Json tmpl = FleetTemplate(6);
  TemplatePlacer placer(clients_.s3.get(), nullptr);
  auto placed = placer.Place({kBucket, "p/"}, kStack, tmpl.dump(), SmallLimits());
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  ASSERT_GE(placed->nested_stacks, 2u);
  ASSERT_FALSE(placed->body.empty()) << "the parent is small enough to go inline";
  EXPECT_EQ(placed->body, placed->stack_template);

  // The parent names each child by the URL of its content's key, and each object holds it.
  const auto parent = cfn::Json::parse(placed->body);
  std::set<std::string> urls;
  for (const auto& [id, resource] : parent["Resources"].items()) {
    if (resource["Type"] == "AWS::CloudFormation::Stack") {
      urls.insert(resource["Properties"]["TemplateURL"].get<std::string>());
    }
  }
  const std::map<std::string, std::string> objects = Objects();
  ASSERT_EQ(objects.size(), placed->nested_stacks);
  ASSERT_EQ(urls.size(), placed->nested_stacks);
  for (const auto& [key, modified] : objects) {
    EXPECT_TRUE(key.starts_with("p/fleet/nested/")) << key;
    const std::string body = Object(key);
    EXPECT_EQ(key, NestedTemplateKey("p/", kStack, body));
    EXPECT_TRUE(urls.contains(clients_.s3->TemplateUrl(kBucket, key))) << key;
  }
  EXPECT_EQ(placer.uploaded().size(), placed->nested_stacks);

  // The same template again: the same parent, nothing uploaded again.
  auto again = placer.Place({kBucket, "p/"}, kStack, tmpl.dump(), SmallLimits());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->body, placed->body);
  EXPECT_EQ(Objects(), objects);

  auto counted = placer.CountNestedStacks({kBucket, "p/"}, kStack, tmpl.dump(), SmallLimits());
  ASSERT_TRUE(counted.ok()) << counted.status().ToString();
  EXPECT_EQ(*counted, placed->nested_stacks);
}

TEST_F(NestedStacksTest, WithoutS3NothingIsSplit) {
  // Stack files have no limits.
  const std::string body = FleetTemplate(6).dump();
  TemplatePlacer placer(nullptr, nullptr);
  auto placed = placer.Place({"", "ecsync/"}, kStack, body, SmallLimits());
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ(placed->body, body);
  EXPECT_EQ(placed->nested_stacks, 0u);
  EXPECT_EQ(*placer.CountNestedStacks({}, kStack, body, SmallLimits()), 0u);
}

TEST_F(NestedStacksTest, OverLimitsWithoutABucketTheRunStopsBeforeAnyAwsCall) {
  repo_.Write("compose.yaml", FleetCompose(6, "1"));
  repo_.Commit("six services");
  ReconcileOptions options = Options();
  options.template_bucket.clear();
  Reconciler reconciler = MakeReconciler();
  auto report = reconciler.Reconcile(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid) << report.status().ToString();
  const std::string message = report.status().message();
  EXPECT_TRUE(Contains(message, "stack fleet")) << message;
  EXPECT_TRUE(Contains(message, " resources and ")) << message;
  EXPECT_TRUE(Contains(message, "nested stacks")) << message;
  EXPECT_TRUE(Contains(message, "aws.template_bucket")) << message;
  EXPECT_TRUE(Contains(message, "--template-bucket")) << message;
  EXPECT_EQ(cfn_->calls(), 0);
  EXPECT_EQ(moto_->StackStatus(kStack), "");
}

TEST_F(NestedStacksTest, ASplitProjectDeploysOnceAndChildrenAreNoProjects) {
  CreateBucket();
  repo_.Write("compose.yaml", FleetCompose(6, "1"));
  const std::string first = repo_.Commit("six services");
  ReconcileOptions options = Options();
  std::vector<std::string> lines;
  Reconciler reconciler = MakeReconciler(&lines);

  auto plan = reconciler.Plan(options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->action, Action::kCreate);
  ASSERT_GE(plan->nested_stacks, 2u);
  EXPECT_TRUE(Contains(plan->reason,
                       "split into " + std::to_string(plan->nested_stacks) + " nested stacks"))
      << plan->reason;
  EXPECT_TRUE(Objects().empty()) << "a plan of a create uploads nothing";

  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  EXPECT_EQ(created->action, Action::kCreate);
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");
  EXPECT_EQ(moto_->StackTag(kStack, "ecsync:revision"), first);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return Contains(l, "nested stacks"); }));

  // The parent and its children exist; the children carry the parent's tags and ParentId.
  auto all = clients_.cloudformation->DescribeStacks();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto parent = clients_.cloudformation->DescribeStack(kStack);
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(parent->parent_id, "");
  std::vector<aws::Stack> children;
  for (const aws::Stack& stack : *all) {
    if (stack.name == kStack) continue;
    EXPECT_EQ(stack.parent_id, parent->id) << stack.name;
    EXPECT_EQ(stack.root_id, parent->id) << stack.name;
    EXPECT_TRUE(stack.name.starts_with("fleet-Services")) << stack.name;
    EXPECT_EQ(stack.status, "CREATE_COMPLETE") << stack.name;
    EXPECT_EQ(TagValue(stack.tags, kTagSource), TagValue(parent->tags, kTagSource));
    children.push_back(stack);
  }
  EXPECT_EQ(children.size(), plan->nested_stacks);
  // Every service runs, in the parent's cluster.
  auto clusters = nlohmann::json::parse(moto_->Aws({"ecs", "list-clusters"}));
  ASSERT_EQ(clusters["clusterArns"].size(), 1u);
  auto services = nlohmann::json::parse(moto_->Aws(
      {"ecs", "list-services", "--cluster", clusters["clusterArns"][0].get<std::string>()}));
  EXPECT_EQ(services["serviceArns"].size(), 6u);

  // cfn-lint passes on the parent and every child.
  auto deployed = clients_.cloudformation->GetTemplate(kStack);
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  base::Status lint = testing::CfnLint(*deployed);
  EXPECT_TRUE(lint.ok()) << "parent: " << lint.ToString();
  const std::map<std::string, std::string> objects = Objects();
  EXPECT_EQ(objects.size(), children.size());
  for (const auto& [key, modified] : objects) {
    lint = testing::CfnLint(Object(key));
    EXPECT_TRUE(lint.ok()) << key << ": " << lint.ToString();
  }

  // Listings, prune and the snapshot see one project.
  auto managed = ListManagedStacks(*clients_.cloudformation);
  ASSERT_TRUE(managed.ok()) << managed.status().ToString();
  ASSERT_EQ(managed->size(), 1u);
  EXPECT_EQ(managed->front().name, kStack);
  auto down = Down(*clients_.cloudformation, *base::SystemClock::Get(), nullptr,
                   children.front().name, options.wait);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().kind(), base::ErrorKind::kConflict) << down.status().ToString();
  EXPECT_TRUE(Contains(down.status().message(), "nested stack of fleet"))
      << down.status().ToString();
  EXPECT_EQ(moto_->StackStatus(children.front().name), "CREATE_COMPLETE");
  PruneOptions prune;
  prune.repo_url = repo_.url();
  EXPECT_TRUE(PruneCandidates(*all, prune).size() == 1u &&
              PruneCandidates(*all, prune).front().name == kStack);

  // The crash detector finds the services inside the nested stacks.
  CrashingEcs ecs;
  CrashDetector detector(*clients_.cloudformation, ecs);
  auto crash = detector.Check(parent->id);
  ASSERT_TRUE(crash.ok()) << crash.status().ToString();
  ASSERT_TRUE(crash->has_value());
  EXPECT_TRUE(Contains(**crash, "Service): 3 tasks")) << **crash;

  // The same commit again: no AWS write and no upload.
  cfn_->ResetCounts();
  auto again = reconciler.Reconcile(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone) << again->message;
  EXPECT_EQ(cfn_->change_sets(), 0);
  EXPECT_EQ(cfn_->executes(), 0);
  EXPECT_EQ(Objects(), objects);
  Reconciler fresh = MakeReconciler();
  again = fresh.Reconcile(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone) << again->message;
  EXPECT_EQ(Objects(), objects);

  // A new revision updates the parent, and the children in place.
  repo_.Write("compose.yaml", FleetCompose(6, "2"));
  const std::string second = repo_.Commit("version 2");
  auto updated = reconciler.Reconcile(options);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  ASSERT_TRUE(updated->succeeded) << updated->message;
  EXPECT_EQ(updated->action, Action::kUpdate);
  EXPECT_EQ(moto_->StackTag(kStack, "ecsync:revision"), second);
  all = clients_.cloudformation->DescribeStacks();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  size_t nested = 0;
  for (const aws::Stack& stack : *all) {
    if (stack.parent_id.empty()) continue;
    ++nested;
    EXPECT_EQ(TagValue(stack.tags, kTagRevision), second) << stack.name;
  }
  EXPECT_EQ(nested, children.size());
  managed = ListManagedStacks(*clients_.cloudformation);
  ASSERT_TRUE(managed.ok());
  EXPECT_EQ(managed->size(), 1u);

  // The compose file gone: the parent goes, and its children with it.
  repo_.Remove("compose.yaml");
  repo_.Commit("gone");
  auto deleted = reconciler.Reconcile(options);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->action, Action::kDelete);
  all = clients_.cloudformation->DescribeStacks();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty()) << all->front().name;
}

}  // namespace
}  // namespace ecsync::reconcile
