// Change sets, templates, S3 template URLs, ECS and STS against a real moto_server.

#include <gtest/gtest.h>

#include <thread>

#include "aws/cloudformation_client.h"
#include "aws/sts.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

constexpr char kV1[] = R"({
  "Parameters": {"Name": {"Type": "String", "Default": "topic"}},
  "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Name"}}}}
})";
constexpr char kV2[] = R"({
  "Parameters": {"Name": {"Type": "String", "Default": "topic"}},
  "Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Name"}}},
    "Cluster": {"Type": "AWS::ECS::Cluster"}
  }
})";

class MotoServices : public MotoClientsTest {
 protected:
  void CreateV1(const std::string& name) {
    CreateStackRequest request;
    request.name = name;
    request.template_body = kV1;
    ASSERT_TRUE(clients_.cloudformation->CreateStack(request).ok());
    ASSERT_EQ(WaitForStack(name), "CREATE_COMPLETE");
  }
};

TEST_F(MotoServices, UpdateThroughAChangeSet) {
  auto& cfn = *clients_.cloudformation;
  CreateV1("web");
  CreateChangeSetRequest request;
  request.change_set_name = "ecsync-rev2";
  request.stack_name = "web";
  request.template_body = kV2;
  request.tags = {{"ecsync:revision", "rev2"}};
  request.client_token = "cs-web-rev2";
  auto id = cfn.CreateChangeSet(request);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_NE(id->find("changeSet/ecsync-rev2"), std::string::npos) << *id;

  auto change_set = cfn.DescribeChangeSet("ecsync-rev2", "web");
  ASSERT_TRUE(change_set.ok()) << change_set.status().ToString();
  EXPECT_EQ(change_set->id, *id);
  EXPECT_EQ(change_set->stack_name, "web");
  EXPECT_EQ(change_set->status, "CREATE_COMPLETE");
  EXPECT_EQ(change_set->execution_status, "AVAILABLE");
  bool adds_cluster = false;
  for (const ResourceChange& c : change_set->changes) {
    if (c.action == "Add" && c.logical_id == "Cluster" && c.resource_type == "AWS::ECS::Cluster") {
      adds_cluster = true;
    }
  }
  EXPECT_TRUE(adds_cluster);
  auto by_arn = cfn.DescribeChangeSet(*id, "");
  ASSERT_TRUE(by_arn.ok()) << by_arn.status().ToString();

  ASSERT_TRUE(cfn.ExecuteChangeSet(*id, "", "exec-web-rev2").ok());
  EXPECT_EQ(WaitForStack("web"), "UPDATE_COMPLETE");
  auto resources = cfn.DescribeStackResources("web");
  ASSERT_TRUE(resources.ok()) << resources.status().ToString();
  EXPECT_EQ(resources->size(), 2u);
  auto body = cfn.GetTemplate("web");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("AWS::ECS::Cluster"), std::string::npos);
}

TEST_F(MotoServices, ChangeSetForANewStackAndDeletion) {
  auto& cfn = *clients_.cloudformation;
  CreateChangeSetRequest request;
  request.change_set_name = "create";
  request.stack_name = "fresh";
  request.template_body = kV1;
  request.change_set_type = "CREATE";
  auto id = cfn.CreateChangeSet(request);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(cfn.DescribeStack("fresh")->status, "REVIEW_IN_PROGRESS");
  ASSERT_TRUE(cfn.DeleteChangeSet("create", "fresh").ok());
  auto gone = cfn.DescribeChangeSet(*id, "");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().kind(), base::ErrorKind::kNotFound) << gone.status().ToString();
}

TEST_F(MotoServices, ValidateTemplate) {
  auto& cfn = *clients_.cloudformation;
  // moto reports the description but not parameters (AWS does; client_test covers parsing).
  auto valid = cfn.ValidateTemplate(
      R"({"Description": "web app", "Resources": {"T": {"Type": "AWS::SNS::Topic"}}})");
  ASSERT_TRUE(valid.ok()) << valid.status().ToString();
  EXPECT_EQ(valid->description, "web app");
  auto invalid = cfn.ValidateTemplate("{\"Resources\": 7");
  ASSERT_FALSE(invalid.ok());
  // moto words this as "Stack with id <parser error> does not exist" (hence kNotFound);
  // AWS answers "Template format error: ..." (kInvalid).
  EXPECT_NE(invalid.status().message().find("ValidationError"), std::string::npos)
      << invalid.status().ToString();
}

TEST_F(MotoServices, LargeTemplateThroughS3) {
  ASSERT_NE(moto_->Aws({"s3api", "create-bucket", "--bucket", "ecsync-templates"}), "");
  std::string big = R"({"Description": ")" + std::string(60'000, 'x') +
                    R"(", "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})";
  ASSERT_GT(big.size(), kMaxTemplateBodyBytes);
  auto etag = clients_.s3->PutObject("ecsync-templates", "web/rev-1.json", big, "application/json");
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_FALSE(etag->empty());
  std::string url = clients_.s3->TemplateUrl("ecsync-templates", "web/rev-1.json");
  EXPECT_EQ(url, "https://ecsync-templates.s3.us-east-1.amazonaws.com/web/rev-1.json");
  CreateStackRequest request;
  request.name = "big";
  request.template_url = url;
  auto id = clients_.cloudformation->CreateStack(request);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(WaitForStack("big"), "CREATE_COMPLETE");
  EXPECT_TRUE(clients_.s3->DeleteObject("ecsync-templates", "web/rev-1.json").ok());
  EXPECT_TRUE(clients_.s3->DeleteObject("ecsync-templates", "never-there").ok());
  auto no_bucket = clients_.s3->PutObject("no-such-bucket-x", "k", "v", "");
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_EQ(no_bucket.status().kind(), base::ErrorKind::kNotFound) << no_bucket.status().ToString();
}

TEST_F(MotoServices, EcsServicesAndTasks) {
  ASSERT_NE(moto_->Aws({"ecs", "create-cluster", "--cluster-name", "shop"}), "");
  ASSERT_NE(
      moto_->Aws({"ecs", "register-task-definition", "--family", "web", "--container-definitions",
                  R"([{"name":"web","image":"nginx","memory":128,"essential":true}])"}),
      "");
  ASSERT_NE(moto_->Aws({"ecs", "create-service", "--cluster", "shop", "--service-name", "web",
                        "--task-definition", "web", "--desired-count", "2"}),
            "");
  ASSERT_NE(moto_->Aws({"ecs", "run-task", "--cluster", "shop", "--task-definition", "web",
                        "--count", "2", "--launch-type", "FARGATE", "--network-configuration",
                        "awsvpcConfiguration={subnets=[subnet-1]}"}),
            "");
  auto& ecs = *clients_.ecs;
  auto clusters = ecs.DescribeClusters({"shop"});
  ASSERT_TRUE(clusters.ok()) << clusters.status().ToString();
  ASSERT_EQ(clusters->size(), 1u);
  EXPECT_EQ((*clusters)[0].name, "shop");
  auto services = ecs.DescribeServices("shop", {"web", "missing"});
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  ASSERT_EQ(services->services.size(), 1u);
  const EcsService& web = services->services[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.desired_count, 2);
  ASSERT_FALSE(web.deployments.empty());
  EXPECT_EQ(web.deployments[0].status, "PRIMARY");
  ASSERT_EQ(services->failures.size(), 1u);
  EXPECT_EQ(services->failures[0].reason, "MISSING");

  auto arns = ecs.ListTasks("shop", "", "RUNNING");
  ASSERT_TRUE(arns.ok()) << arns.status().ToString();
  ASSERT_EQ(arns->size(), 2u);
  auto tasks = ecs.DescribeTasks("shop", *arns);
  ASSERT_TRUE(tasks.ok()) << tasks.status().ToString();
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_FALSE((*tasks)[0].last_status.empty());
  ASSERT_EQ((*tasks)[0].containers.size(), 1u);
  EXPECT_EQ((*tasks)[0].containers[0].name, "web");

  auto no_cluster = ecs.ListTasks("nope", "", "");
  ASSERT_FALSE(no_cluster.ok());
  EXPECT_EQ(no_cluster.status().kind(), base::ErrorKind::kNotFound)
      << no_cluster.status().ToString();
}

TEST_F(MotoServices, StsCallerIdentity) {
  StsClient sts(clients_.client);
  auto identity = sts.GetCallerIdentity();
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->account, "123456789012");
  EXPECT_FALSE(identity->arn.empty());
}

}  // namespace
}  // namespace ecsync::aws
