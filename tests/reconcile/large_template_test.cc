// Templates over CloudFormation's 51,200-byte TemplateBody limit travel through S3, and the
// load balancer of a project goes into the VPC's public subnets. Against moto through the
// real AWS clients: moto's CloudFormation reads a TemplateURL from its own S3, so the
// upload, the URL and the stack are all real. Git is a real repository.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "aws/make_clients.h"
#include "aws/stack_files.h"
#include "base/env.h"
#include "base/hash.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/aws/moto_fixture.h"
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

// Ten services with enough configuration that the template is well over 51,200 bytes;
// `version` changes every service's environment, so two versions differ.
std::string LargeCompose(const std::string& version) {
  std::string out = "name: fleet\nservices:\n";
  for (int i = 0; i < 10; ++i) {
    const std::string name = "worker" + std::to_string(i);
    out += "  " + name + ":\n    image: nginx:1.27\n";
    if (i == 0) out += "    ports:\n      - \"80:80\"\n";
    out += "    command: [\"nginx\", \"-g\", \"daemon off;\"]\n";
    out += "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"]\n";
    out += "      interval: 30s\n";
    out += "    environment:\n";
    out += "      VERSION: \"" + version + "\"\n";
    for (int v = 0; v < 40; ++v) {
      out += "      SETTING_" + std::to_string(v) + ": \"" + name + "-value-" + std::to_string(v) +
             "-" + std::string(40, 'x') + "\"\n";
    }
  }
  return out;
}

// Records how templates reach CloudFormation.
class RecordingCloudFormation : public fakes::ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;
  std::vector<std::string> create_urls, create_bodies, change_set_urls, change_set_bodies;

  base::Result<std::string> CreateStack(const aws::CreateStackRequest& request) override {
    create_urls.push_back(request.template_url);
    create_bodies.push_back(request.template_body);
    return ForwardingCloudFormation::CreateStack(request);
  }
  base::Result<std::string> CreateChangeSet(const aws::CreateChangeSetRequest& request) override {
    change_set_urls.push_back(request.template_url);
    change_set_bodies.push_back(request.template_body);
    return ForwardingCloudFormation::CreateChangeSet(request);
  }
};

class LargeTemplateTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    cfn_ = std::make_unique<RecordingCloudFormation>(*clients_.cloudformation);
  }

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = kStack;
    options.wait = {milliseconds(100), milliseconds(60000)};  // moto is quick
    return options;
  }

  Reconciler MakeReconciler() {
    return Reconciler(
        git_, {.cloudformation = cfn_.get(), .ec2 = clients_.ec2.get(), .s3 = clients_.s3.get()},
        *base::SystemClock::Get(), nullptr);
  }

  // The keys in the template bucket, sorted (S3 lists in key order).
  std::vector<std::string> Keys() const {
    auto listed =
        nlohmann::json::parse(moto_->Aws({"s3api", "list-objects-v2", "--bucket", kBucket}));
    std::vector<std::string> keys;
    for (const auto& object : listed.value("Contents", nlohmann::json::array())) {
      keys.push_back(object["Key"].get<std::string>());
    }
    return keys;
  }

  std::string Object(const std::string& key) const {
    const std::string file = scratch_.path() + "/object.json";
    EXPECT_NE(moto_->Aws({"s3api", "get-object", "--bucket", kBucket, "--key", key, file}), "");
    return testing::ReadFileOrDie(file);
  }

  std::unique_ptr<RecordingCloudFormation> cfn_;
  testing::TempDir cache_, scratch_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
};

TEST_F(LargeTemplateTest, WithoutABucketTheRunStopsBeforeAnyWriteSayingWhatToSet) {
  repo_.Write("compose.yaml", LargeCompose("1"));
  repo_.Commit("ten services");
  Reconciler reconciler = MakeReconciler();
  auto report = reconciler.Reconcile(Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid) << report.status().ToString();
  EXPECT_TRUE(Contains(report.status().message(), "51,200")) << report.status().ToString();
  EXPECT_TRUE(Contains(report.status().message(), "aws.template_bucket"))
      << report.status().ToString();
  EXPECT_TRUE(Contains(report.status().message(), "--template-bucket"))
      << report.status().ToString();
  EXPECT_EQ(cfn_->calls(), 0);
  EXPECT_EQ(moto_->StackStatus(kStack), "");

  auto plan = reconciler.Plan(Options());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().kind(), base::ErrorKind::kInvalid) << plan.status().ToString();
}

TEST_F(LargeTemplateTest, ABucketCarriesTheTemplateForCreatePlanAndUpdate) {
  ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
  repo_.Write("compose.yaml", LargeCompose("1"));
  const std::string first = repo_.Commit("ten services");
  ReconcileOptions options = Options();
  options.template_bucket = kBucket;
  Reconciler reconciler = MakeReconciler();

  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->action, Action::kCreate);
  ASSERT_TRUE(created->succeeded) << created->message;
  EXPECT_EQ(moto_->StackStatus(kStack), "CREATE_COMPLETE");
  EXPECT_EQ(moto_->StackTag(kStack, "ecsync:revision"), first);

  // The template went by URL, stored under a key named by its own hash.
  ASSERT_EQ(cfn_->create_urls.size(), 1u);
  EXPECT_TRUE(cfn_->create_bodies[0].empty());
  std::vector<std::string> keys = Keys();
  ASSERT_EQ(keys.size(), 1u);
  const std::string body = Object(keys[0]);
  EXPECT_GT(body.size(), aws::kMaxTemplateBodyBytes);
  EXPECT_EQ(keys[0], "ecsync/fleet/" + base::Sha256Hex(body) + ".json");
  EXPECT_EQ(keys[0], TemplateKey("ecsync/", kStack, body));
  EXPECT_EQ(cfn_->create_urls[0], clients_.s3->TemplateUrl(kBucket, keys[0]));
  base::Status lint = testing::CfnLint(body);
  EXPECT_TRUE(lint.ok()) << lint.ToString();

  // Nothing changed: nothing is uploaded or changed again.
  auto again = reconciler.Reconcile(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone);
  EXPECT_EQ(Keys().size(), 1u);

  repo_.Write("compose.yaml", LargeCompose("2"));
  const std::string second = repo_.Commit("version 2");
  auto plan = reconciler.Plan(options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->action, Action::kUpdate) << plan->reason;
  EXPECT_FALSE(plan->changes.empty());
  ASSERT_EQ(cfn_->change_set_urls.size(), 1u);
  EXPECT_FALSE(cfn_->change_set_urls[0].empty());
  EXPECT_TRUE(cfn_->change_set_bodies[0].empty());
  EXPECT_EQ(moto_->StackTag(kStack, "ecsync:revision"), first);  // a plan changes nothing

  auto updated = reconciler.Reconcile(options);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->action, Action::kUpdate);
  ASSERT_TRUE(updated->succeeded) << updated->message;
  EXPECT_EQ(moto_->StackStatus(kStack), "UPDATE_COMPLETE");
  EXPECT_EQ(moto_->StackTag(kStack, "ecsync:revision"), second);
  ASSERT_EQ(cfn_->change_set_urls.size(), 2u);
  EXPECT_EQ(cfn_->change_set_urls[1], cfn_->change_set_urls[0]);  // the same content, one key
  EXPECT_TRUE(cfn_->change_set_bodies[1].empty());
  EXPECT_EQ(cfn_->executes(), 1);
  EXPECT_EQ(Keys().size(), 2u);  // one object per template version
}

TEST_F(LargeTemplateTest, TheTemplatePrefixNamesTheKey) {
  ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
  repo_.Write("compose.yaml", LargeCompose("1"));
  repo_.Commit("ten services");
  ReconcileOptions options = Options();
  options.template_bucket = kBucket;
  options.template_prefix = "team-a/stacks/";
  Reconciler reconciler = MakeReconciler();
  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  std::vector<std::string> keys = Keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(keys[0].starts_with("team-a/stacks/fleet/")) << keys[0];
}

TEST_F(LargeTemplateTest, AMissingBucketIsNotFoundAndNothingIsCreated) {
  repo_.Write("compose.yaml", LargeCompose("1"));
  repo_.Commit("ten services");
  ReconcileOptions options = Options();
  options.template_bucket = "no-such-bucket-ecsync";
  Reconciler reconciler = MakeReconciler();
  auto report = reconciler.Reconcile(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kNotFound) << report.status().ToString();
  EXPECT_TRUE(Contains(report.status().message(), "s3://no-such-bucket-ecsync/ecsync/fleet/"))
      << report.status().ToString();
  EXPECT_TRUE(cfn_->create_urls.empty());
  EXPECT_EQ(moto_->StackStatus(kStack), "");
}

TEST_F(LargeTemplateTest, SmallTemplatesStayInlineEvenWithABucket) {
  ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", kBucket}), "");
  repo_.Write("compose.yaml", "name: fleet\nservices:\n  web:\n    image: nginx:1.27\n");
  repo_.Commit("one service");
  ReconcileOptions options = Options();
  options.template_bucket = kBucket;
  Reconciler reconciler = MakeReconciler();
  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  ASSERT_EQ(cfn_->create_bodies.size(), 1u);
  EXPECT_FALSE(cfn_->create_bodies[0].empty());
  EXPECT_TRUE(cfn_->create_urls[0].empty());
  EXPECT_TRUE(Keys().empty());
}

// Without Targets::s3 (the stack-files target: no S3, no limit) a large template goes inline.
TEST_F(LargeTemplateTest, WithoutS3ALargeTemplateGoesInline) {
  repo_.Write("compose.yaml", LargeCompose("1"));
  repo_.Commit("ten services");
  testing::TempDir dir;
  aws::StackFiles files(dir.path(), *base::SystemClock::Get());
  Reconciler reconciler(git_, {.cloudformation = &files, .ec2 = clients_.ec2.get()},
                        *base::SystemClock::Get(), nullptr);
  auto created = reconciler.Reconcile(Options());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->succeeded) << created->message;
  auto stored = files.GetTemplate(kStack);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_GT(stored->size(), aws::kMaxTemplateBodyBytes);
}

// A VPC with two public subnets (their own route table has 0.0.0.0/0 to an internet
// gateway) and two private ones (the main table, which has no such route).
class PublicSubnetsTest : public LargeTemplateTest {
 protected:
  // One boto3 process builds the VPC (an aws CLI call per step takes seconds each).
  static constexpr char kMakeVpc[] = R"(
import boto3, json
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
public, private = [], []
for i in range(4):
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.%d.0/24" % i,
                               AvailabilityZone="us-east-1" + "ab"[i % 2])["Subnet"]["SubnetId"]
    if i < 2:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        public.append(subnet)
    else:
        private.append(subnet)
print(json.dumps({"vpc": vpc, "public": sorted(public), "private": private}))
)";

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(LargeTemplateTest::SetUp());
    std::map<std::string, std::string> env = moto_->ClientEnv();
    env.erase("AWS_PROFILE");  // empty there, which boto3 takes as a profile name
    env.erase("AWS_SESSION_TOKEN");
    testing::CommandResult made = testing::RunCommand({"python3", "-c", kMakeVpc}, env);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto ids = nlohmann::json::parse(made.out);
    vpc_ = ids["vpc"].get<std::string>();
    public_ = ids["public"].get<std::vector<std::string>>();
    private_ = ids["private"].get<std::vector<std::string>>();
  }

  nlohmann::json DeployedTemplate() const {
    auto body = clients_.cloudformation->GetTemplate(kStack);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    return body.ok() ? nlohmann::json::parse(*body) : nlohmann::json();
  }

  std::string vpc_;
  std::vector<std::string> public_, private_;
};

constexpr char kWebApp[] =
    "name: fleet\nservices:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"80:80\"\n";

TEST_F(PublicSubnetsTest, TheLoadBalancerGoesIntoThePublicSubnetsOfALookedUpNetwork) {
  repo_.Write("compose.yaml", kWebApp);
  repo_.Commit("web");
  ReconcileOptions options = Options();
  options.network.vpc_id = vpc_;  // subnets looked up
  Reconciler reconciler = MakeReconciler();
  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  nlohmann::json tmpl = DeployedTemplate();
  EXPECT_EQ(tmpl["Resources"]["LoadBalancer"]["Properties"]["Subnets"], nlohmann::json(public_));
  const auto& awsvpc =
      tmpl["Resources"]["WebService"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"];
  EXPECT_EQ(awsvpc["Subnets"].size(), 4u);  // the tasks run in every subnet, as before
  // Found subnets move only the load balancer; the tasks keep their public IP.
  EXPECT_EQ(awsvpc["AssignPublicIp"], "ENABLED");
  auto balancers = nlohmann::json::parse(moto_->Aws({"elbv2", "describe-load-balancers"}));
  ASSERT_EQ(balancers["LoadBalancers"].size(), 1u);
  std::vector<std::string> zones_subnets;
  for (const auto& zone : balancers["LoadBalancers"][0]["AvailabilityZones"]) {
    zones_subnets.push_back(zone["SubnetId"].get<std::string>());
  }
  std::sort(zones_subnets.begin(), zones_subnets.end());
  EXPECT_EQ(zones_subnets, public_);
}

TEST_F(PublicSubnetsTest, ConfiguredPublicSubnetsWin) {
  repo_.Write("compose.yaml", kWebApp);
  repo_.Commit("web");
  ReconcileOptions options = Options();
  options.network.vpc_id = vpc_;
  options.network.public_subnet_ids = private_;  // odd, but what was asked for
  Reconciler reconciler = MakeReconciler();
  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  EXPECT_EQ(DeployedTemplate()["Resources"]["LoadBalancer"]["Properties"]["Subnets"],
            nlohmann::json(private_));
}

// Subnets the user chose are used as they are: nothing is looked up.
TEST_F(PublicSubnetsTest, ChosenSubnetsAreUsedAsTheyAre) {
  repo_.Write("compose.yaml", kWebApp);
  repo_.Commit("web");
  ReconcileOptions options = Options();
  options.network.vpc_id = vpc_;
  options.network.subnet_ids = private_;
  Reconciler reconciler = MakeReconciler();
  auto created = reconciler.Reconcile(options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  EXPECT_EQ(DeployedTemplate()["Resources"]["LoadBalancer"]["Properties"]["Subnets"],
            nlohmann::json(private_));
}

TEST_F(PublicSubnetsTest, AddPublicSubnetsNeedsTwo) {
  cfn::ConvertOptions network(vpc_, private_);
  ASSERT_TRUE(AddPublicSubnets(*clients_.ec2, &network).ok());
  EXPECT_EQ(network.public_subnet_ids, public_);
  EXPECT_EQ(network.assign_public_ip, std::optional<bool>(true));
  network.public_subnet_ids.clear();
  network.assign_public_ip = false;
  ASSERT_TRUE(AddPublicSubnets(*clients_.ec2, &network).ok());
  EXPECT_EQ(network.assign_public_ip, std::optional<bool>(false));  // what was set stays

  // The default VPC of moto routes nowhere: nothing is public there.
  auto default_vpc = clients_.ec2->DefaultVpcId();
  ASSERT_TRUE(default_vpc.ok()) << default_vpc.status().ToString();
  cfn::ConvertOptions fallback(*default_vpc, {});
  ASSERT_TRUE(AddPublicSubnets(*clients_.ec2, &fallback).ok());
  EXPECT_TRUE(fallback.public_subnet_ids.empty());
  EXPECT_FALSE(fallback.assign_public_ip.has_value());
}

// moto's default VPC has no internet gateway route, so nothing counts as public there: the
// load balancer stays in the task subnets, as before.
TEST_F(LargeTemplateTest, WithoutPublicSubnetsTheLoadBalancerSharesTheTaskSubnets) {
  repo_.Write("compose.yaml", kWebApp);
  repo_.Commit("web");
  Reconciler reconciler = MakeReconciler();
  auto created = reconciler.Reconcile(Options());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(created->succeeded) << created->message;
  auto body = clients_.cloudformation->GetTemplate(kStack);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  nlohmann::json tmpl = nlohmann::json::parse(*body);
  EXPECT_EQ(tmpl["Resources"]["LoadBalancer"]["Properties"]["Subnets"],
            tmpl["Resources"]["WebService"]["Properties"]["NetworkConfiguration"]
                ["AwsvpcConfiguration"]["Subnets"]);
}

}  // namespace
}  // namespace ecsync::reconcile
