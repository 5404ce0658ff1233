// ELBv2, EC2 route tables and security groups, and EFS reads against a real moto_server.
// Resources are made with the AWS CLI; the clients under test only read them.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "aws/efs.h"
#include "aws/make_clients.h"
#include "aws/public_subnets.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

class MoreServices : public MotoClientsTest {
 protected:
  // Runs the AWS CLI against moto; its JSON output (null when it printed nothing).
  static Json Cli(const std::vector<std::string>& args) {
    std::string out = moto_->Aws(args);
    if (out.empty()) return Json();
    return Json::parse(out, nullptr, /*allow_exceptions=*/false);
  }
  std::string DefaultVpc() {
    auto vpc = clients_.ec2->DefaultVpcId();
    EXPECT_TRUE(vpc.ok()) << vpc.status().ToString();
    return vpc.ok() ? *vpc : "";
  }
};

TEST_F(MoreServices, Elbv2LoadBalancersAndListenersEveryPage) {
  const std::string vpc = DefaultVpc();
  auto subnets = clients_.ec2->SubnetIds(vpc);
  ASSERT_TRUE(subnets.ok() && subnets->size() >= 2) << subnets.status().ToString();
  Json sg = Cli({"ec2", "create-security-group", "--group-name", "lb", "--description", "lb",
                 "--vpc-id", vpc});
  const std::string sg_id = sg.value("GroupId", "");
  ASSERT_FALSE(sg_id.empty());
  std::vector<std::string> arns;
  for (const char* name : {"api", "web", "worker"}) {
    Json lb = Cli({"elbv2", "create-load-balancer", "--name", name, "--subnets", (*subnets)[0],
                   (*subnets)[1], "--security-groups", sg_id, "--scheme", "internet-facing"});
    ASSERT_TRUE(lb.contains("LoadBalancers")) << name;
    arns.push_back(lb["LoadBalancers"][0]["LoadBalancerArn"]);
  }
  Json tg = Cli({"elbv2", "create-target-group", "--name", "web-tg", "--protocol", "HTTP", "--port",
                 "80", "--vpc-id", vpc});
  const std::string tg_arn = tg["TargetGroups"][0]["TargetGroupArn"];
  Json listener =
      Cli({"elbv2", "create-listener", "--load-balancer-arn", arns[1], "--protocol", "HTTP",
           "--port", "8080", "--default-actions", "Type=forward,TargetGroupArn=" + tg_arn});
  ASSERT_TRUE(listener.contains("Listeners"));

  // Three load balancers, two per page.
  DescribeLoadBalancersRequest all;
  all.page_size = 2;
  auto lbs = clients_.elbv2->DescribeLoadBalancers(all);
  ASSERT_TRUE(lbs.ok()) << lbs.status().ToString();
  ASSERT_EQ(lbs->size(), 3u);
  std::vector<std::string> names;
  for (const LoadBalancer& lb : *lbs) names.push_back(lb.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"api", "web", "worker"}));

  DescribeLoadBalancersRequest by_name;
  by_name.names = {"web"};
  lbs = clients_.elbv2->DescribeLoadBalancers(by_name);
  ASSERT_TRUE(lbs.ok()) << lbs.status().ToString();
  ASSERT_EQ(lbs->size(), 1u);
  const LoadBalancer& web = (*lbs)[0];
  EXPECT_EQ(web.arn, arns[1]);
  EXPECT_EQ(web.name, "web");
  EXPECT_FALSE(web.dns_name.empty());
  EXPECT_EQ(web.type, "application");
  EXPECT_EQ(web.scheme, "internet-facing");
  EXPECT_EQ(web.vpc_id, vpc);
  EXPECT_FALSE(web.state.empty());
  EXPECT_EQ(web.security_groups, std::vector<std::string>{sg_id});

  DescribeLoadBalancersRequest by_arn;
  by_arn.arns = {arns[0], arns[2]};
  lbs = clients_.elbv2->DescribeLoadBalancers(by_arn);
  ASSERT_TRUE(lbs.ok()) << lbs.status().ToString();
  EXPECT_EQ(lbs->size(), 2u);

  auto listeners = clients_.elbv2->DescribeListeners(arns[1]);
  ASSERT_TRUE(listeners.ok()) << listeners.status().ToString();
  ASSERT_EQ(listeners->size(), 1u);
  EXPECT_EQ((*listeners)[0].arn, listener["Listeners"][0]["ListenerArn"]);
  EXPECT_EQ((*listeners)[0].port, 8080);
  EXPECT_EQ((*listeners)[0].protocol, "HTTP");
  EXPECT_EQ((*listeners)[0].target_group_arns, std::vector<std::string>{tg_arn});
  listeners = clients_.elbv2->DescribeListeners(arns[0]);
  ASSERT_TRUE(listeners.ok()) << listeners.status().ToString();
  EXPECT_TRUE(listeners->empty());

  DescribeLoadBalancersRequest missing;
  missing.names = {"missing"};
  EXPECT_EQ(clients_.elbv2->DescribeLoadBalancers(missing).status().kind(),
            base::ErrorKind::kNotFound);
  const std::string gone =
      arns[0].substr(0, arns[0].find("loadbalancer/")) + "loadbalancer/app/gone/0123456789abcdef";
  EXPECT_EQ(clients_.elbv2->DescribeListeners(gone).status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(MoreServices, RouteTablesAndPublicSubnets) {
  const std::string vpc = Cli({"ec2", "create-vpc", "--cidr-block", "10.9.0.0/16"})["Vpc"]["VpcId"];
  std::vector<std::string> subnets;
  for (const char* cidr : {"10.9.1.0/24", "10.9.2.0/24", "10.9.3.0/24"}) {
    subnets.push_back(
        Cli({"ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", cidr})["Subnet"]["SubnetId"]);
  }
  const std::string igw =
      Cli({"ec2", "create-internet-gateway"})["InternetGateway"]["InternetGatewayId"];
  Cli({"ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc});
  const std::string public_rt =
      Cli({"ec2", "create-route-table", "--vpc-id", vpc})["RouteTable"]["RouteTableId"];
  Cli({"ec2", "create-route", "--route-table-id", public_rt, "--destination-cidr-block",
       "0.0.0.0/0", "--gateway-id", igw});
  Cli({"ec2", "associate-route-table", "--route-table-id", public_rt, "--subnet-id", subnets[0]});
  const std::string private_rt =
      Cli({"ec2", "create-route-table", "--vpc-id", vpc})["RouteTable"]["RouteTableId"];
  Cli({"ec2", "associate-route-table", "--route-table-id", private_rt, "--subnet-id", subnets[1]});
  // subnets[2] has no explicit table: it uses the main one.

  auto tables = clients_.ec2->DescribeRouteTables(vpc);
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  ASSERT_EQ(tables->size(), 3u);
  std::string main_rt;
  for (const RouteTable& table : *tables) {
    EXPECT_EQ(table.vpc_id, vpc);
    for (const RouteTableAssociation& a : table.associations) {
      if (a.main) main_rt = table.id;
    }
    if (table.id == public_rt) {
      ASSERT_EQ(table.associations.size(), 1u);
      EXPECT_EQ(table.associations[0].subnet_id, subnets[0]);
      EXPECT_FALSE(table.associations[0].main);
      bool has_igw = false;
      for (const Route& route : table.routes) {
        if (route.destination_cidr == "0.0.0.0/0" && route.gateway_id == igw) has_igw = true;
      }
      EXPECT_TRUE(has_igw);
    }
  }
  ASSERT_FALSE(main_rt.empty());

  auto public_subnets = PublicSubnetIds(*clients_.ec2, vpc);
  ASSERT_TRUE(public_subnets.ok()) << public_subnets.status().ToString();
  EXPECT_EQ(*public_subnets, std::vector<std::string>{subnets[0]});

  // A default route to the internet gateway on the main table makes subnets[2] public too.
  Cli({"ec2", "create-route", "--route-table-id", main_rt, "--destination-cidr-block", "0.0.0.0/0",
       "--gateway-id", igw});
  public_subnets = PublicSubnetIds(*clients_.ec2, vpc);
  ASSERT_TRUE(public_subnets.ok()) << public_subnets.status().ToString();
  std::vector<std::string> expected{subnets[0], subnets[2]};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*public_subnets, expected);
}

TEST(MoreServicesOffline, PublicSubnetsPreferTheExplicitTable) {
  std::vector<RouteTable> tables{
      {"rtb-main", "vpc-1", {{"", true}}, {{"10.0.0.0/16", "local"}, {"0.0.0.0/0", "igw-1"}}},
      {"rtb-private", "vpc-1", {{"subnet-b", false}}, {{"10.0.0.0/16", "local"}}},
      {"rtb-nat", "vpc-1", {{"subnet-c", false}}, {{"0.0.0.0/0", ""}}},
  };
  EXPECT_EQ(PublicSubnetIdsFrom(tables, {"subnet-d", "subnet-a", "subnet-b", "subnet-c"}),
            (std::vector<std::string>{"subnet-a", "subnet-d"}));
  EXPECT_TRUE(PublicSubnetIdsFrom({tables[1]}, {"subnet-a"}).empty());
}

TEST_F(MoreServices, SecurityGroupsByIdAndFilter) {
  const std::string vpc = Cli({"ec2", "create-vpc", "--cidr-block", "10.8.0.0/16"})["Vpc"]["VpcId"];
  const std::string web = Cli({"ec2", "create-security-group", "--group-name", "web",
                               "--description", "web", "--vpc-id", vpc})["GroupId"];
  const std::string db = Cli({"ec2", "create-security-group", "--group-name", "db", "--description",
                              "db", "--vpc-id", vpc})["GroupId"];

  auto groups = clients_.ec2->DescribeSecurityGroups({web}, {});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].id, web);
  EXPECT_EQ((*groups)[0].name, "web");
  EXPECT_EQ((*groups)[0].vpc_id, vpc);

  groups = clients_.ec2->DescribeSecurityGroups({}, {{"vpc-id", {vpc}}});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  std::vector<std::string> names;
  for (const SecurityGroup& group : *groups) names.push_back(group.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"db", "default", "web"}));

  groups = clients_.ec2->DescribeSecurityGroups({}, {{"vpc-id", {vpc}}, {"group-name", {"db"}}});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].id, db);

  EXPECT_EQ(clients_.ec2->DescribeSecurityGroups({"sg-0123456789abcdef0"}, {}).status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(MoreServices, EfsFileSystemsEveryPage) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    std::string n = std::to_string(i);
    std::vector<std::string> args{"efs",
                                  "create-file-system",
                                  "--creation-token",
                                  "t" + n,
                                  "--tags",
                                  "Key=Name,Value=fs" + n,
                                  "Key=com.docker.compose.volume,Value=v" + n};
    if (i == 1) {
      for (const char* arg : {"--encrypted", "--performance-mode", "maxIO"}) args.push_back(arg);
    }
    Json fs = Cli(args);
    ASSERT_TRUE(fs.contains("FileSystemId")) << i;
    ids.push_back(fs["FileSystemId"]);
  }
  // Three file systems, two per page.
  Efs efs(clients_.client, /*page_size=*/2);
  auto all = efs.DescribeFileSystems(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  std::vector<std::string> got;
  for (const FileSystem& fs : *all) got.push_back(fs.id);
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = ids;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);

  auto one = clients_.efs->DescribeFileSystems(ids[1]);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  const FileSystem& fs = (*one)[0];
  EXPECT_EQ(fs.id, ids[1]);
  EXPECT_EQ(fs.name, "fs1");
  EXPECT_EQ(fs.life_cycle_state, "available");
  EXPECT_TRUE(fs.encrypted);
  EXPECT_EQ(fs.performance_mode, "maxIO");
  EXPECT_EQ(fs.throughput_mode, "bursting");
  EXPECT_EQ(fs.tags, (std::map<std::string, std::string>{{"Name", "fs1"},
                                                         {"com.docker.compose.volume", "v1"}}));

  auto plain = clients_.efs->DescribeFileSystems(ids[0]);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE((*plain)[0].encrypted);
  EXPECT_EQ((*plain)[0].performance_mode, "generalPurpose");

  EXPECT_EQ(clients_.efs->DescribeFileSystems(std::string("fs-0123456789abcdef0")).status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(MoreServices, EfsMountTargetsEveryPage) {
  const std::string vpc = Cli({"ec2", "create-vpc", "--cidr-block", "10.7.0.0/16"})["Vpc"]["VpcId"];
  // One mount target per availability zone, so one subnet in each of three.
  std::vector<std::string> subnets;
  int third = 1;
  for (const char* zone : {"us-east-1a", "us-east-1b", "us-east-1c"}) {
    subnets.push_back(Cli({"ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block",
                           "10.7." + std::to_string(third++) + ".0/24", "--availability-zone",
                           zone})["Subnet"]["SubnetId"]);
  }
  const std::string fs =
      Cli({"efs", "create-file-system", "--creation-token", "mt"})["FileSystemId"];
  const std::string bare =
      Cli({"efs", "create-file-system", "--creation-token", "bare"})["FileSystemId"];
  std::vector<std::string> ids;
  for (const std::string& subnet : subnets) {
    Json target =
        Cli({"efs", "create-mount-target", "--file-system-id", fs, "--subnet-id", subnet});
    ASSERT_TRUE(target.contains("MountTargetId")) << subnet;
    ids.push_back(target["MountTargetId"]);
  }

  // Three mount targets, two per page.
  Efs efs(clients_.client, /*page_size=*/2);
  auto targets = efs.DescribeMountTargets(fs);
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->size(), 3u);
  std::vector<std::string> got_ids;
  std::vector<std::string> got_subnets;
  for (const MountTarget& target : *targets) {
    got_ids.push_back(target.id);
    got_subnets.push_back(target.subnet_id);
    EXPECT_EQ(target.file_system_id, fs);
    EXPECT_EQ(target.life_cycle_state, "available");
  }
  std::sort(got_ids.begin(), got_ids.end());
  std::sort(got_subnets.begin(), got_subnets.end());
  std::sort(ids.begin(), ids.end());
  std::sort(subnets.begin(), subnets.end());
  EXPECT_EQ(got_ids, ids);
  EXPECT_EQ(got_subnets, subnets);

  auto none = clients_.efs->DescribeMountTargets(bare);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(clients_.efs->DescribeMountTargets("fs-0123456789abcdef0").status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(MoreServices, SsmParametersPutAndRead) {
  const std::string name = "/ecsync/shop/web/approval";
  auto missing = clients_.ssm->GetParameter(name);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kNotFound) << missing.status().ToString();
  // Created, then overwritten (a new version).
  ASSERT_TRUE(clients_.ssm->PutParameter(name, "none").ok());
  ASSERT_TRUE(clients_.ssm->PutParameter(name, "reject arn:aws:ecs:x").ok());
  auto value = clients_.ssm->GetParameter(name);
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(*value, "reject arn:aws:ecs:x");
}

}  // namespace
}  // namespace ecsync::aws
