// CloudFormationClient and Ec2Client against a real moto_server, over CurlHttpClient.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/cloudformation_client.h"
#include "aws/http.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/log_capture.h"
#include "tests/support/support.h"
#include "tests/support/zygotes.h"

namespace ecsync::aws {
namespace {

constexpr char kTemplateV1[] = R"({
  "Parameters": {"Name": {"Type": "String"}},
  "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Name"}}}},
  "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}
})";
constexpr char kTemplateV2[] = R"({
  "Parameters": {"Name": {"Type": "String"}},
  "Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Name"}}},
    "Cluster": {"Type": "AWS::ECS::Cluster"}
  },
  "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}
})";

class Moto : public MotoClientsTest {
 protected:
  CreateStackRequest WebStack() {
    CreateStackRequest request;
    request.name = "web";
    request.template_body = kTemplateV1;
    request.parameters = {{"Name", "web-topic"}};
    request.tags = {{"ecsync:managed-by", "ecsync"}, {"ecsync:revision", "rev1"}};
    request.client_request_token = "create-web-rev1";
    return request;
  }
};

TEST_F(Moto, StackLifecycle) {
  auto& cfn = *clients_.cloudformation;
  auto id = cfn.CreateStack(WebStack());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_NE(id->find("stack/web/"), std::string::npos);
  EXPECT_EQ(WaitForStack("web"), "CREATE_COMPLETE");

  auto stack = cfn.DescribeStack("web");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(stack->id, *id);
  EXPECT_EQ(stack->tags["ecsync:revision"], "rev1");
  EXPECT_NE(stack->outputs["TopicArn"].find("web-topic"), std::string::npos);
  EXPECT_EQ(moto_->StackTag("web", "ecsync:revision"), "rev1");  // seen by the AWS CLI too

  auto events = cfn.DescribeStackEvents("web");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_FALSE(events->empty());
  // moto reports the stack's own events (not per resource); newest first.
  bool stack_created = false;
  for (const StackEvent& e : *events) {
    EXPECT_FALSE(e.event_id.empty());
    EXPECT_GT(e.timestamp.time_since_epoch().count(), 0);
    if (e.logical_id == "web" && e.resource_type == "AWS::CloudFormation::Stack" &&
        e.status == "CREATE_COMPLETE") {
      stack_created = true;
    }
  }
  EXPECT_TRUE(stack_created);
  EXPECT_EQ(events->front().status, "CREATE_COMPLETE");

  UpdateStackRequest update{"web",
                            kTemplateV2,
                            {{"Name", "web-topic"}},
                            {{"ecsync:managed-by", "ecsync"}, {"ecsync:revision", "rev2"}},
                            {},
                            "update-web-rev2",
                            ""};
  base::Status updated = cfn.UpdateStack(update);
  ASSERT_TRUE(updated.ok()) << updated.ToString();
  EXPECT_EQ(WaitForStack("web"), "UPDATE_COMPLETE");
  EXPECT_EQ(cfn.DescribeStack("web")->tags["ecsync:revision"], "rev2");

  base::Status again = cfn.UpdateStack(update);
  EXPECT_EQ(again.kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(again.message().find("No updates are to be performed"), std::string::npos)
      << again.ToString();

  auto all = cfn.DescribeStacks();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "web");

  ASSERT_TRUE(cfn.DeleteStack("web", "delete-web").ok());
  auto gone = cfn.DescribeStack("web");
  if (gone.ok()) {
    EXPECT_EQ(gone->status, "DELETE_COMPLETE");  // moto may still show it by name
  } else {
    EXPECT_EQ(gone.status().kind(), base::ErrorKind::kNotFound);
  }
  EXPECT_TRUE(cfn.DescribeStacks()->empty());
}

TEST_F(Moto, MissingStackIsNotFound) {
  auto stack = clients_.cloudformation->DescribeStack("never-created");
  ASSERT_FALSE(stack.ok());
  EXPECT_EQ(stack.status().kind(), base::ErrorKind::kNotFound) << stack.status().ToString();
  auto events = clients_.cloudformation->DescribeStackEvents("never-created");
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(Moto, CreatingAnExistingStackIsNotRetried) {
  ASSERT_TRUE(clients_.cloudformation->CreateStack(WebStack()).ok());
  auto again = clients_.cloudformation->CreateStack(WebStack());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().kind(), base::ErrorKind::kConflict) << again.status().ToString();
  EXPECT_NE(again.status().message().find("AlreadyExists"), std::string::npos)
      << again.status().ToString();
}

TEST_F(Moto, DefaultVpcAndItsSubnets) {
  auto vpc = clients_.ec2->DefaultVpcId();
  ASSERT_TRUE(vpc.ok()) << vpc.status().ToString();
  EXPECT_EQ(vpc->rfind("vpc-", 0), 0u);
  auto subnets = clients_.ec2->SubnetIds(*vpc);
  ASSERT_TRUE(subnets.ok()) << subnets.status().ToString();
  ASSERT_FALSE(subnets->empty());
  EXPECT_TRUE(std::is_sorted(subnets->begin(), subnets->end()));
  for (const std::string& id : *subnets) EXPECT_EQ(id.rfind("subnet-", 0), 0u);
  auto none = clients_.ec2->SubnetIds("vpc-00000000");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(Moto, DebugLogsHoldNoSecrets) {
  testing::LogCapture capture;
  auto env = moto_->ClientEnv();
  env["AWS_SECRET_ACCESS_KEY"] = "VerySecretKeyValue0123456789";
  env["AWS_SESSION_TOKEN"] = "SessionTokenValue0123456789";
  AwsClientsOptions options;
  options.env = base::EnvFromMap(env);
  auto clients = MakeAwsClients(options);
  ASSERT_TRUE(clients.ok());
  EXPECT_TRUE(clients->cloudformation->CreateStack(WebStack()).ok());
  EXPECT_FALSE(clients->cloudformation->DescribeStack("missing").ok());
  EXPECT_TRUE(clients->ec2->DefaultVpcId().ok());
  std::string log = capture.text();
  EXPECT_NE(log.find("CreateStack"), std::string::npos) << log;
  EXPECT_EQ(log.find("VerySecretKeyValue"), std::string::npos);
  EXPECT_EQ(log.find("SessionTokenValue"), std::string::npos);
  EXPECT_EQ(log.find("Authorization"), std::string::npos);
  EXPECT_EQ(log.find("Signature"), std::string::npos);
}

// Under ctest the tests' AWS CLI calls run in the AWS CLI zygote (docs/testing.md): each must
// answer what the `aws` command answers, byte for byte, exit code and both streams, for a
// call that succeeds and one that fails.
TEST_F(Moto, TheAwsCliZygoteAnswersWhatTheCommandAnswers) {
  ASSERT_TRUE(clients_.cloudformation->CreateStack(WebStack()).ok());
  ASSERT_EQ(WaitForStack("web"), "CREATE_COMPLETE");
  std::map<std::string, std::string> env = moto_->ClientEnv();
  env.erase("AWS_SESSION_TOKEN");
  env.erase("AWS_PROFILE");
  const std::vector<std::vector<std::string>> calls = {
      {"cloudformation", "describe-stacks", "--stack-name", "web", "--output", "json"},
      {"cloudformation", "describe-stacks", "--stack-name", "missing", "--output", "json"},
      {"cloudformation", "list-stacks", "--query", "StackSummaries[].StackName"}};
  if (!testing::RunAwsInZygote(calls[0], env).has_value()) {
    GTEST_SKIP() << "no AWS CLI zygote: run under ctest";
  }
  for (const std::vector<std::string>& call : calls) {
    std::optional<testing::CommandResult> zygote = testing::RunAwsInZygote(call, env);
    std::vector<std::string> argv = {"aws"};
    argv.insert(argv.end(), call.begin(), call.end());
    testing::CommandResult command = testing::RunCommand(argv, env);
    ASSERT_TRUE(zygote.has_value()) << call[1];
    EXPECT_EQ(zygote->exit_code, command.exit_code) << call[1];
    EXPECT_EQ(zygote->out, command.out) << call[1];
    EXPECT_EQ(zygote->err, command.err) << call[1];
  }
  // Not a vacuous match: the first call found the stack, the second failed naming it.
  EXPECT_NE(testing::RunAwsInZygote(calls[0], env)->out.find("web-topic"), std::string::npos);
  std::optional<testing::CommandResult> missing = testing::RunAwsInZygote(calls[1], env);
  EXPECT_NE(missing->exit_code, 0);
  EXPECT_NE(missing->err.find("missing"), std::string::npos) << missing->err;
}

TEST(CurlHttpClient, ConnectionRefusedIsTransient) {
  CurlHttpClient http(
      CurlOptions{std::chrono::milliseconds(2000), std::chrono::milliseconds(5000), ""});
  auto response = http.Send({"GET", "http://127.0.0.1:1/", {}, ""});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(response.status().message().find("127.0.0.1"), std::string::npos);
}

TEST(CurlHttpClient, MalformedUrlIsInvalid) {
  EXPECT_EQ(ParseUrl("example.com").status().kind(), base::ErrorKind::kInvalid);
  auto url = ParseUrl("http://h:1/custom?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "h:1");
  EXPECT_EQ(url->path, "/custom");
  EXPECT_EQ(url->query, "x=1");
}

}  // namespace
}  // namespace ecsync::aws
