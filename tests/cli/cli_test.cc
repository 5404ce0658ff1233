// The CLI's contract: commands, flags, output and exit codes, through the real binary.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/corpus.h"
#include "tests/support/support.h"

namespace ecsync::testing {
namespace {

// An environment with no AWS configuration at all, so convert must not reach for AWS.
std::map<std::string, std::string> NoAwsEnv(const TempDir& home) {
  return {{"HOME", home.path()},
          {"AWS_ACCESS_KEY_ID", ""},
          {"AWS_SECRET_ACCESS_KEY", ""},
          {"AWS_SESSION_TOKEN", ""},
          {"AWS_PROFILE", ""},
          {"AWS_REGION", ""},
          {"AWS_DEFAULT_REGION", ""},
          {"AWS_ENDPOINT_URL", ""},
          {"AWS_SHARED_CREDENTIALS_FILE", home.path() + "/none"},
          {"AWS_CONFIG_FILE", home.path() + "/none"}};
}

TEST(Cli, VersionPrintsTheVersion) {
  CommandResult r = RunCommand({EcsyncBinary(), "version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("ecsync 0.", 0), 0u) << r.out;
}

TEST(Cli, BadUsageExitsWithTwo) {
  EXPECT_EQ(RunCommand({EcsyncBinary()}).exit_code, 2);
  EXPECT_EQ(RunCommand({EcsyncBinary(), "no-such-command"}).exit_code, 2);
  CommandResult r = RunCommand({EcsyncBinary(), "reconcile", "--once"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--repo"), std::string::npos) << r.err;
  r = RunCommand({EcsyncBinary(), "reconcile", "--once", "--repo", "x", "--poll-interval", "5x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown unit"), std::string::npos) << r.err;
}

// Maps the logical ID of each resource to its type, for YAML or JSON templates alike.
std::map<std::string, std::string> ResourceTypes(const YAML::Node& tmpl) {
  std::map<std::string, std::string> types;
  for (const auto& r : tmpl["Resources"]) {
    types[r.first.as<std::string>()] = r.second["Type"].as<std::string>();
  }
  return types;
}

class CliGolden : public CorpusTest {};

TEST_F(CliGolden, ConvertMatchesDockersGoldenLogicalIdsAndTypes) {
  TempDir home;
  const std::string golden_dir = CorpusDir() + "/ecs-golden/compose-cli";
  CommandResult r =
      RunCommand({EcsyncBinary(), "convert", "-f", golden_dir + "/input/simple-single-service.yaml",
                  "--project-name", "TestSimpleConvert", "--vpc-id", "vpc-123", "--subnet-ids",
                  "subnet1,subnet2"},
                 NoAwsEnv(home));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  YAML::Node ours = YAML::Load(r.out);
  YAML::Node golden = YAML::LoadFile(golden_dir + "/simple-cloudformation-conversion.golden");
  EXPECT_EQ(ResourceTypes(ours), ResourceTypes(golden));
  EXPECT_EQ(ours["Resources"]["LoadBalancer"]["Properties"]["Type"].as<std::string>(),
            "application");
  EXPECT_EQ(ours["Resources"]["SimpleService"]["Properties"]["LaunchType"].as<std::string>(),
            "FARGATE");
  // No cfn-lint here: the golden's vpc-123 and subnet1 are not valid AWS ids, and cfn-lint
  // says so. Templates with real ids are linted in the other tests.
}

TEST(Cli, ConvertWithoutVpcDeclaresParametersAndYamlMatchesJson) {
  TempDir home;
  std::string file = home.WriteFile("app/compose.yaml",
                                    "services:\n  api:\n    image: example/api:1\n"
                                    "    ports: [\"8080:8080\"]\n");
  CommandResult json = RunCommand({EcsyncBinary(), "convert", "-f", file}, NoAwsEnv(home));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto tmpl = nlohmann::json::parse(json.out);
  EXPECT_EQ(tmpl["Parameters"]["VpcId"]["Type"], "AWS::EC2::VPC::Id");
  EXPECT_EQ(tmpl["Parameters"]["SubnetIds"]["Type"], "List<AWS::EC2::Subnet::Id>");
  EXPECT_EQ(tmpl["Resources"]["LoadBalancer"]["Properties"]["Type"], "network");
  CommandResult yaml =
      RunCommand({EcsyncBinary(), "convert", "-f", file, "--format", "yaml"}, NoAwsEnv(home));
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_EQ(ResourceTypes(YAML::Load(yaml.out)), ResourceTypes(YAML::Load(json.out)));
  EXPECT_TRUE(CfnLint(json.out).ok()) << CfnLint(json.out).message();
}

TEST(Cli, ConvertTakesVpcAndSubnetsFromAwsWhenConfigured) {
  MotoServer moto;
  TempDir dir;
  std::string file = dir.WriteFile("compose.yaml", "services:\n  web:\n    image: nginx\n");
  CommandResult r = RunCommand({EcsyncBinary(), "convert", "-f", file}, moto.ClientEnv());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto tmpl = nlohmann::json::parse(r.out);
  EXPECT_FALSE(tmpl.contains("Parameters"));
  std::string vpcs = moto.Aws({"ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true"});
  auto default_vpc = nlohmann::json::parse(vpcs)["Vpcs"][0]["VpcId"].get<std::string>();
  EXPECT_EQ(tmpl["Resources"]["DefaultNetwork"]["Properties"]["VpcId"], default_vpc);
}

TEST(Cli, ConvertLooksUpALoadBalancerNamedInTheComposeFile) {
  MotoServer moto;
  TempDir dir;
  std::string vpcs = moto.Aws({"ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true"});
  auto vpc = nlohmann::json::parse(vpcs)["Vpcs"][0]["VpcId"].get<std::string>();
  auto subnets = nlohmann::json::parse(
      moto.Aws({"ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + vpc}))["Subnets"];
  auto created = nlohmann::json::parse(moto.Aws(
      {"elbv2", "create-load-balancer", "--name", "shared", "--type", "network", "--subnets",
       subnets[0]["SubnetId"].get<std::string>(), subnets[1]["SubnetId"].get<std::string>()}));
  const std::string arn = created["LoadBalancers"][0]["LoadBalancerArn"].get<std::string>();
  std::string file = dir.WriteFile(
      "compose.yaml",
      "x-aws-loadbalancer: shared\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n");
  CommandResult r = RunCommand({EcsyncBinary(), "convert", "-f", file}, moto.ClientEnv());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto tmpl = nlohmann::json::parse(r.out);
  const auto& listener = tmpl["Resources"]["WebTCP80Listener"]["Properties"];
  EXPECT_EQ(listener["LoadBalancerArn"], arn);
  EXPECT_EQ(listener["Protocol"], "TCP");  // the load balancer is a network one
  EXPECT_FALSE(tmpl["Resources"].contains("LoadBalancer"));

  // Without AWS a name cannot be resolved: a clear error, exit 2.
  TempDir home;
  r = RunCommand({EcsyncBinary(), "convert", "-f", file}, NoAwsEnv(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("x-aws-loadbalancer \"shared\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("give the load balancer's ARN"), std::string::npos) << r.err;
}

TEST(Cli, ConvertReportsTheFileAndLineOfABadComposeFile) {
  TempDir home;
  std::string file = home.WriteFile("compose.yaml",
                                    "services:\n  web:\n    image: nginx\n    ports:\n"
                                    "      - \"80:abc\"\n");
  CommandResult r = RunCommand({EcsyncBinary(), "convert", "-f", file}, NoAwsEnv(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("compose.yaml:5:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ports"), std::string::npos) << r.err;
}

TEST(Cli, ConvertWarnsAboutWhatEcsIgnoresAndRefusesWhatItCannotRun) {
  TempDir home;
  std::string ignored = home.WriteFile("a/compose.yaml",
                                       "services:\n  web:\n    image: nginx\n"
                                       "    container_name: my-web\n");
  CommandResult warned = RunCommand({EcsyncBinary(), "convert", "-f", ignored}, NoAwsEnv(home));
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("warning: "), std::string::npos) << warned.err;
  // The warning points at the service (line 2); per-key lines for scalar keys are not kept yet.
  EXPECT_NE(warned.err.find("compose.yaml:4:5:"), std::string::npos) << warned.err;
  EXPECT_NE(warned.err.find("container_name"), std::string::npos) << warned.err;

  std::string bind = home.WriteFile("b/compose.yaml",
                                    "services:\n  web:\n    image: nginx\n    volumes:\n"
                                    "      - ./html:/usr/share/nginx/html\n");
  CommandResult refused = RunCommand({EcsyncBinary(), "convert", "-f", bind}, NoAwsEnv(home));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("compose.yaml:5:"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("bind mount"), std::string::npos) << refused.err;
}

// `plan` names each service's deployment strategy (x-aws-deployment; rolling by default).
TEST(Cli, PlanNamesEachServicesDeploymentStrategy) {
  TempDir home;
  GitRepo repo;
  repo.Write("compose.yaml",
             "name: shop\nservices:\n  web:\n    image: nginx:1.27\n"
             "  worker:\n    image: busybox:1.36\n"
             "    x-aws-deployment: {strategy: blue_green, bake_minutes: 5}\n");
  repo.Commit("shop");
  std::vector<std::string> argv = {EcsyncBinary(), "plan",
                                   "--repo",       repo.url(),
                                   "--cache-dir",  home.path() + "/cache",
                                   "--stack-dir",  home.path() + "/stacks",
                                   "--vpc-id",     "vpc-0123abcd",
                                   "--subnet-ids", "subnet-0123abcd,subnet-4567ef01"};
  CommandResult text = RunCommand(argv, NoAwsEnv(home));
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_NE(text.out.find("deployment strategies:\n  web: ROLLING\n  worker: BLUE_GREEN\n"),
            std::string::npos)
      << text.out;
  argv.insert(argv.end(), {"--output", "json"});
  CommandResult json = RunCommand(argv, NoAwsEnv(home));
  EXPECT_EQ(json.exit_code, 1) << json.err;
  nlohmann::json out = nlohmann::json::parse(json.out, nullptr, false);
  EXPECT_EQ(out["strategies"], (nlohmann::json{{"web", "ROLLING"}, {"worker", "BLUE_GREEN"}}))
      << json.out;
}

TEST(Cli, StackDirWorksOfflineForReconcilePlanLsAndDown) {
  TempDir home;
  GitRepo repo;
  repo.Write("compose.yaml", "name: shop\nservices:\n  web:\n    image: nginx:1.27\n");
  std::string revision = repo.Commit("shop");
  const std::string stacks = home.path() + "/stacks";
  std::vector<std::string> project = {"--repo",          repo.url(),
                                      "--cache-dir",     home.path() + "/cache",
                                      "--stack-dir",     stacks,
                                      "--vpc-id",        "vpc-0123abcd",
                                      "--subnet-ids",    "subnet-0123abcd,subnet-4567ef01",
                                      "--poll-interval", "100ms"};
  auto run = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), EcsyncBinary());
    return RunCommand(argv, NoAwsEnv(home));
  };
  auto with = [&](std::vector<std::string> head) {
    head.insert(head.end(), project.begin(), project.end());
    return head;
  };
  CommandResult plan = run(with({"plan"}));
  EXPECT_EQ(plan.exit_code, 1) << plan.err;
  CommandResult created = run(with({"reconcile", "--once"}));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string state = ReadFileOrDie(stacks + "/shop.state.json");
  EXPECT_NE(state.find("CREATE_COMPLETE"), std::string::npos);
  EXPECT_NE(state.find(revision), std::string::npos);
  EXPECT_TRUE(CfnLint(ReadFileOrDie(stacks + "/shop.template.json")).ok());
  EXPECT_EQ(run(with({"plan"})).exit_code, 0);
  CommandResult ls = run({"ls", "--stack-dir", stacks});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("shop"), std::string::npos) << ls.out;
  CommandResult down = run({"down", "--stack-name", "shop", "--stack-dir", stacks});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_FALSE(std::filesystem::exists(stacks + "/shop.state.json"));
}

// Progress is redrawn in place only on a terminal: through a pipe it stays plain lines with no
// escape sequence; a pseudo-terminal (script(1)) gets the redraw unless NO_COLOR or TERM=dumb.
TEST(Cli, ProgressIsPlainLinesUnlessStderrIsATerminal) {
  TempDir home;
  GitRepo repo;
  repo.Write("compose.yaml", "name: shop\nservices:\n  web:\n    image: nginx:1.27\n");
  repo.Commit("shop");
  const std::string stacks = home.path() + "/stacks";
  const std::vector<std::string> reconcile = {EcsyncBinary(),
                                              "reconcile",
                                              "--once",
                                              "--repo",
                                              repo.url(),
                                              "--cache-dir",
                                              home.path() + "/cache",
                                              "--stack-dir",
                                              stacks,
                                              "--vpc-id",
                                              "vpc-0123abcd",
                                              "--subnet-ids",
                                              "subnet-0123abcd,subnet-4567ef01",
                                              "--poll-interval",
                                              "100ms"};
  const std::vector<std::string> down = {EcsyncBinary(), "down", "--stack-name",    "shop",
                                         "--stack-dir",  stacks, "--poll-interval", "100ms"};

  CommandResult piped = RunCommand(reconcile, NoAwsEnv(home));
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find('\x1b'), std::string::npos) << piped.err;
  EXPECT_NE(piped.err.find("WebService"), std::string::npos) << piped.err;  // one line per event
  EXPECT_EQ(piped.err.find("✔"), std::string::npos) << piped.err;

  // `down` on a pseudo-terminal, with `settings` for env(1) (script merges stdout and stderr).
  auto down_on_terminal = [&](const char* settings) {
    std::string command = std::string("env -u NO_COLOR TERM=xterm ") + settings;
    for (const std::string& arg : down) command += " '" + arg + "'";
    return RunCommand({"script", "-qec", command, "/dev/null"}, NoAwsEnv(home));
  };
  CommandResult live = down_on_terminal("");
  ASSERT_EQ(live.exit_code, 0) << live.out;
  EXPECT_NE(live.out.find("\x1b[2K  ✔ WebService "), std::string::npos) << live.out;
  EXPECT_NE(live.out.find("\x1b[1A\x1b[2K"), std::string::npos) << live.out;  // redrawn in place
  for (const char* settings : {"NO_COLOR=1", "TERM=dumb"}) {
    ASSERT_EQ(RunCommand(reconcile, NoAwsEnv(home)).exit_code, 0);
    CommandResult plain = down_on_terminal(settings);
    ASSERT_EQ(plain.exit_code, 0) << plain.out;
    EXPECT_NE(plain.out.find("WebService"), std::string::npos) << settings << ": " << plain.out;
    EXPECT_EQ(plain.out.find('\x1b'), std::string::npos) << settings << ": " << plain.out;
  }
}

TEST(Cli, WithoutAwsOrStackDirReconcileSaysWhatToSet) {
  TempDir home;
  GitRepo repo;
  repo.Write("compose.yaml", "services:\n  web:\n    image: nginx\n");
  repo.Commit("x");
  CommandResult r = RunCommand({EcsyncBinary(), "reconcile", "--once", "--repo", repo.url(),
                                "--cache-dir", home.path() + "/cache"},
                               NoAwsEnv(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("AWS_REGION"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ecsync::testing
