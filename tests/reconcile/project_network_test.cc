// x-aws-loadbalancer by name or ARN and x-aws-vpc, resolved against moto through the real
// ELBv2 and EC2 clients; then one project deployed onto an existing load balancer named in
// its compose file, from a real git repository.

#include "reconcile/project_network.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

bool Says(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ProjectNetworkTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    auto vpc = clients_.ec2->DefaultVpcId();
    ASSERT_TRUE(vpc.ok()) << vpc.status().ToString();
    default_vpc_ = *vpc;
    auto subnets = clients_.ec2->SubnetIds(default_vpc_);
    ASSERT_TRUE(subnets.ok() && subnets->size() >= 2);
    default_subnets_ = *subnets;
  }

  Json Cli(const std::vector<std::string>& args) const { return Json::parse(moto_->Aws(args)); }

  // Creates a load balancer in `subnets` and returns its ARN.
  std::string CreateLoadBalancer(const std::string& name, const std::string& type,
                                 const std::vector<std::string>& subnets) const {
    std::vector<std::string> args = {
        "elbv2", "create-load-balancer", "--name", name, "--type", type, "--subnets"};
    args.insert(args.end(), subnets.begin(), subnets.end());
    Json created = Cli(args);
    return created["LoadBalancers"][0]["LoadBalancerArn"].get<std::string>();
  }

  // A VPC other than the default one, with two subnets.
  std::pair<std::string, std::vector<std::string>> OtherVpc() const {
    const std::string vpc =
        Cli({"ec2", "create-vpc", "--cidr-block", "10.9.0.0/16"})["Vpc"]["VpcId"]
            .get<std::string>();
    std::vector<std::string> subnets;
    for (const char* cidr : {"10.9.1.0/24", "10.9.2.0/24"}) {
      subnets.push_back(
          Cli({"ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", cidr})["Subnet"]["SubnetId"]
              .get<std::string>());
    }
    return {vpc, subnets};
  }

  cfn::ConvertOptions DefaultNetwork() const {
    return cfn::ConvertOptions(default_vpc_, default_subnets_);
  }

  static compose::Project ProjectWith(nlohmann::ordered_json extensions) {
    compose::Project project;
    project.name = "shop";
    project.extensions = std::move(extensions);
    return project;
  }

  std::string default_vpc_;
  std::vector<std::string> default_subnets_;
};

TEST_F(ProjectNetworkTest, ANameBecomesTheLoadBalancersArnAndType) {
  const std::string arn = CreateLoadBalancer("shared-alb", "application", default_subnets_);
  cfn::ConvertOptions network = DefaultNetwork();
  base::Status status = LookUpLoadBalancer(
      *clients_.elbv2, ProjectWith({{"x-aws-loadbalancer", "shared-alb"}}), &network);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(network.load_balancer.has_value());
  EXPECT_EQ(network.load_balancer->arn, arn);
  EXPECT_EQ(network.load_balancer->type, "application");
  // Same VPC: the subnets stay.
  EXPECT_EQ(network.vpc_id, default_vpc_);
  EXPECT_EQ(network.subnet_ids, default_subnets_);
}

TEST_F(ProjectNetworkTest, AnArnIsCheckedAndTyped) {
  const std::string arn = CreateLoadBalancer("shared-nlb", "network", default_subnets_);
  cfn::ConvertOptions network = DefaultNetwork();
  ASSERT_TRUE(
      LookUpLoadBalancer(*clients_.elbv2, ProjectWith({{"x-aws-loadbalancer", arn}}), &network)
          .ok());
  ASSERT_TRUE(network.load_balancer.has_value());
  EXPECT_EQ(network.load_balancer->type, "network");
}

TEST_F(ProjectNetworkTest, AMissingLoadBalancerIsAClearError) {
  cfn::ConvertOptions network = DefaultNetwork();
  base::Status status =
      LookUpLoadBalancer(*clients_.elbv2, ProjectWith({{"x-aws-loadbalancer", "nope"}}), &network);
  EXPECT_EQ(status.kind(), base::ErrorKind::kInvalid);
  EXPECT_TRUE(Says(status.message(), "x-aws-loadbalancer \"nope\" of project \"shop\""))
      << status.message();
  EXPECT_TRUE(Says(status.message(), "no such load balancer")) << status.message();
  EXPECT_FALSE(network.load_balancer.has_value());
}

TEST_F(ProjectNetworkTest, TheLoadBalancersVpcBecomesTheProjects) {
  auto [vpc, subnets] = OtherVpc();
  CreateLoadBalancer("elsewhere", "application", subnets);
  cfn::ConvertOptions network = DefaultNetwork();
  network.public_subnet_ids = default_subnets_;
  network.assign_public_ip = true;  // as AddPublicSubnets decided for the default VPC
  ASSERT_TRUE(LookUpLoadBalancer(*clients_.elbv2,
                                 ProjectWith({{"x-aws-loadbalancer", "elsewhere"}}), &network)
                  .ok());
  EXPECT_EQ(network.vpc_id, vpc);
  // The default VPC's subnets do not apply there; the caller looks that VPC's up.
  EXPECT_TRUE(network.subnet_ids.empty());
  EXPECT_TRUE(network.public_subnet_ids.empty());
  EXPECT_FALSE(network.assign_public_ip.has_value());  // decided again for the new VPC

  // x-aws-vpc naming another VPC contradicts the load balancer.
  network = DefaultNetwork();
  base::Status status = LookUpLoadBalancer(
      *clients_.elbv2,
      ProjectWith({{"x-aws-loadbalancer", "elsewhere"}, {"x-aws-vpc", default_vpc_}}), &network);
  EXPECT_EQ(status.kind(), base::ErrorKind::kInvalid);
  EXPECT_TRUE(Says(status.message(), "is in " + vpc)) << status.message();
}

TEST_F(ProjectNetworkTest, XAwsVpcMovesTheProject) {
  auto [vpc, subnets] = OtherVpc();
  cfn::ConvertOptions network = DefaultNetwork();
  ASSERT_TRUE(UseRequestedVpc(ProjectWith({{"x-aws-vpc", vpc}}), &network).ok());
  EXPECT_EQ(network.vpc_id, vpc);
  EXPECT_TRUE(network.subnet_ids.empty());
  // The same VPC keeps the subnets; no extension changes nothing.
  network = DefaultNetwork();
  ASSERT_TRUE(UseRequestedVpc(ProjectWith({{"x-aws-vpc", default_vpc_}}), &network).ok());
  EXPECT_EQ(network.subnet_ids, default_subnets_);
  ASSERT_TRUE(UseRequestedVpc(ProjectWith(nullptr), &network).ok());
  EXPECT_EQ(network.subnet_ids, default_subnets_);
  EXPECT_EQ(UseRequestedVpc(ProjectWith({{"x-aws-vpc", "default"}}), &network).kind(),
            base::ErrorKind::kInvalid);
}

// Counts the route-table lookups that finding public subnets takes; forwards everything.
class CountingEc2 : public aws::Ec2 {
 public:
  explicit CountingEc2(aws::Ec2& real) : real_(real) {}
  base::Result<std::string> DefaultVpcId() override { return real_.DefaultVpcId(); }
  base::Result<std::vector<std::string>> SubnetIds(const std::string& vpc) override {
    return real_.SubnetIds(vpc);
  }
  base::Result<std::vector<aws::RouteTable>> DescribeRouteTables(const std::string& vpc) override {
    ++route_lookups;
    return real_.DescribeRouteTables(vpc);
  }
  int route_lookups = 0;

 private:
  aws::Ec2& real_;
};

// The public subnets are looked up for a load balancer the stack creates, not for an
// existing one.
TEST_F(ProjectNetworkTest, PublicSubnetsOnlyForALoadBalancerOfTheStack) {
  CountingEc2 ec2(*clients_.ec2);
  CreateLoadBalancer("shared", "application", default_subnets_);
  compose::Project project = ProjectWith(nullptr);
  compose::Service web;
  web.name = "web";
  web.image = "nginx";
  compose::PortMapping port;
  port.target = 80;
  web.ports = {port};
  project.services = {web};
  auto own = ResolveProjectNetwork(&ec2, clients_.elbv2.get(), {}, project);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->vpc_id, default_vpc_);
  EXPECT_EQ(ec2.route_lookups, 1);

  project.extensions = {{"x-aws-loadbalancer", "shared"}};
  auto shared = ResolveProjectNetwork(&ec2, clients_.elbv2.get(), {}, project);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(ec2.route_lookups, 1);  // not again
  EXPECT_EQ(shared->subnet_ids, default_subnets_);
  ASSERT_TRUE(shared->load_balancer.has_value());

  // Without EC2 nothing can be looked up: the network must be given.
  auto offline = ResolveProjectNetwork(nullptr, nullptr, {}, project);
  EXPECT_EQ(offline.status().kind(), base::ErrorKind::kInvalid);
  auto given = ResolveProjectNetwork(nullptr, nullptr, DefaultNetwork(), project);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->subnet_ids, default_subnets_);
}

// The whole path: a compose file names an existing load balancer in another VPC; the
// reconciler looks it up, deploys into its VPC (subnets looked up there) and the stack's
// listener sits on that load balancer.
TEST_F(ProjectNetworkTest, ReconcilerDeploysOntoANamedLoadBalancer) {
  auto [vpc, subnets] = OtherVpc();
  const std::string arn = CreateLoadBalancer("shared-alb", "application", subnets);
  testing::TempDir cache;
  testing::GitRepo repo;
  repo.Write("compose.yaml",
             "name: shop\n"
             "x-aws-loadbalancer: shared-alb\n"
             "services:\n"
             "  web:\n"
             "    image: nginx\n"
             "    ports:\n"
             "      - target: 8080\n"
             "        x-aws-protocol: http\n");
  repo.Commit("web on the shared load balancer");
  git::LibGit2Source git(cache.path());
  Reconciler reconciler(git,
                        {.cloudformation = clients_.cloudformation.get(),
                         .ec2 = clients_.ec2.get(),
                         .elbv2 = clients_.elbv2.get()},
                        *base::SystemClock::Get(), nullptr);
  ReconcileOptions options;
  options.repo_url = repo.url();
  options.stack_name = "shop";
  options.network = DefaultNetwork();  // what a controller looked up; the project moves
  options.wait = {milliseconds(100), milliseconds(60000)};
  auto report = reconciler.Reconcile(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->succeeded) << report->message;
  EXPECT_EQ(report->final_status, "CREATE_COMPLETE");

  Json listeners = Cli({"elbv2", "describe-listeners", "--load-balancer-arn", arn});
  ASSERT_EQ(listeners["Listeners"].size(), 1u) << listeners.dump();
  EXPECT_EQ(listeners["Listeners"][0]["Port"], 8080);
  EXPECT_EQ(listeners["Listeners"][0]["Protocol"], "HTTP");
  Json groups = Cli({"elbv2", "describe-target-groups"});
  ASSERT_EQ(groups["TargetGroups"].size(), 1u);
  EXPECT_EQ(groups["TargetGroups"][0]["VpcId"], vpc);
  // No second load balancer was made.
  EXPECT_EQ(Cli({"elbv2", "describe-load-balancers"})["LoadBalancers"].size(), 1u);

  // Without the lookup a name cannot be used, and nothing is touched.
  Reconciler offline(git,
                     {.cloudformation = clients_.cloudformation.get(), .ec2 = clients_.ec2.get()},
                     *base::SystemClock::Get(), nullptr);
  options.stack_name = "shop2";
  auto refused = offline.Reconcile(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Says(refused.status().message(), "is a name")) << refused.status().ToString();
}

}  // namespace
}  // namespace ecsync::reconcile
