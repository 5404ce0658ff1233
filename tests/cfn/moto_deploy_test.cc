// Templates deployed to moto_server (a real AWS emulator) must reach CREATE_COMPLETE, and the
// resources must be there as meant, as the AWS CLI (an independent client) sees them.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using testing::Port;
using testing::Project;
using testing::Service;

class MotoDeploy : public ::testing::Test {
 protected:
  void SetUp() override {
    json vpc = Cli({"ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"});
    ASSERT_TRUE(vpc.contains("Vpc"));
    options_.vpc_id = vpc["Vpc"]["VpcId"];
    int third = 1;
    for (const char* zone : {"us-east-1a", "us-east-1b"}) {
      json subnet = Cli({"ec2", "create-subnet", "--vpc-id", options_.vpc_id, "--cidr-block",
                         "10.0." + std::to_string(third++) + ".0/24", "--availability-zone", zone});
      ASSERT_TRUE(subnet.contains("Subnet"));
      options_.subnet_ids.push_back(subnet["Subnet"]["SubnetId"]);
    }
  }

  json Cli(const std::vector<std::string>& args) const {
    std::string out = moto_.Aws(args);
    return out.empty() ? json::object() : json::parse(out);
  }

  // Creates stack "test" from the conversion, passing `secret_values` for its NoEcho
  // parameters, and returns the stack's status (moto creates synchronously).
  std::string Deploy(const Conversion& conversion,
                     const std::map<std::string, std::string>& secret_values = {}) {
    const std::string path = dir_.WriteFile("template.json", ToJson(conversion.tmpl));
    std::vector<std::string> args = {"cloudformation", "create-stack",    "--stack-name",
                                     "test",           "--template-body", "file://" + path,
                                     "--capabilities", "CAPABILITY_IAM"};
    if (!conversion.secret_parameters.empty()) {
      args.push_back("--parameters");
      for (const SecretParameter& parameter : conversion.secret_parameters) {
        args.push_back("ParameterKey=" + parameter.parameter +
                       ",ParameterValue=" + secret_values.at(parameter.secret));
      }
    }
    moto_.Aws(args);
    std::string status = moto_.StackStatus("test");
    if (status != "CREATE_COMPLETE" && status != "CREATE_IN_PROGRESS") {
      std::cerr << Cli({"cloudformation", "describe-stack-events", "--stack-name", "test"}).dump(1)
                << "\ntemplate:\n"
                << ToJson(conversion.tmpl);
    }
    return status;
  }

  // Runs a boto3 script against this moto (the endpoint is argv[1]) and parses what it
  // prints as JSON: a second, independent client besides the AWS CLI.
  json Boto3(const std::string& script) const {
    std::map<std::string, std::string> env = moto_.ClientEnv();
    env.erase("AWS_SESSION_TOKEN");
    env.erase("AWS_PROFILE");
    ecsync::testing::CommandResult r = ecsync::testing::RunCommand(
        {"python3", "-c", "import boto3, json, sys\n" + script, moto_.endpoint()}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json::object();
  }

  // The physical ID of a stack resource.
  std::string Physical(const std::string& logical) const {
    json r = Cli({"cloudformation", "describe-stack-resource", "--stack-name", "test",
                  "--logical-resource-id", logical});
    return r["StackResourceDetail"].value("PhysicalResourceId", "");
  }

  ecsync::testing::MotoServer moto_;
  ecsync::testing::TempDir dir_;
  ConvertOptions options_;
};

// web + worker + redis on two networks, the web behind the load balancer on 80 -> 8080.
compose::Project ShopProject() {
  compose::PortMapping http = Port(8080);
  http.published = 80;
  compose::Service web = Service("web", "example/web:1", {http});
  web.networks = {{"front", {}}, {"back", {}}};
  web.depends_on = {"redis"};
  web.environment = {{"REDIS_URL", "redis://redis:6379"}};
  compose::Healthcheck health;
  health.test = {"CMD", "curl", "-f", "http://localhost:8080/healthz"};
  health.interval = std::chrono::seconds(15);
  web.healthcheck = health;
  compose::Service worker = Service("worker", "example/worker:1");
  worker.networks = {{"back", {}}};
  worker.replicas = 2;
  compose::PortMapping internal = Port(6379);
  internal.mode = "host";
  compose::Service redis = Service("redis", "redis:7", {internal});
  redis.networks = {{"back", {}}};
  compose::Project project = Project("shop", {redis, web, worker});
  project.networks["front"] = {};
  project.networks["back"] = {};
  return project;
}

TEST_F(MotoDeploy, WebWorkerRedisOnTwoNetworks) {
  ASSERT_EQ(Deploy(testing::ConvertProjectOrDie(ShopProject(), options_)), "CREATE_COMPLETE");

  json lbs = Cli({"elbv2", "describe-load-balancers"});
  ASSERT_EQ(lbs["LoadBalancers"].size(), 1u);
  const std::string lb = lbs["LoadBalancers"][0]["LoadBalancerArn"];
  json listeners = Cli({"elbv2", "describe-listeners", "--load-balancer-arn", lb});
  ASSERT_EQ(listeners["Listeners"].size(), 1u);
  EXPECT_EQ(listeners["Listeners"][0]["Port"], 80);
  EXPECT_EQ(listeners["Listeners"][0]["Protocol"], "HTTP");
  json groups = Cli({"elbv2", "describe-target-groups"});
  ASSERT_EQ(groups["TargetGroups"].size(), 1u);
  EXPECT_EQ(groups["TargetGroups"][0]["Port"], 8080);  // the container port
  EXPECT_EQ(groups["TargetGroups"][0]["TargetType"], "ip");
  // The load balancer probes what the service's own healthcheck probes, as often.
  EXPECT_EQ(groups["TargetGroups"][0]["HealthCheckPath"], "/healthz");
  EXPECT_EQ(groups["TargetGroups"][0]["HealthCheckIntervalSeconds"], 15);

  json sgs = Cli({"ec2", "describe-security-groups", "--filters",
                  "Name=tag:com.docker.compose.project,Values=shop"});
  std::set<std::string> networks;
  for (const json& sg : sgs["SecurityGroups"]) {
    for (const json& tag : sg["Tags"]) {
      if (tag["Key"] == "com.docker.compose.network")
        networks.insert(tag["Value"].get<std::string>());
    }
  }
  EXPECT_EQ(networks, (std::set<std::string>{"shop_back", "shop_front"}));
  // Members of a network reach each other (self-ingress, all protocols); the load balancer's
  // listener port is open on both of web's networks.
  const std::string front = Physical("FrontNetwork");
  const std::string back = Physical("BackNetwork");
  for (const std::string& group : {front, back}) {
    json described = Cli({"ec2", "describe-security-groups", "--group-ids", group});
    ASSERT_EQ(described["SecurityGroups"].size(), 1u);
    bool self = false;
    bool port80 = false;
    for (const json& rule : described["SecurityGroups"][0]["IpPermissions"]) {
      for (const json& pair : rule.value("UserIdGroupPairs", json::array())) {
        self = self || (pair["GroupId"] == group && rule["IpProtocol"] == "-1");
      }
      port80 = port80 || (rule.value("FromPort", 0) == 80 && rule.value("ToPort", 0) == 80);
    }
    EXPECT_TRUE(self) << group << ": " << described.dump();
    EXPECT_TRUE(port80) << group << ": " << described.dump();
  }

  json services =
      Cli({"ecs", "describe-services", "--cluster", "shop", "--services", Physical("WebService"),
           Physical("WorkerService"), Physical("RedisService")});
  ASSERT_EQ(services["services"].size(), 3u);
  // Each service is in the groups of its own networks only: the worker never on front. (moto
  // does not keep a service's network configuration, so the stored template is read.)
  json stored = json::parse(
      Cli({"cloudformation", "get-template", "--stack-name", "test"})["TemplateBody"].dump());
  const json& body = stored.is_string() ? json::parse(stored.get<std::string>()) : stored;
  auto groups_of = [&](const std::string& service) {
    std::set<std::string> refs;
    for (const json& group : body["Resources"][service]["Properties"]["NetworkConfiguration"]
                                 ["AwsvpcConfiguration"]["SecurityGroups"]) {
      refs.insert(group["Ref"].get<std::string>());
    }
    return refs;
  };
  EXPECT_EQ(groups_of("WorkerService"), (std::set<std::string>{"BackNetwork"}));
  EXPECT_EQ(groups_of("RedisService"), (std::set<std::string>{"BackNetwork"}));
  EXPECT_EQ(groups_of("WebService"), (std::set<std::string>{"BackNetwork", "FrontNetwork"}));
  json task =
      Cli({"ecs", "describe-task-definition", "--task-definition", Physical("WebTaskDefinition")});
  const json& containers = task["taskDefinition"]["containerDefinitions"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[1]["image"], "example/web:1");
  EXPECT_EQ(containers[1]["portMappings"][0]["containerPort"], 8080);
}

// A port that is not 80 or 443 makes the load balancer a network one, with TCP listeners
// and target groups; moto deploys it (through tests/support/moto_ecsync.py) as such.
TEST_F(MotoDeploy, NetworkLoadBalancerWithTcpListener) {
  Conversion conversion = testing::ConvertProjectOrDie(
      Project("tcpapp", {Service("api", "example/api:1", {Port(3000)})}), options_);
  testing::ExpectLintClean(conversion.tmpl);
  ASSERT_EQ(testing::ResourceIn(conversion.tmpl, "LoadBalancer")["Properties"]["Type"], "network");
  ASSERT_EQ(Deploy(conversion), "CREATE_COMPLETE");

  json seen = Boto3(R"(
elbv2 = boto3.client("elbv2", endpoint_url=sys.argv[1])
balancers = elbv2.describe_load_balancers()["LoadBalancers"]
arn = balancers[0]["LoadBalancerArn"]
json.dump({"balancers": [{"type": b["Type"], "scheme": b["Scheme"]} for b in balancers],
           "listeners": [{"protocol": l["Protocol"], "port": l["Port"],
                          "actions": [a["TargetGroupArn"] for a in l["DefaultActions"]]}
                         for l in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]],
           "groups": [{"arn": g["TargetGroupArn"], "protocol": g["Protocol"], "port": g["Port"],
                       "target_type": g["TargetType"], "balancers": g["LoadBalancerArns"]}
                      for g in elbv2.describe_target_groups()["TargetGroups"]],
           "balancer": arn}, sys.stdout)
)");
  ASSERT_EQ(seen["balancers"].size(), 1u) << seen.dump();
  EXPECT_EQ(seen["balancers"][0]["type"], "network");
  EXPECT_EQ(seen["balancers"][0]["scheme"], "internet-facing");
  ASSERT_EQ(seen["listeners"].size(), 1u) << seen.dump();
  EXPECT_EQ(seen["listeners"][0]["protocol"], "TCP");
  EXPECT_EQ(seen["listeners"][0]["port"], 3000);
  ASSERT_EQ(seen["groups"].size(), 1u) << seen.dump();
  EXPECT_EQ(seen["groups"][0]["protocol"], "TCP");
  EXPECT_EQ(seen["groups"][0]["port"], 3000);
  EXPECT_EQ(seen["groups"][0]["target_type"], "ip");
  EXPECT_EQ(seen["groups"][0]["balancers"], json::array({seen["balancer"]}));
  EXPECT_EQ(seen["listeners"][0]["actions"], json::array({seen["groups"][0]["arn"]}));
}

TEST_F(MotoDeploy, SecretsReachSecretsManagerThroughParameters) {
  compose::Service web = Service("web", "example/web:1", {Port(80)});
  compose::FileReference use;
  use.source = "db_password";
  web.secrets = {use};
  compose::Project project = Project("vault", {web});
  project.secrets["db_password"].file = "/repo/db.txt";
  Conversion conversion = testing::ConvertProjectOrDie(project, options_);
  ASSERT_EQ(Deploy(conversion, {{"db_password", "correct-horse"}}), "CREATE_COMPLETE");

  const std::string arn = Physical("DbpasswordSecret");
  ASSERT_NE(arn.find(":secret:"), std::string::npos) << arn;
  json value = Cli({"secretsmanager", "get-secret-value", "--secret-id", arn});
  EXPECT_EQ(value["SecretString"], "correct-horse");
  // The template CloudFormation stores does not hold the value. (moto, unlike CloudFormation,
  // does not mask NoEcho parameters in DescribeStacks, so that is not checked here.)
  json stored = Cli({"cloudformation", "get-template", "--stack-name", "test"});
  ASSERT_TRUE(stored.contains("TemplateBody"));
  EXPECT_EQ(stored.dump().find("correct-horse"), std::string::npos);
  json task =
      Cli({"ecs", "describe-task-definition", "--task-definition", Physical("WebTaskDefinition")});
  const json& init = task["taskDefinition"]["containerDefinitions"][1];
  EXPECT_EQ(init["name"], "Web_Secrets_InitContainer");
  EXPECT_EQ(init["secrets"][0]["valueFrom"], arn);
}

TEST_F(MotoDeploy, EfsVolume) {
  compose::Service db = Service("db", "postgres:16");
  compose::ServiceVolume mount;
  mount.type = "volume";
  mount.source = "data";
  mount.target = "/var/lib/postgresql/data";
  db.volumes = {mount};
  compose::Project project = Project("store", {db});
  project.volumes["data"].driver_opts = {{"uid", "999"}, {"gid", "999"}, {"root_directory", "/pg"}};
  ASSERT_EQ(Deploy(testing::ConvertProjectOrDie(project, options_)), "CREATE_COMPLETE");

  json systems = Cli({"efs", "describe-file-systems"});
  ASSERT_EQ(systems["FileSystems"].size(), 1u);
  EXPECT_EQ(systems["FileSystems"][0]["Encrypted"], true);
  const std::string fs = systems["FileSystems"][0]["FileSystemId"];
  json targets = Cli({"efs", "describe-mount-targets", "--file-system-id", fs});
  EXPECT_EQ(targets["MountTargets"].size(), 2u);
  json points = Cli({"efs", "describe-access-points", "--file-system-id", fs});
  ASSERT_EQ(points["AccessPoints"].size(), 1u);
  EXPECT_EQ(points["AccessPoints"][0]["PosixUser"]["Uid"], 999);
  EXPECT_EQ(points["AccessPoints"][0]["RootDirectory"]["Path"], "/pg");
  EXPECT_EQ(points["AccessPoints"][0]["RootDirectory"]["CreationInfo"]["OwnerUid"], 999);
}

TEST_F(MotoDeploy, Autoscaling) {
  compose::Service api = Service("api", "example/api:1");
  api.extensions = {{"x-aws-autoscaling", {{"min", 1}, {"max", 4}, {"cpu", 60}}}};
  ASSERT_EQ(Deploy(testing::ConvertProjectOrDie(Project("scale", {api}), options_)),
            "CREATE_COMPLETE");
  json targets =
      Cli({"application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs"});
  ASSERT_EQ(targets["ScalableTargets"].size(), 1u);
  EXPECT_EQ(targets["ScalableTargets"][0]["MaxCapacity"], 4);
  EXPECT_EQ(targets["ScalableTargets"][0]["ResourceId"],
            "service/scale/" + Cli({"ecs", "describe-services", "--cluster", "scale", "--services",
                                    Physical("ApiService")})["services"][0]["serviceName"]
                                   .get<std::string>());
  json policies =
      Cli({"application-autoscaling", "describe-scaling-policies", "--service-namespace", "ecs"});
  ASSERT_EQ(policies["ScalingPolicies"].size(), 1u);
  EXPECT_EQ(policies["ScalingPolicies"][0]["PolicyType"], "TargetTrackingScaling");
}

// A canary deployment with manual approval and alarms: the alternate target group, the
// production and test listener rules, the approval function and parameter, and the ECS
// service's deployment configuration as moto stored it.
TEST_F(MotoDeploy, CanaryWithApprovalAndAlarms) {
  compose::PortMapping http = Port(8080);
  http.published = 80;
  http.app_protocol = "http";
  compose::Service web = Service("web", "example/web:1", {http});
  web.extensions = {{"x-aws-deployment",
                     {{"strategy", "canary"},
                      {"canary", {{"percent", 10}, {"bake_minutes", 5}}},
                      {"bake_minutes", 15},
                      {"alarms", {"web-5xx"}},
                      {"approval", "manual"}}}};
  Conversion conversion = testing::ConvertProjectOrDie(Project("shift", {web}), options_);
  // The first deployment waits at the approval hook too, and the stack with it (moto's ECS
  // deployments stop at ecsync's marked approval hook; see docs/testing.md).
  ASSERT_EQ(Deploy(conversion), "CREATE_IN_PROGRESS");

  json seen = Boto3(R"(
elbv2 = boto3.client("elbv2", endpoint_url=sys.argv[1])
ssm = boto3.client("ssm", endpoint_url=sys.argv[1])
listener = elbv2.describe_listeners(
    LoadBalancerArn=elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"])
rules = elbv2.describe_rules(ListenerArn=listener["Listeners"][0]["ListenerArn"])["Rules"]
json.dump({"groups": len(elbv2.describe_target_groups()["TargetGroups"]),
           "rules": sorted(r["Priority"] for r in rules),
           "approval": ssm.get_parameter(Name="/ecsync/test/web/approval")["Parameter"]["Value"]},
          sys.stdout)
)");
  EXPECT_EQ(seen["groups"], 2) << seen.dump();
  EXPECT_EQ(seen["rules"], json::array({"1", "2", "default"})) << seen.dump();
  EXPECT_EQ(seen["approval"], "none") << seen.dump();
  json functions = Cli({"lambda", "list-functions"});
  ASSERT_EQ(functions["Functions"].size(), 1u) << functions.dump();
  EXPECT_EQ(functions["Functions"][0]["Runtime"], "python3.12");
  // moto's ECS service keeps neither DeploymentConfiguration nor LoadBalancers from a template
  // (describe-services shows no strategy and no load balancers, for any strategy), so what
  // CloudFormation was given is read back from the stack.
  json stored = Cli({"cloudformation", "get-template", "--stack-name", "test"});
  json body = stored["TemplateBody"].is_string()
                  ? json::parse(stored["TemplateBody"].get<std::string>())
                  : stored["TemplateBody"];
  const json& properties = body["Resources"]["WebService"]["Properties"];
  EXPECT_EQ(properties["DeploymentConfiguration"]["Strategy"], "CANARY");
  EXPECT_EQ(properties["LoadBalancers"][0]["AdvancedConfiguration"]["TestListenerRule"],
            json({{"Ref", "WebTCP80TestRule"}}));
  // The approval hook carries ecsync's marker, naming the parameter.
  const std::string details =
      properties["DeploymentConfiguration"]["LifecycleHooks"][0]["HookDetails"]["Fn::Sub"][0];
  EXPECT_EQ(details, R"({"ecsync":"approval","parameter":"${Name}"})");
}

// Service Connect, a restart policy and a pre_start step deploy: the cluster, the services
// and the task definition with its init container exist.
TEST_F(MotoDeploy, ServiceConnectRestartAndPreStart) {
  compose::PortMapping http = testing::Port(80);
  http.name = "http";
  http.app_protocol = "http";
  compose::Service web = Service("web", "nginx", {http});
  web.restart = "on-failure";
  compose::PreStartHook warm;
  warm.command = std::vector<std::string>{"nginx", "-t"};
  web.pre_start = {warm};
  compose::Project project = Project("connect", {web, Service("worker", "busybox")});
  project.extensions = {{"x-aws-service-connect", true}};
  ASSERT_EQ(Deploy(testing::ConvertProjectOrDie(project, options_)), "CREATE_COMPLETE");

  json services = Cli({"ecs", "list-services", "--cluster", "connect"});
  EXPECT_EQ(services["serviceArns"].size(), 2u);
  json task = Cli({"ecs", "describe-task-definition", "--task-definition", "connect-web"});
  const json& containers = task["taskDefinition"]["containerDefinitions"];
  ASSERT_EQ(containers.size(), 3u);
  EXPECT_EQ(containers[1]["name"], "Web_PreStart0_InitContainer");
}

}  // namespace
}  // namespace ecsync::cfn
