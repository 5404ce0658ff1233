// ApproveDeployments in a project split into nested stacks, deployed to moto: the approval
// parameter stays in the parent and the blue/green service with `approval: manual` goes into
// a child. The moto wrapper (tests/support/moto_ecs_deployments.py) holds the deployment at
// the approval hook until the parameter names its revision (or rejects it), and holds the
// child stack and, through it, the parent while it waits.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "git/libgit2_source.h"
#include "reconcile/deployment_approval.h"
#include "reconcile/reconciler.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kStack[] = "shop";
constexpr char kBucket[] = "ecsync-templates";
constexpr char kAdvance[] = "/moto-api/ecsync/ecs/advance";

// A blue/green web service with approval behind the load balancer, and a worker: over 20
// resources, so the limits below split it.
std::string Compose(const std::string& image) {
  return "name: shop\nservices:\n  web:\n    image: " + image +
         "\n    ports: [{target: 8080, published: 80, app_protocol: http}]\n"
         "    x-aws-deployment: {strategy: blue_green, approval: manual}\n"
         "  worker:\n    image: busybox\n";
}

class DeploymentApprovalTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
  }

  Targets Aws() const {
    Targets targets;
    targets.cloudformation = clients_.cloudformation.get();
    targets.ec2 = clients_.ec2.get();
    targets.ecs = clients_.ecs.get();
    targets.s3 = clients_.s3.get();
    targets.ssm = clients_.ssm.get();
    return targets;
  }

  // Starts reconciling `image` in another thread; Finish() joins it.
  void StartDeploy(const std::string& image) {
    repo_.Write("compose.yaml", Compose(image));
    repo_.Commit(image);
    done_ = false;
    deploy_ = std::thread([this] {
      ReconcileOptions options;
      options.repo_url = repo_.url();
      options.stack_name = kStack;
      options.template_bucket = kBucket;
      options.limits.max_resources = 20;
      options.wait = {milliseconds(50), milliseconds(60000)};
      Reconciler reconciler(git_, Aws(), *base::SystemClock::Get(), nullptr);
      report_ = reconciler.Reconcile(options);
      done_ = true;
    });
  }

  base::Result<ReconcileReport> Finish() {
    EXPECT_TRUE(testing::WaitUntil([&] { return done_.load(); }));
    if (deploy_.joinable()) deploy_.join();
    return report_;
  }

  void TearDown() override {
    if (deploy_.joinable()) {
      moto_->Control(kAdvance, R"({"minutes": 1000})");  // let a failed test's deploy end
      deploy_.join();
    }
  }

  // Advances the clock by `body`; the web service's newest deployment's summary (null when
  // none). The worker's deployments are recorded too.
  nlohmann::json Newest(const std::string& body) const {
    const std::string answer = moto_->Control(kAdvance, body);
    if (answer.empty()) return nullptr;
    const nlohmann::json deployments = nlohmann::json::parse(answer)["deployments"];
    for (auto d = deployments.rbegin(); d != deployments.rend(); ++d) {  // recorded in order
      if (d->value("serviceDeploymentArn", "").find("-WebService-") != std::string::npos) {
        return *d;
      }
    }
    return nullptr;
  }

  // Moves the clock until the newest deployment waits at the approval hook (at most 30 s).
  ::testing::AssertionResult WaitForApprovalHook() {
    nlohmann::json newest;
    const bool waiting = testing::WaitUntil(
        [&] {
          newest = Newest(R"({"minutes": 10})");
          return newest.is_object() && newest.value("status", "") == "IN_PROGRESS" &&
                 newest.value("lifecycleStage", "") == "POST_TEST_TRAFFIC_SHIFT";
        },
        std::chrono::seconds(30));
    if (waiting) return ::testing::AssertionSuccess();
    std::string why = "newest deployment " + newest.dump();
    if (done_) {
      deploy_.join();
      why +=
          "; the deploy ended: " + (report_.ok() ? report_->message : report_.status().ToString());
    }
    return ::testing::AssertionFailure() << why;
  }

  // Creates the stack, approving its first deployment.
  void CreateApproved() {
    StartDeploy("nginx:1");
    ASSERT_TRUE(WaitForApprovalHook());
    ASSERT_TRUE(ApproveDeployments(Aws(), kStack, "web", false).ok());
    Newest(R"({"minutes": 100})");
    auto created = Finish();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(created->succeeded) << created->message;
  }

  testing::TempDir cache_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
  std::thread deploy_;
  std::atomic<bool> done_ = false;
  base::Result<ReconcileReport> report_ = base::InternalError("not run");
};

TEST_F(DeploymentApprovalTest, FindsTheParameterInTheParentAndTheServiceInTheChild) {
  StartDeploy("nginx:1");
  ASSERT_TRUE(WaitForApprovalHook());
  // Held at the hook however long: the child stack, and the parent with it, wait.
  Newest(R"({"minutes": 120})");
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_IN_PROGRESS");
  EXPECT_FALSE(done_);

  auto parent = clients_.cloudformation->DescribeStackResources(kStack);
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  bool parameter_in_parent = false;
  bool service_in_parent = false;
  bool nested = false;
  for (const aws::StackResource& r : *parent) {
    parameter_in_parent |= r.logical_id == "WebApprovalParameter";
    service_in_parent |= r.logical_id == "WebService";
    nested |= r.resource_type == "AWS::CloudFormation::Stack";
  }
  EXPECT_TRUE(parameter_in_parent);
  EXPECT_FALSE(service_in_parent);
  EXPECT_TRUE(nested);

  auto approved = ApproveDeployments(Aws(), kStack, "", false);
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  ASSERT_EQ(approved->services.size(), 1u);
  const ServiceApproval& web = approved->services[0];
  EXPECT_EQ(web.service, "web");
  EXPECT_EQ(web.action, ApprovalAction::kApproved);
  EXPECT_TRUE(web.paused);
  EXPECT_EQ(web.stage, "POST_TEST_TRAFFIC_SHIFT");
  EXPECT_EQ(web.revision_arn.rfind("arn:aws:ecs:us-east-1:", 0), 0u) << web.revision_arn;
  EXPECT_EQ(web.revision_arn.substr(web.revision_arn.size() - web.revision.size()), web.revision);
  EXPECT_TRUE(approved->Acted());

  EXPECT_EQ(Newest(R"({"minutes": 100})")["status"], "SUCCESSFUL");
  auto created = Finish();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->succeeded) << created->message;
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");

  auto again = ApproveDeployments(Aws(), kStack, "", false);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->services.size(), 1u);
  EXPECT_EQ(again->services[0].action, ApprovalAction::kNothingWaiting);
  EXPECT_FALSE(again->Acted());
  auto worker = ApproveDeployments(Aws(), kStack, "worker", false);
  ASSERT_FALSE(worker.ok());
  EXPECT_NE(worker.status().message().find("service worker is not one deployed with"),
            std::string::npos)
      << worker.status().ToString();
}

TEST_F(DeploymentApprovalTest, ARejectedUpdateRollsTheChildAndTheParentBack) {
  ASSERT_NO_FATAL_FAILURE(CreateApproved());

  StartDeploy("nginx:2");
  ASSERT_TRUE(WaitForApprovalHook());
  EXPECT_EQ(moto_->StackStatus(kStack), "UPDATE_IN_PROGRESS");
  auto rejected = ApproveDeployments(Aws(), kStack, "web", true);
  ASSERT_TRUE(rejected.ok()) << rejected.status().ToString();
  ASSERT_EQ(rejected->services.size(), 1u);
  EXPECT_EQ(rejected->services[0].action, ApprovalAction::kRolledBack);
  EXPECT_STREQ(ApprovalActionName(rejected->services[0].action), "rolled_back");

  EXPECT_EQ(Newest(R"({"minutes": 1})")["status"], "ROLLBACK_SUCCESSFUL");
  auto updated = Finish();
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->succeeded);
  EXPECT_EQ(moto_->StackStatus(kStack), "UPDATE_ROLLBACK_COMPLETE");
  bool reason = false;
  for (const FailedResource& f : updated->failures) {
    reason |= f.reason.find("the approver rejected") != std::string::npos;
  }
  EXPECT_TRUE(reason) << updated->message;
}

}  // namespace
}  // namespace ecsync::reconcile
