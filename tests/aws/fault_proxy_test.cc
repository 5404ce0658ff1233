// The fault-injecting AWS proxy the replica tests use (tests/support/aws_fault_proxy.h),
// with this project's clients against moto_server: requests reach moto unchanged (moto with
// IAM authentication on still verifies their SigV4 signatures), each is logged with its
// caller, action, key fields and outcome, and one caller's calls to one service can be cut
// off (reset or left hanging) and restored while the rest go through.

#include "tests/support/aws_fault_proxy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "aws/cloudformation_client.h"
#include "aws/dynamodb.h"
#include "aws/http.h"
#include "tests/aws/moto_iam_user.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;
using testing::AwsFaultProxy;
using testing::ProxyEntry;

// Clients of one caller, through its own listener: one attempt per call (a failure shows at
// once) and a 1 s timeout (a hung call ends).
std::shared_ptr<AwsClient> Through(AwsFaultProxy& proxy, const std::string& caller,
                                   const Credentials& credentials) {
  AwsClientOptions options;
  options.credentials = credentials;
  options.region = "us-east-1";
  options.endpoint_override = proxy.Endpoint(caller);
  CurlOptions curl;
  curl.total_timeout = std::chrono::seconds(1);
  options.http = std::make_shared<CurlHttpClient>(curl);
  options.max_attempts = 1;
  return std::make_shared<AwsClient>(options);
}

const Credentials kTest{"testing", "testing", "", "test"};

// The entries of `caller`'s requests (control actions left out).
std::vector<ProxyEntry> RequestsOf(const AwsFaultProxy& proxy, const std::string& caller) {
  std::vector<ProxyEntry> requests;
  for (const ProxyEntry& entry : proxy.Entries()) {
    if (entry.event.empty() && entry.listener == caller) requests.push_back(entry);
  }
  return requests;
}

TEST(AwsFaultProxy, ForwardsSignedRequestsUnchangedAndLogsEach) {
  MotoWithIamUser moto = StartMotoWithIamUser();  // every later request's signature is checked
  ASSERT_FALSE(moto.user.access_key_id.empty());
  const Credentials& user = moto.user;
  AwsFaultProxy proxy(moto.moto->endpoint());
  const double before = testing::SteadySeconds();

  DynamoDbClient db(Through(proxy, "replica-a", user));
  ASSERT_TRUE(db.CreateTable("t", "pk").ok());
  const Json item{{"pk", DynamoString("shard#3")},
                  {"owner", DynamoString("replica-a")},
                  {"epoch", DynamoNumber(2)}};
  const DynamoCondition absent{"attribute_not_exists(pk)", Json::object(), Json::object()};
  ASSERT_TRUE(db.PutItem("t", item, absent).ok());
  EXPECT_EQ(db.PutItem("t", item, absent).kind(), base::ErrorKind::kConflict);
  auto missing = CloudFormationClient(Through(proxy, "replica-b", user)).DescribeStack("r1-web");
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kNotFound);
  // A wrong secret is still refused: moto checks what the client signed, not the proxy.
  Credentials wrong = user;
  wrong.secret_access_key = "not-the-secret";
  EXPECT_FALSE(DynamoDbClient(Through(proxy, "replica-a", wrong)).Scan("t").ok());

  const std::vector<ProxyEntry> a = RequestsOf(proxy, "replica-a");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].action, "CreateTable");
  for (int i : {1, 2}) {
    EXPECT_EQ(a[i].service, "dynamodb");
    EXPECT_EQ(a[i].action, "PutItem");
    EXPECT_EQ(a[i].pk, "shard#3");
    EXPECT_EQ(a[i].owner, "replica-a");
    EXPECT_EQ(a[i].epoch, "2");
    EXPECT_LE(before, a[i].sent);
    EXPECT_LE(a[i].sent, a[i].answered);
    EXPECT_LE(a[i].answered, testing::SteadySeconds());
  }
  EXPECT_EQ(a[1].status, 200);
  EXPECT_EQ(a[2].status, 400);
  EXPECT_EQ(a[2].error, "ConditionalCheckFailedException");
  EXPECT_EQ(a[3].action, "Scan");
  EXPECT_EQ(a[3].status, 403);
  const std::vector<ProxyEntry> b = RequestsOf(proxy, "replica-b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].service, "cloudformation");
  EXPECT_EQ(b[0].action, "DescribeStacks");
  EXPECT_EQ(b[0].stack, "r1-web");
  EXPECT_EQ(b[0].error, "ValidationError");
}

TEST(AwsFaultProxy, CutsOneCallerOffOneServiceAndRestoresIt) {
  testing::MotoServer moto;
  AwsFaultProxy proxy(moto.endpoint());
  DynamoDbClient a(Through(proxy, "a", kTest));
  DynamoDbClient b(Through(proxy, "b", kTest));
  CloudFormationClient a_cfn(Through(proxy, "a", kTest));
  ASSERT_TRUE(a.CreateTable("t", "pk").ok());

  const double cut = proxy.Cut("a", AwsFaultProxy::Fault::kReset);
  EXPECT_LE(cut, testing::SteadySeconds());  // the proxy's clock is this one
  EXPECT_EQ(a.Scan("t").status().kind(), base::ErrorKind::kTransient);
  EXPECT_TRUE(b.Scan("t").ok());  // another caller
  EXPECT_EQ(a_cfn.DescribeStack("x").status().kind(),
            base::ErrorKind::kNotFound);  // another service

  proxy.Cut("a", AwsFaultProxy::Fault::kHang);
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(a.Scan("t").status().kind(), base::ErrorKind::kTransient);  // the client gave up
  // (curl's own clock ends its 1 s timeout a hair early now and then)
  EXPECT_GE(std::chrono::steady_clock::now() - sent, std::chrono::milliseconds(900));
  // Its entry is written once the proxy sees the connection closed.
  ASSERT_TRUE(testing::WaitUntil([&] {
    for (const ProxyEntry& entry : RequestsOf(proxy, "a")) {
      if (entry.fault == "hang") return true;
    }
    return false;
  }));

  const double restored = proxy.Restore("a");
  EXPECT_TRUE(a.Scan("t").ok());

  std::vector<std::string> seen;
  for (const ProxyEntry& entry : proxy.Entries()) {
    if (!entry.event.empty()) {
      seen.push_back(entry.event + " " + entry.listener + " " + entry.service);
    } else if (entry.listener == "a" && entry.action == "Scan") {
      // Times order requests with the cuts: a refused one was sent after the cut, the one
      // forwarded again after the restore.
      EXPECT_EQ(entry.status == 0, cut < entry.sent && entry.sent < restored) << entry.sent;
      const std::string line = "Scan " + std::to_string(entry.status) + " " + entry.fault;
      // libcurl sends a request again, once, when a kept-alive connection is reset under it.
      if (seen.empty() || seen.back() != line) seen.push_back(line);
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"cut a dynamodb", "Scan 0 reset", "cut a dynamodb",
                                            "Scan 0 hang", "restore a dynamodb", "Scan 200 "}));
}

}  // namespace
}  // namespace ecsync::aws
