// AwsClient, error mapping and retries against a fake HttpClient and a FakeClock.

#include "aws/client.h"

#include <gtest/gtest.h>

#include "aws/cloudformation_client.h"
#include "aws/query.h"
#include "aws/timestamp.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/log_capture.h"

namespace ecsync::aws {
namespace {

constexpr char kSecret[] = "SECRETsecretSECRET/key+value";
constexpr char kToken[] = "SESSIONtokenVALUE";

constexpr char kThrottle[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
    "<Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>";
constexpr char kNoStack[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
    "<Message>Stack with id web does not exist</Message></Error></ErrorResponse>";
constexpr char kNoUpdates[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
    "<Message>No updates are to be performed.</Message></Error></ErrorResponse>";
constexpr char kOneStack[] =
    "<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">"
    "<DescribeStacksResult><Stacks><member><StackName>web</StackName>"
    "<StackId>arn:aws:cloudformation:us-east-1:1:stack/web/1</StackId>"
    "<StackStatus>CREATE_COMPLETE</StackStatus>"
    "<Tags><member><Key>ecsync:revision</Key><Value>abc</Value></member></Tags>"
    "<Outputs><member><OutputKey>Url</OutputKey><OutputValue>http://x</OutputValue></member>"
    "</Outputs></member></Stacks></DescribeStacksResult>"
    "<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeStacksResponse>";

struct Fixture {
  Fixture() {
    AwsClientOptions options;
    options.credentials = {"AKIDTEST", kSecret, kToken, "test"};
    options.region = "us-east-1";
    options.endpoint_override = "http://127.0.0.1:1";
    options.http = http;
    options.clock = &clock;
    options.jitter_seed = 42;
    options.base_backoff = std::chrono::milliseconds(200);
    client = std::make_shared<AwsClient>(options);
    cfn = std::make_shared<CloudFormationClient>(client);
  }
  std::chrono::milliseconds Slept() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.SteadyNow() - start);
  }
  std::shared_ptr<testing::FakeHttpClient> http = std::make_shared<testing::FakeHttpClient>();
  mutable base::FakeClock clock;
  std::chrono::steady_clock::time_point start = clock.SteadyNow();
  std::shared_ptr<AwsClient> client;
  std::shared_ptr<CloudFormationClient> cfn;
};

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(ErrorMapping, KindsFollowCodeAndStatus) {
  using base::ErrorKind;
  EXPECT_EQ(ErrorKindFor(400, "Throttling", ""), ErrorKind::kThrottled);
  EXPECT_EQ(ErrorKindFor(400, "ThrottlingException", ""), ErrorKind::kThrottled);
  EXPECT_EQ(ErrorKindFor(503, "RequestLimitExceeded", ""), ErrorKind::kThrottled);
  EXPECT_EQ(ErrorKindFor(400, "TooManyRequestsException", ""), ErrorKind::kThrottled);
  EXPECT_EQ(ErrorKindFor(500, "InternalFailure", ""), ErrorKind::kTransient);
  EXPECT_EQ(ErrorKindFor(503, "", ""), ErrorKind::kTransient);
  EXPECT_EQ(ErrorKindFor(400, "ValidationError", "Stack with id x does not exist"),
            ErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindFor(400, "InvalidVpcID.NotFound", "nope"), ErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindFor(400, "ValidationError", "No updates are to be performed."),
            ErrorKind::kInvalid);
  EXPECT_EQ(ErrorKindFor(403, "SignatureDoesNotMatch", ""), ErrorKind::kInvalid);
}

TEST(ErrorMapping, StatusMessageIsCodeColonMessage) {
  base::Status s = ErrorStatusFromResponse(400, kNoUpdates);
  EXPECT_EQ(s.kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(s.message(), "ValidationError: No updates are to be performed.");
  base::Status ec2 = ErrorStatusFromResponse(
      400,
      "<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad</Message>"
      "</Error></Errors><RequestID>x</RequestID></Response>");
  EXPECT_EQ(ec2.message(), "InvalidParameterValue: bad");
  base::Status html = ErrorStatusFromResponse(502, "<html>Bad gateway</html>");
  EXPECT_EQ(html.kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(html.message().rfind("HTTP 502", 0), 0u);
}

TEST(AwsClient, ThrottledThenSucceedsAfterBackoff) {
  Fixture f;
  f.http->Push(400, kThrottle);
  f.http->Push(200, kOneStack);
  auto stack = f.cfn->DescribeStack("web");
  ASSERT_TRUE(stack.ok()) << stack.status().ToString();
  EXPECT_EQ(stack->status, "CREATE_COMPLETE");
  EXPECT_EQ(stack->tags.at("ecsync:revision"), "abc");
  EXPECT_EQ(stack->outputs.at("Url"), "http://x");
  EXPECT_EQ(f.http->requests.size(), 2u);
  EXPECT_LE(f.Slept(), std::chrono::milliseconds(200));  // full jitter, first backoff <= base
}

TEST(AwsClient, GivesUpAfterThreeAttempts) {
  Fixture f;
  for (int i = 0; i < 5; ++i)
    f.http->Push(500,
                 "<ErrorResponse><Error><Code>InternalFailure"
                 "</Code><Message>oops</Message></Error>"
                 "</ErrorResponse>");
  auto stacks = f.cfn->DescribeStacks();
  ASSERT_FALSE(stacks.ok());
  EXPECT_EQ(stacks.status().kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(f.http->requests.size(), 3u);
  EXPECT_EQ(stacks.status().message(),
            "CloudFormation DescribeStacks: InternalFailure: oops (gave up after 3 attempts)");
}

TEST(AwsClient, NetworkErrorsAreRetried) {
  Fixture f;
  f.http->Push(base::TransientError("connection refused"));
  f.http->Push(200, kOneStack);
  EXPECT_TRUE(f.cfn->DescribeStack("web").ok());
  EXPECT_EQ(f.http->requests.size(), 2u);
}

TEST(AwsClient, ValidationErrorIsNotRetried) {
  Fixture f;
  f.http->Push(400, kNoUpdates);
  f.http->Push(200, "<UpdateStackResponse/>");
  base::Status s = f.cfn->UpdateStack({"web", "{}", {}, {}, {}, "", ""});
  EXPECT_EQ(s.kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(s.message().find("No updates are to be performed"), std::string::npos);
  EXPECT_EQ(f.http->requests.size(), 1u);
  EXPECT_EQ(f.Slept(), std::chrono::milliseconds(0));
}

TEST(AwsClient, MissingStackIsNotFound) {
  Fixture f;
  f.http->Push(400, kNoStack);
  auto stack = f.cfn->DescribeStack("web");
  ASSERT_FALSE(stack.ok());
  EXPECT_EQ(stack.status().kind(), base::ErrorKind::kNotFound);
}

TEST(AwsClient, SignsWithClockTimeAndSendsForm) {
  Fixture f;
  f.http->Push(200,
               "<CreateStackResponse><CreateStackResult><StackId>arn:1</StackId>"
               "</CreateStackResult></CreateStackResponse>");
  CreateStackRequest request;
  request.name = "web";
  request.template_body = "{\"Resources\":{}}";
  request.parameters = {{"Env", "prod"}};
  request.tags = {{"ecsync:managed-by", "ecsync"}};
  request.capabilities = {"CAPABILITY_IAM"};
  request.client_request_token = "tok-1";
  auto id = f.cfn->CreateStack(request);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "arn:1");
  const HttpRequest& sent = f.http->requests.at(0);
  EXPECT_EQ(sent.url, "http://127.0.0.1:1/");
  EXPECT_EQ(
      sent.body,
      "Action=CreateStack&Version=2010-05-15&StackName=web&TemplateBody=%7B%22Resources"
      "%22%3A%7B%7D%7D&Parameters.member.1.ParameterKey=Env&Parameters.member.1."
      "ParameterValue=prod&Tags.member.1.Key=ecsync%3Amanaged-by&Tags.member.1.Value="
      "ecsync&Capabilities.member.1=CAPABILITY_IAM&OnFailure=DELETE&ClientRequestToken=tok-1");
  EXPECT_EQ(HeaderOf(sent, "X-Amz-Date"), FormatAmzDate(f.clock.Now()));
  EXPECT_EQ(HeaderOf(sent, "X-Amz-Security-Token"), kToken);
  EXPECT_EQ(HeaderOf(sent, "Host"), "127.0.0.1:1");
  std::string auth = HeaderOf(sent, "Authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDTEST/" + FormatAmzDay(f.clock.Now()) +
                           "/us-east-1/cloudformation/aws4_request, SignedHeaders=content-type;"
                           "host;x-amz-date;x-amz-security-token, Signature=",
                       0),
            0u)
      << auth;
}

TEST(AwsClient, PaginatesDescribeStackEvents) {
  Fixture f;
  f.http->Push(200,
               "<R><DescribeStackEventsResult><StackEvents><member><EventId>e2</EventId>"
               "<LogicalResourceId>Topic</LogicalResourceId><ResourceType>AWS::SNS::Topic"
               "</ResourceType><ResourceStatus>CREATE_FAILED</ResourceStatus>"
               "<ResourceStatusReason>boom</ResourceStatusReason>"
               "<Timestamp>2024-01-02T03:04:05.678Z</Timestamp></member></StackEvents>"
               "<NextToken>page2</NextToken></DescribeStackEventsResult></R>");
  f.http->Push(200,
               "<R><DescribeStackEventsResult><StackEvents><member><EventId>e1</EventId>"
               "</member></StackEvents></DescribeStackEventsResult></R>");
  auto events = f.cfn->DescribeStackEvents("web");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].reason, "boom");
  EXPECT_EQ((*events)[0].resource_type, "AWS::SNS::Topic");
  EXPECT_EQ(FormatIso8601((*events)[0].timestamp), "2024-01-02T03:04:05.678Z");
  EXPECT_EQ((*events)[1].event_id, "e1");
  EXPECT_NE(f.http->requests[1].body.find("NextToken=page2"), std::string::npos);
}

TEST(AwsClient, Ec2UsesFlatListNames) {
  Fixture f;
  f.http->Push(200,
               "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-b</subnetId>"
               "</item><item><subnetId>subnet-a</subnetId></item></subnetSet>"
               "</DescribeSubnetsResponse>");
  Ec2Client ec2(f.client);
  auto ids = ec2.SubnetIds("vpc-1");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<std::string>{"subnet-a", "subnet-b"}));
  EXPECT_EQ(
      f.http->requests[0].body,
      "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1");
}

TEST(AwsClient, LogsNeverContainSecretsOrSignatures) {
  testing::LogCapture capture;
  {
    Fixture f;
    f.http->Push(400, kThrottle);
    f.http->Push(200, kOneStack);
    f.http->Push(400, kNoUpdates);
    EXPECT_TRUE(f.cfn->DescribeStack("web").ok());
    EXPECT_FALSE(f.cfn->UpdateStack({"web", "{}", {}, {}, {}, "", ""}).ok());
    std::string auth = HeaderOf(f.http->requests[0], "Authorization");
    std::string signature = auth.substr(auth.rfind('=') + 1);
    std::string log = capture.text();
    EXPECT_NE(log.find("DescribeStacks"), std::string::npos) << log;
    EXPECT_EQ(log.find(kSecret), std::string::npos);
    EXPECT_EQ(log.find(kToken), std::string::npos);
    EXPECT_EQ(log.find("Authorization"), std::string::npos);
    EXPECT_EQ(log.find(signature), std::string::npos);
  }
}

TEST(AwsClient, DescribeChangeSetReadsEveryPageOfChanges) {
  Fixture f;
  f.http->Push(200,
               "<R><DescribeChangeSetResult><ChangeSetId>arn:cs</ChangeSetId>"
               "<ChangeSetName>rev2</ChangeSetName><StackName>web</StackName>"
               "<Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus>"
               "<Changes><member><Type>Resource</Type><ResourceChange><Action>Modify</Action>"
               "<LogicalResourceId>Service</LogicalResourceId>"
               "<PhysicalResourceId>arn:svc</PhysicalResourceId>"
               "<ResourceType>AWS::ECS::Service</ResourceType><Replacement>Conditional"
               "</Replacement><Scope><member>Properties</member></Scope><Details><member>"
               "<Target><Attribute>Properties</Attribute><Name>TaskDefinition</Name>"
               "<RequiresRecreation>Never</RequiresRecreation></Target>"
               "<Evaluation>Static</Evaluation><ChangeSource>ResourceReference</ChangeSource>"
               "<CausingEntity>TaskDef</CausingEntity></member></Details></ResourceChange>"
               "</member></Changes><NextToken>p2</NextToken></DescribeChangeSetResult></R>");
  f.http->Push(200,
               "<R><DescribeChangeSetResult><ChangeSetId>arn:cs</ChangeSetId>"
               "<Status>CREATE_COMPLETE</Status><Changes><member><ResourceChange>"
               "<Action>Remove</Action><LogicalResourceId>Old</LogicalResourceId>"
               "</ResourceChange></member></Changes></DescribeChangeSetResult></R>");
  auto cs = f.cfn->DescribeChangeSet("rev2", "web");
  ASSERT_TRUE(cs.ok()) << cs.status().ToString();
  EXPECT_EQ(cs->execution_status, "AVAILABLE");
  ASSERT_EQ(cs->changes.size(), 2u);
  const ResourceChange& modify = cs->changes[0];
  EXPECT_EQ(modify.action, "Modify");
  EXPECT_EQ(modify.physical_id, "arn:svc");
  EXPECT_EQ(modify.replacement, "Conditional");
  EXPECT_EQ(modify.scope, std::vector<std::string>{"Properties"});
  ASSERT_EQ(modify.details.size(), 1u);
  EXPECT_EQ(modify.details[0].name, "TaskDefinition");
  EXPECT_EQ(modify.details[0].requires_recreation, "Never");
  EXPECT_EQ(modify.details[0].causing_entity, "TaskDef");
  EXPECT_EQ(cs->changes[1].action, "Remove");
  EXPECT_EQ(f.http->requests[0].body,
            "Action=DescribeChangeSet&Version=2010-05-15&ChangeSetName=rev2&StackName=web");
  EXPECT_NE(f.http->requests[1].body.find("NextToken=p2"), std::string::npos);
}

TEST(AwsClient, DriftDetectionAndTerminationProtection) {
  Fixture f;
  f.http->Push(200,
               "<R><DetectStackDriftResult><StackDriftDetectionId>d-1"
               "</StackDriftDetectionId></DetectStackDriftResult></R>");
  f.http->Push(200,
               "<R><DescribeStackDriftDetectionStatusResult><StackId>arn:s</StackId>"
               "<StackDriftDetectionId>d-1</StackDriftDetectionId>"
               "<StackDriftStatus>DRIFTED</StackDriftStatus>"
               "<DetectionStatus>DETECTION_COMPLETE</DetectionStatus>"
               "<DriftedStackResourceCount>1</DriftedStackResourceCount>"
               "</DescribeStackDriftDetectionStatusResult></R>");
  f.http->Push(200,
               "<R><DescribeStackResourceDriftsResult><StackResourceDrifts><member>"
               "<LogicalResourceId>Service</LogicalResourceId>"
               "<ResourceType>AWS::ECS::Service</ResourceType>"
               "<StackResourceDriftStatus>MODIFIED</StackResourceDriftStatus>"
               "<PropertyDifferences><member><PropertyPath>/DesiredCount</PropertyPath>"
               "<ExpectedValue>2</ExpectedValue><ActualValue>5</ActualValue>"
               "<DifferenceType>NOT_EQUAL</DifferenceType></member></PropertyDifferences>"
               "</member></StackResourceDrifts></DescribeStackResourceDriftsResult></R>");
  f.http->Push(200,
               "<R><UpdateTerminationProtectionResult><StackId>arn:s</StackId>"
               "</UpdateTerminationProtectionResult></R>");
  auto id = f.cfn->DetectStackDrift("web");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "d-1");
  auto status = f.cfn->DescribeStackDriftDetectionStatus(*id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->stack_drift_status, "DRIFTED");
  EXPECT_EQ(status->detection_status, "DETECTION_COMPLETE");
  EXPECT_EQ(status->drifted_resource_count, 1);
  auto drifts = f.cfn->DescribeStackResourceDrifts("web");
  ASSERT_TRUE(drifts.ok());
  ASSERT_EQ(drifts->size(), 1u);
  ASSERT_EQ((*drifts)[0].differences.size(), 1u);
  EXPECT_EQ((*drifts)[0].differences[0].path, "/DesiredCount");
  EXPECT_EQ((*drifts)[0].differences[0].actual_value, "5");
  EXPECT_TRUE(f.cfn->UpdateTerminationProtection("web", true).ok());
  EXPECT_EQ(f.http->requests[3].body,
            "Action=UpdateTerminationProtection&Version=2010-05-15&StackName=web&"
            "EnableTerminationProtection=true");
}

TEST(ErrorMapping, ConflictsAndChangeSetKinds) {
  using base::ErrorKind;
  EXPECT_EQ(ErrorKindFor(400, "ValidationError",
                         "Stack:arn is in UPDATE_IN_PROGRESS state and can not be updated."),
            ErrorKind::kConflict);
  EXPECT_EQ(ErrorKindFor(400, "InvalidChangeSetStatus", "x"), ErrorKind::kConflict);
  EXPECT_EQ(ErrorKindFor(400, "AlreadyExistsException", "x"), ErrorKind::kConflict);
  EXPECT_EQ(ErrorKindFor(404, "ChangeSetNotFound", "x"), ErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindFor(400, "ClusterNotFoundException", "x"), ErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindFor(400, "InsufficientCapabilitiesException", "x"), ErrorKind::kInvalid);
  EXPECT_EQ(ErrorKindFor(501, "", ""), ErrorKind::kInvalid);
}

TEST(MakeAwsClients, NoCredentialsIsInvalidWithGuidance) {
  AwsClientsOptions options;
  options.env = base::EnvFromMap({{"HOME", "/nonexistent"},
                                  {"AWS_REGION", "us-east-1"},
                                  {"AWS_EC2_METADATA_DISABLED", "true"}});
  auto clients = MakeAwsClients(options);
  ASSERT_FALSE(clients.ok());
  EXPECT_EQ(clients.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(clients.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(MakeAwsClients, NoRegionIsInvalid) {
  AwsClientsOptions options;
  options.env = base::EnvFromMap({{"HOME", "/nonexistent"},
                                  {"AWS_EC2_METADATA_DISABLED", "true"},
                                  {"AWS_ACCESS_KEY_ID", "a"},
                                  {"AWS_SECRET_ACCESS_KEY", "b"}});
  auto clients = MakeAwsClients(options);
  ASSERT_FALSE(clients.ok());
  EXPECT_NE(clients.status().message().find("region"), std::string::npos);
  options.region_override = "eu-west-1";
  auto with_region = MakeAwsClients(options);
  ASSERT_TRUE(with_region.ok());
  EXPECT_EQ(with_region->client->Endpoint(kCloudFormationService),
            "https://cloudformation.eu-west-1.amazonaws.com");
}

}  // namespace
}  // namespace ecsync::aws
