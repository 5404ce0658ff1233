// Splitting templates over one stack's limits into nested stacks: every part within the
// limits and passing cfn-lint, every reference resolvable where it is, small templates
// untouched, the same input giving the same output, and a split project deployed to
// moto_server through S3 TemplateURLs.

#include "cfn/nested.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "compose/loader.h"
#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// `n` services as a real project has them: a published port, two networks, a healthcheck,
// resources, depends_on the previous one; every tenth with a secret and an EFS volume,
// every fifth with autoscaling.
std::string ManyServicesCompose(int n) {
  std::string text =
      "name: many\n"
      "networks:\n  front: {}\n  back: {}\n"
      "secrets:\n  token:\n    file: ./token.txt\n"
      "volumes:\n  data: {}\n"
      "services:\n";
  for (int i = 0; i < n; ++i) {
    const std::string name = "svc" + std::to_string(i);
    text += "  " + name + ":\n";
    text += "    image: registry.example.com/" + name + ":1.0\n";
    text += "    environment:\n      SERVICE: " + name + "\n";
    text += "    ports: [\"" + std::to_string(10000 + i) + ":8080\"]\n";
    text += "    networks: [front, back]\n";
    text += "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 30s\n";
    text += "    deploy:\n      replicas: 2\n      resources:\n        limits: {cpus: '0.5'}\n";
    if (i % 5 == 0) text += "      x-aws-autoscaling: {min: 1, max: 4, cpu: 70}\n";
    if (i % 10 == 0) text += "    secrets: [token]\n    volumes: [\"data:/data\"]\n";
    if (i > 0) text += "    depends_on: [svc" + std::to_string(i - 1) + "]\n";
  }
  return text;
}

class MemoryReader final : public compose::FileReader {
 public:
  explicit MemoryReader(std::string text) : text_(std::move(text)) {}
  base::Result<std::string> Read(const std::string& path) override {
    if (path.ends_with("compose.yaml")) return text_;
    if (path.ends_with("token.txt")) return std::string("token\n");
    return base::NotFoundError(path);
  }

 private:
  std::string text_;
};

compose::Project ManyServices(int n) {
  MemoryReader reader(ManyServicesCompose(n));
  compose::LoadOptions options;
  options.files = {"/project/compose.yaml"};
  options.working_dir = "/project";
  base::Result<compose::Project> project = compose::Load(options, reader);
  EXPECT_TRUE(project.ok()) << project.status().ToString();
  return project.ok() ? std::move(*project) : compose::Project{};
}

// A URL per child that names it: what the tests check the parent against.
std::string FakeUrl(size_t number, const std::string& body) {
  return "https://templates.s3.amazonaws.com/many/" + std::to_string(number) + "-" +
         std::to_string(body.size()) + ".json";
}

NestedTemplates SplitOrDie(const ordered_json& tmpl, const StackLimits& limits = {}) {
  base::Result<NestedTemplates> split = SplitIntoNestedStacks(tmpl, FakeUrl, limits);
  EXPECT_TRUE(split.ok()) << split.status().ToString();
  return split.ok() ? std::move(*split) : NestedTemplates{};
}

bool IsPseudo(const std::string& name) { return name.rfind("AWS::", 0) == 0; }

// Checks that every Ref, Fn::GetAtt, Fn::Sub name, DependsOn, Condition and Fn::If of
// `tmpl` names something `tmpl` itself declares (or a pseudo-parameter), and collects the
// child outputs it reads (`Fn::GetAtt [XStack, Outputs.Y]`) into `outputs_read`.
class ReferenceChecker {
 public:
  ReferenceChecker(const ordered_json& tmpl, std::string name) : name_(std::move(name)) {
    for (const char* section : {"Resources", "Parameters", "Conditions", "Mappings"}) {
      if (!tmpl.contains(section)) continue;
      for (const auto& [key, value] : tmpl[section].items()) declared_[section].insert(key);
    }
  }

  void Check(const ordered_json& tmpl,
             std::set<std::pair<std::string, std::string>>* outputs_read) {
    outputs_read_ = outputs_read;
    for (const auto& [id, entry] : tmpl["Resources"].items()) {
      if (entry.contains("Condition")) ExpectCondition(entry["Condition"], id);
      if (entry.contains("DependsOn")) {
        ordered_json list = entry["DependsOn"].is_array()
                                ? entry["DependsOn"]
                                : ordered_json::array({entry["DependsOn"]});
        for (const auto& dependency : list) {
          EXPECT_TRUE(Has("Resources", dependency))
              << name_ << ": " << id << " DependsOn " << dependency;
        }
      }
      Walk(entry.value("Properties", ordered_json::object()), id);
    }
    if (tmpl.contains("Outputs")) Walk(tmpl["Outputs"], "Outputs");
    if (tmpl.contains("Conditions")) Walk(tmpl["Conditions"], "Conditions");
  }

 private:
  bool Has(const char* section, const ordered_json& name) const {
    auto it = declared_.find(section);
    return name.is_string() && it != declared_.end() && it->second.count(name.get<std::string>());
  }
  void ExpectCondition(const ordered_json& name, const std::string& where) {
    EXPECT_TRUE(Has("Conditions", name)) << name_ << ": " << where << " uses condition " << name;
  }
  void ExpectReferable(const std::string& target, const std::string& where) {
    if (IsPseudo(target)) return;
    EXPECT_TRUE(Has("Resources", target) || Has("Parameters", target))
        << name_ << ": " << where << " refers to " << target;
  }

  void Walk(const ordered_json& value, const std::string& where) {
    if (value.is_array()) {
      for (const auto& item : value) Walk(item, where);
      return;
    }
    if (!value.is_object()) return;
    if (value.size() == 1) {
      const std::string key = value.begin().key();
      const ordered_json& arg = value.begin().value();
      if (key == "Ref") return ExpectReferable(arg.get<std::string>(), where);
      if (key == "Fn::GetAtt") {
        const std::string target = arg[0];
        const std::string attribute = arg[1];
        EXPECT_TRUE(Has("Resources", target)) << name_ << ": " << where << " GetAtt " << target;
        if (attribute.rfind("Outputs.", 0) == 0) {
          outputs_read_->insert({target, attribute.substr(8)});
        }
        return;
      }
      if (key == "Fn::Sub") {
        std::string text = arg.is_array() ? arg[0].get<std::string>() : arg.get<std::string>();
        ordered_json variables = arg.is_array() ? arg[1] : ordered_json::object();
        Walk(variables, where);
        for (size_t pos = 0; (pos = text.find("${", pos)) != std::string::npos;) {
          size_t close = text.find('}', pos);
          std::string name = text.substr(pos + 2, close - pos - 2);
          pos = close;
          if (name[0] == '!' || variables.contains(name)) continue;
          std::string target = name.substr(0, name.find('.'));
          if (name.find('.') != std::string::npos) {
            EXPECT_TRUE(Has("Resources", target)) << name_ << ": " << where << " Sub " << name;
          } else {
            ExpectReferable(target, where);
          }
        }
        return;
      }
      if (key == "Fn::If") {
        ExpectCondition(arg[0], where);
        Walk(arg[1], where);
        Walk(arg[2], where);
        return;
      }
      if (key == "Condition" && arg.is_string()) return ExpectCondition(arg, where);
    }
    for (const auto& [key, item] : value.items()) Walk(item, where);
  }

  std::string name_;
  std::map<std::string, std::set<std::string>> declared_;
  std::set<std::pair<std::string, std::string>>* outputs_read_ = nullptr;
};

// Every template of the split resolves its own references; every child output the parent
// reads exists; every parameter a child declares without a default is passed to it.
void ExpectResolvable(const NestedTemplates& split) {
  std::set<std::pair<std::string, std::string>> outputs_read;
  ReferenceChecker(split.parent, "parent").Check(split.parent, &outputs_read);
  std::map<std::string, const ChildStack*> children;
  for (const ChildStack& child : split.children) {
    std::set<std::pair<std::string, std::string>> nested_reads;
    ReferenceChecker(child.tmpl, child.logical_id).Check(child.tmpl, &nested_reads);
    EXPECT_TRUE(nested_reads.empty()) << child.logical_id << " reads outputs of a stack";
    children[child.logical_id] = &child;
    const ordered_json& stack = split.parent["Resources"][child.logical_id];
    EXPECT_EQ(stack["Type"], "AWS::CloudFormation::Stack");
    EXPECT_EQ(stack["Properties"]["TemplateURL"], child.url);
    const ordered_json passed = stack["Properties"].value("Parameters", ordered_json::object());
    const ordered_json declared = child.tmpl.value("Parameters", ordered_json::object());
    for (const auto& [name, definition] : declared.items()) {
      EXPECT_TRUE(passed.contains(name) || definition.contains("Default"))
          << child.logical_id << " parameter " << name << " is not passed";
    }
    for (const auto& [name, value] : passed.items()) {
      EXPECT_TRUE(declared.contains(name)) << child.logical_id << " is passed " << name;
    }
  }
  for (const auto& [stack, output] : outputs_read) {
    ASSERT_TRUE(children.count(stack)) << stack;
    EXPECT_TRUE(children[stack]->tmpl["Outputs"].contains(output)) << stack << " " << output;
  }
}

size_t Bytes(const ordered_json& tmpl) { return tmpl.dump().size(); }

TEST(NestedStacks, TwoHundredServicesSplitWithinLimits) {
  const ordered_json tmpl = testing::ConvertOk(ManyServices(200));
  const size_t resources = tmpl["Resources"].size();
  ASSERT_GT(resources, 500u);
  const NestedTemplates split = SplitOrDie(tmpl);
  ASSERT_GE(split.children.size(), 3u);

  // Every resource is kept under its logical ID, in exactly one template.
  std::map<std::string, int> seen;
  for (const auto& [id, entry] : split.parent["Resources"].items()) {
    if (entry["Type"] != "AWS::CloudFormation::Stack") ++seen[id];
  }
  for (const ChildStack& child : split.children) {
    EXPECT_LE(child.tmpl["Resources"].size(), 500u) << child.logical_id;
    EXPECT_LE(child.body.size(), 1'000'000u) << child.logical_id;
    EXPECT_EQ(child.body, child.tmpl.dump());
    EXPECT_LE(child.tmpl.value("Parameters", ordered_json::object()).size(), 200u);
    EXPECT_LE(child.tmpl.value("Outputs", ordered_json::object()).size(), 200u);
    for (const auto& [id, entry] : child.tmpl["Resources"].items()) ++seen[id];
  }
  EXPECT_EQ(seen.size(), resources);
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
  for (const auto& [id, entry] : tmpl["Resources"].items()) EXPECT_TRUE(seen.count(id)) << id;
  EXPECT_LE(split.parent["Resources"].size(), 500u);
  EXPECT_LE(Bytes(split.parent), 1'000'000u);

  // Shared resources stay in the parent; a service's resources stay together.
  for (const char* shared : {"Cluster", "LogGroup", "CloudMap", "LoadBalancer", "FrontNetwork",
                             "BackNetwork", "TokenSecret", "DataFilesystem"}) {
    EXPECT_TRUE(split.parent["Resources"].contains(shared)) << shared;
  }
  for (const ChildStack& child : split.children) {
    const ordered_json& resources_of = child.tmpl["Resources"];
    for (const auto& [id, entry] : resources_of.items()) {
      if (entry["Type"] != "AWS::ECS::Service") continue;
      const std::string part = id.substr(0, id.size() - 7);
      for (const char* suffix : {"TaskDefinition", "TaskExecutionRole", "ServiceDiscoveryEntry"}) {
        EXPECT_TRUE(resources_of.contains(part + suffix)) << child.logical_id << " " << part;
      }
    }
  }
  EXPECT_EQ(split.children[0].logical_id, "Services1Stack");
  ExpectResolvable(split);
}

TEST(NestedStacks, EveryTemplateOfTheSplitPassesCfnLint) {
  const NestedTemplates split = SplitOrDie(testing::ConvertOk(ManyServices(200)));
  ASSERT_FALSE(split.children.empty());
  testing::ExpectLintClean(split.parent);
  for (const ChildStack& child : split.children) testing::ExpectLintClean(child.tmpl);
}

TEST(NestedStacks, DependsOnAcrossStacksBecomesDependsOnTheStack) {
  StackLimits limits;
  limits.max_resources = 40;
  const NestedTemplates split = SplitOrDie(testing::ConvertOk(ManyServices(12)), limits);
  ASSERT_GE(split.children.size(), 2u);
  // svc<i> depends on svc<i-1>; where they are apart, the later stack waits for the earlier.
  const ordered_json& second = split.parent["Resources"]["Services2Stack"];
  ASSERT_TRUE(second.contains("DependsOn"));
  EXPECT_NE(std::find(second["DependsOn"].begin(), second["DependsOn"].end(), "Services1Stack"),
            second["DependsOn"].end());
  for (const ChildStack& child : split.children) {
    for (const auto& [id, entry] : child.tmpl["Resources"].items()) {
      for (const auto& dependency : entry.value("DependsOn", ordered_json::array())) {
        EXPECT_TRUE(child.tmpl["Resources"].contains(dependency)) << id << " " << dependency;
      }
    }
  }
  ExpectResolvable(split);
  testing::ExpectLintClean(split.parent);
  for (const ChildStack& child : split.children) testing::ExpectLintClean(child.tmpl);
}

// With Service Connect the services in the children name the parent's Cloud Map namespace
// (a parameter of their stack); every reference still resolves and lints.
TEST(NestedStacks, ServiceConnectNamespaceReachesTheChildren) {
  compose::Project project = ManyServices(12);
  project.extensions["x-aws-service-connect"] = true;
  StackLimits limits;
  limits.max_resources = 40;
  const NestedTemplates split = SplitOrDie(testing::ConvertOk(project), limits);
  ASSERT_GE(split.children.size(), 2u);
  int connected = 0;
  for (const ChildStack& child : split.children) {
    for (const auto& [id, entry] : child.tmpl["Resources"].items()) {
      if (entry["Type"] != "AWS::ECS::Service") continue;
      EXPECT_TRUE(entry["Properties"]["ServiceConnectConfiguration"].contains("Namespace")) << id;
      ++connected;
    }
  }
  EXPECT_EQ(connected, 12);
  ExpectResolvable(split);
  testing::ExpectLintClean(split.parent);
  for (const ChildStack& child : split.children) testing::ExpectLintClean(child.tmpl);
}

TEST(NestedStacks, TemplateWithinLimitsIsUnchanged) {
  const ordered_json tmpl = testing::ConvertOk(ManyServices(3));
  int calls = 0;
  base::Result<NestedTemplates> split = SplitIntoNestedStacks(
      tmpl, [&](size_t, const std::string&) { return ++calls, std::string("unused"); });
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_TRUE(split->children.empty());
  EXPECT_EQ(ToJson(split->parent), ToJson(tmpl));
  EXPECT_EQ(split->parent.dump(), tmpl.dump());
  EXPECT_EQ(calls, 0);
}

TEST(NestedStacks, ByteLimitIsExact) {
  const ordered_json tmpl = testing::ConvertOk(ManyServices(12));
  StackLimits limits;
  limits.max_template_bytes = tmpl.dump().size();
  EXPECT_TRUE(SplitOrDie(tmpl, limits).children.empty());
  limits.max_template_bytes -= 1;
  EXPECT_FALSE(SplitOrDie(tmpl, limits).children.empty());
}

TEST(NestedStacks, MeasuredBytesAreTheCompactSerialization) {
  ordered_json tmpl = testing::ConvertOk(testing::SimpleSingleService());
  tmpl["Outputs"] = {
      {"Odd", {{"Value", "quote \" backslash \\ tab \t nul \u0001 é ✓"}}},
      {"Numbers", {{"Value", {-12, 0, 7u, 1.5, true, false, nullptr}}}},
      {"Empty", {{"Value", ordered_json::object()}, {"List", ordered_json::array()}}}};
  EXPECT_EQ(MeasureTemplate(tmpl).bytes, tmpl.dump().size());
  EXPECT_EQ(MeasureTemplate(tmpl).resources, tmpl["Resources"].size());
}

TEST(NestedStacks, SameInputGivesTheSameSplit) {
  const compose::Project project = ManyServices(200);
  const NestedTemplates a = SplitOrDie(testing::ConvertOk(project));
  const NestedTemplates b = SplitOrDie(testing::ConvertOk(project));
  ASSERT_EQ(a.children.size(), b.children.size());
  EXPECT_EQ(a.parent.dump(), b.parent.dump());
  for (size_t i = 0; i < a.children.size(); ++i) {
    EXPECT_EQ(a.children[i].logical_id, b.children[i].logical_id);
    EXPECT_EQ(a.children[i].body, b.children[i].body);
  }
}

TEST(NestedStacks, UrlFunctionSeesEachChildOnceInOrder) {
  const ordered_json tmpl = testing::ConvertOk(ManyServices(200));
  std::vector<size_t> numbers;
  std::vector<size_t> sizes;
  base::Result<NestedTemplates> split =
      SplitIntoNestedStacks(tmpl, [&](size_t number, const std::string& body) {
        numbers.push_back(number);
        sizes.push_back(body.size());
        return "https://bucket.s3.amazonaws.com/" + std::to_string(number);
      });
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(numbers.size(), split->children.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(numbers[i], i + 1);
    EXPECT_EQ(sizes[i], split->children[i].body.size());
  }
}

TEST(NestedStacks, ServiceAloneOverTheLimitIsRefusedByName) {
  StackLimits limits;
  limits.max_resources = 5;  // svc0 has 10 (autoscaling, a task role)
  base::Result<NestedTemplates> split =
      SplitIntoNestedStacks(testing::ConvertOk(ManyServices(3)), FakeUrl, limits);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(split.status().message().find("service \"svc0\""), std::string::npos)
      << split.status().message();
  EXPECT_NE(split.status().message().find("at most 5 resources"), std::string::npos)
      << split.status().message();
}

TEST(NestedStacks, FullParentMovesUnreferencedSharedResourcesIntoChildren) {
  const ordered_json tmpl = testing::ConvertOk(ManyServices(12));
  StackLimits limits;
  limits.max_resources = 18;  // 15 shared resources and 5 stacks do not fit
  const NestedTemplates split = SplitOrDie(tmpl, limits);
  ASSERT_FALSE(split.children.empty());
  EXPECT_LE(split.parent["Resources"].size(), 18u);
  size_t ingress_in_children = 0;
  for (const ChildStack& child : split.children) {
    EXPECT_LE(child.tmpl["Resources"].size(), 18u);
    for (const auto& [id, entry] : child.tmpl["Resources"].items()) {
      if (entry["Type"] == "AWS::EC2::SecurityGroupIngress") ++ingress_in_children;
    }
  }
  EXPECT_GT(ingress_in_children, 0u);
  EXPECT_TRUE(split.parent["Resources"].contains("Cluster"));
  ExpectResolvable(split);

  limits.max_resources = 16;  // even without its ingress rules the parent is over
  base::Result<NestedTemplates> refused = SplitIntoNestedStacks(tmpl, FakeUrl, limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(refused.status().message().find("the parent stack keeps"), std::string::npos)
      << refused.status().message();
}

TEST(NestedStacks, ByteLimitAloneSplitsToo) {
  StackLimits limits;
  limits.max_template_bytes = 60'000;
  const ordered_json tmpl = testing::ConvertOk(ManyServices(20));
  ASSERT_LT(tmpl["Resources"].size(), 500u);
  const NestedTemplates split = SplitOrDie(tmpl, limits);
  ASSERT_GE(split.children.size(), 2u);
  for (const ChildStack& child : split.children) EXPECT_LE(child.body.size(), 60'000u);
  EXPECT_LE(Bytes(split.parent), 60'000u);
  ExpectResolvable(split);
}

TEST(NestedStacks, CrossStackValuesTravelAsParametersAndOutputs) {
  StackLimits limits;
  limits.max_resources = 40;
  const NestedTemplates split = SplitOrDie(testing::ConvertOk(ManyServices(12)), limits);
  ASSERT_FALSE(split.children.empty());
  const ChildStack& first = split.children[0];
  const ordered_json& parameters = first.tmpl["Parameters"];
  // A Ref to a parent resource keeps its text; the parameter has the resource's name.
  EXPECT_TRUE(parameters.contains("LogGroup"));
  EXPECT_TRUE(parameters.contains("FrontNetwork"));
  // Fn::GetAtt [Cluster, Arn] becomes a Ref to the parameter ClusterArn.
  ASSERT_TRUE(parameters.contains("ClusterArn"));
  EXPECT_EQ(first.tmpl["Resources"]["Svc0Service"]["Properties"]["Cluster"],
            testing::RefTo("ClusterArn"));
  const ordered_json& passed =
      split.parent["Resources"]["Services1Stack"]["Properties"]["Parameters"];
  EXPECT_EQ(passed["LogGroup"], testing::RefTo("LogGroup"));
  EXPECT_EQ(passed["ClusterArn"], (ordered_json{{"Fn::GetAtt", {"Cluster", "Arn"}}}));
  // The secret's value parameter is copied with its NoEcho definition and passed through.
  ASSERT_TRUE(parameters.contains("TokenSecretValue") || parameters.contains("TokenSecret"));
  // The IsUsEast1 condition of the resolv.conf sidecar goes with the task definitions.
  EXPECT_TRUE(first.tmpl["Conditions"].contains("IsUsEast1"));
}

TEST(NestedStacks, BucketCheckNamesStackFiguresAndKey) {
  const ordered_json big = testing::ConvertOk(ManyServices(200));
  const TemplateFigures figures = MeasureTemplate(big);
  EXPECT_EQ(figures.resources, big["Resources"].size());
  EXPECT_EQ(figures.bytes, big.dump().size());
  EXPECT_TRUE(NeedsTemplateBucket(big));
  base::Status refused = CheckTemplateBucket("many", big, /*bucket_configured=*/false);
  EXPECT_EQ(refused.kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(refused.message().find("stack many"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("aws.template_bucket"), std::string::npos);
  EXPECT_NE(refused.message().find("nested stacks"), std::string::npos);
  EXPECT_NE(refused.message().find(" resources"), std::string::npos);
  EXPECT_TRUE(CheckTemplateBucket("many", big, /*bucket_configured=*/true).ok());

  const ordered_json medium = testing::ConvertOk(ManyServices(12));
  ASSERT_GT(medium.dump().size(), 51'200u);
  EXPECT_TRUE(NeedsTemplateBucket(medium));
  base::Status inline_refused = CheckTemplateBucket("ten", medium, false);
  EXPECT_NE(inline_refused.message().find("51,200 bytes"), std::string::npos)
      << inline_refused.message();

  const ordered_json small = testing::ConvertOk(testing::SimpleSingleService());
  EXPECT_FALSE(NeedsTemplateBucket(small));
  EXPECT_TRUE(CheckTemplateBucket("simple", small, false).ok());
}

TEST(NestedStacks, TemplateOutputsAndParentReferencesReadChildOutputs) {
  StackLimits limits;
  limits.max_resources = 40;
  ordered_json tmpl = testing::ConvertOk(ManyServices(12));
  tmpl["Outputs"] = {
      {"Svc3Arn", {{"Value", {{"Ref", "Svc3Service"}}}}},
      {"Svc3Url", {{"Value", {{"Fn::Sub", "https://${Svc3TCP8080TargetGroup.LoadBalancerArns}"}}}}},
      {"Cluster", {{"Value", {{"Ref", "Cluster"}}}}}};
  const NestedTemplates split = SplitOrDie(tmpl, limits);
  ASSERT_FALSE(split.children.empty());
  const ordered_json& outputs = split.parent["Outputs"];
  EXPECT_EQ(outputs["Cluster"]["Value"], testing::RefTo("Cluster"));
  ASSERT_TRUE(outputs["Svc3Arn"]["Value"].contains("Fn::GetAtt"));
  EXPECT_EQ(outputs["Svc3Arn"]["Value"]["Fn::GetAtt"][1], "Outputs.Svc3Service");
  ASSERT_TRUE(outputs["Svc3Url"]["Value"]["Fn::Sub"].is_array());
  ExpectResolvable(split);
}

// Deploys a split template to moto_server with the children in its S3.
class NestedMotoDeploy : public ::testing::Test {
 protected:
  json Cli(const std::vector<std::string>& args) const {
    std::string out = moto_.Aws(args);
    return out.empty() ? json::object() : json::parse(out);
  }

  ecsync::testing::MotoServer moto_;
  ecsync::testing::TempDir dir_;
};

TEST_F(NestedMotoDeploy, SplitProjectDeploysThroughTemplateUrls) {
  ConvertOptions options;
  json vpc = Cli({"ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"});
  options.vpc_id = vpc["Vpc"]["VpcId"];
  int third = 1;
  for (const char* zone : {"us-east-1a", "us-east-1b"}) {
    json subnet = Cli({"ec2", "create-subnet", "--vpc-id", options.vpc_id, "--cidr-block",
                       "10.0." + std::to_string(third++) + ".0/24", "--availability-zone", zone});
    options.subnet_ids.push_back(subnet["Subnet"]["SubnetId"]);
  }
  Cli({"s3api", "create-bucket", "--bucket", "templates"});
  Conversion conversion = testing::ConvertProjectOrDie(ManyServices(8), options);

  StackLimits limits;
  limits.max_resources = 30;
  base::Result<NestedTemplates> split = SplitIntoNestedStacks(
      conversion.tmpl,
      [&](size_t number, const std::string& body) {
        const std::string key = "many/child-" + std::to_string(number) + ".json";
        const std::string path = dir_.WriteFile(key, body);
        Cli({"s3api", "put-object", "--bucket", "templates", "--key", key, "--body", path});
        // The form S3::TemplateUrl gives; moto reads such URLs from its own S3.
        return "https://templates.s3.us-east-1.amazonaws.com/" + key;
      },
      limits);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  ASSERT_GE(split->children.size(), 2u);

  const std::string parent = dir_.WriteFile("parent.json", split->parent.dump());
  Cli({"s3api", "put-object", "--bucket", "templates", "--key", "many/parent.json", "--body",
       parent});
  std::vector<std::string> args = {
      "cloudformation", "create-stack",
      "--stack-name",   "many",
      "--template-url", "https://templates.s3.us-east-1.amazonaws.com/many/parent.json",
      "--capabilities", "CAPABILITY_IAM",
      "--parameters"};
  for (const SecretParameter& secret : conversion.secret_parameters) {
    args.push_back("ParameterKey=" + secret.parameter + ",ParameterValue=token");
  }
  moto_.Aws(args);
  const std::string status = moto_.StackStatus("many");
  if (status != "CREATE_COMPLETE") {
    std::cerr << Cli({"cloudformation", "describe-stack-events", "--stack-name", "many"}).dump(1);
  }
  ASSERT_EQ(status, "CREATE_COMPLETE");

  // One nested stack per child, each complete; every service runs in the project's cluster.
  json stacks = Cli({"cloudformation", "describe-stacks"});
  size_t nested = 0;
  for (const json& stack : stacks["Stacks"]) {
    if (stack.value("StackName", "") == "many") continue;
    ++nested;
    EXPECT_EQ(stack["StackStatus"], "CREATE_COMPLETE") << stack["StackName"];
  }
  EXPECT_EQ(nested, split->children.size());
  json clusters = Cli({"ecs", "list-clusters"});
  ASSERT_EQ(clusters["clusterArns"].size(), 1u);
  json services = Cli({"ecs", "list-services", "--cluster", clusters["clusterArns"][0]});
  EXPECT_EQ(services["serviceArns"].size(), 8u);
  json groups = Cli({"elbv2", "describe-target-groups"});
  EXPECT_EQ(groups["TargetGroups"].size(), 8u);
}

}  // namespace
}  // namespace ecsync::cfn
