// Signatures checked by a third party: moto with IAM authentication on verifies SigV4 with
// the secret of an access key it issued.

#include <gtest/gtest.h>

#include "aws/cloudformation_client.h"
#include "aws/ecs_client.h"
#include "aws/s3.h"
#include "aws/sts.h"
#include "tests/aws/moto_iam_user.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

class Recorder : public CallObserver {
 public:
  void OnCall(const CallRecord& record) override {
    std::lock_guard<std::mutex> lock(mu);
    records.push_back(record);
  }
  std::mutex mu;
  std::vector<CallRecord> records;
};

TEST(IamAuth, MotoAcceptsOurSignaturesAndRejectsAWrongSecret) {
  // Every request after the IAM user's making is checked.
  MotoWithIamUser setup = StartMotoWithIamUser();
  ASSERT_FALSE(setup.user.access_key_id.empty());
  const testing::MotoServer& moto = *setup.moto;
  const std::string& id = setup.user.access_key_id;
  const std::string& secret = setup.user.secret_access_key;

  auto make = [&](const std::string& secret_to_use, std::shared_ptr<CallObserver> observer) {
    AwsClientOptions options;
    options.credentials = {id, secret_to_use, "", "test"};
    options.region = "us-east-1";
    options.endpoint_override = moto.endpoint();
    options.http = std::make_shared<CurlHttpClient>();
    options.observer = std::move(observer);
    options.base_backoff = std::chrono::milliseconds(5);
    return std::make_shared<AwsClient>(options);
  };

  auto good = make(secret, nullptr);
  auto identity = StsClient(good).GetCallerIdentity();
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_NE(identity->arn.find("user/ecsync"), std::string::npos);
  CloudFormationClient cfn(good);
  auto stacks = cfn.DescribeStacks();
  EXPECT_TRUE(stacks.ok()) << stacks.status().ToString();
  EXPECT_TRUE(EcsClient(good).DescribeClusters({"none"}).ok());  // JSON 1.1 signed

  auto recorder = std::make_shared<Recorder>();
  auto bad = make("not-the-secret", recorder);
  auto rejected = CloudFormationClient(bad).DescribeStacks();
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(rejected.status().message().find("SignatureDoesNotMatch"), std::string::npos)
      << rejected.status().ToString();
  auto rejected_json = EcsClient(bad).DescribeClusters({"none"});
  ASSERT_FALSE(rejected_json.ok());
  EXPECT_EQ(rejected_json.status().kind(), base::ErrorKind::kInvalid);
  ASSERT_EQ(recorder->records.size(), 2u);
  for (const CallRecord& r : recorder->records) {
    EXPECT_EQ(r.attempts, 1) << r.operation;  // no retry storm
    EXPECT_EQ(r.http_status, 403);
  }
  EXPECT_EQ(rejected.status().message().find("not-the-secret"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::aws
