// AwsCallMetrics: the code label for each kind of outcome, and the real AWS client reporting
// through it against moto_server, a throttling HTTP server and a closed port.

#include "cli/aws_call_metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <thread>

#include "aws/make_clients.h"
#include "base/clock.h"
#include "base/env.h"
#include "tests/metrics/metrics_text.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using metrics::HasLine;
using metrics::LinesWith;
using metrics::PromtoolAccepts;

aws::CallRecord Record(bool ok, int http_status, const std::string& error_code, int attempts) {
  aws::CallRecord record;
  record.service = "CloudFormation";
  record.operation = "DescribeStacks";
  record.ok = ok;
  record.http_status = http_status;
  record.error_code = error_code;
  record.attempts = attempts;
  return record;
}

TEST(AwsCallMetrics, CodeLabelForEachOutcome) {
  EXPECT_EQ(cli::AwsCallMetrics::CodeLabel(Record(true, 200, "", 1)), "OK");
  EXPECT_EQ(cli::AwsCallMetrics::CodeLabel(Record(false, 400, "Throttling", 3)), "Throttling");
  EXPECT_EQ(cli::AwsCallMetrics::CodeLabel(Record(false, 0, "", 3)), "NetworkError");
  EXPECT_EQ(cli::AwsCallMetrics::CodeLabel(Record(false, 503, "", 3)), "HTTP503");
  EXPECT_EQ(cli::AwsCallMetrics::CodeLabel(Record(false, 200, "", 1)), "InvalidResponse");
}

TEST(AwsCallMetrics, ForwardsCodesAndRetries) {
  metrics::Metrics m("1", "r");
  cli::AwsCallMetrics observer(m);
  observer.OnCall(Record(true, 200, "", 1));
  observer.OnCall(Record(true, 200, "", 2));
  observer.OnCall(Record(false, 400, "Throttling", 3));
  observer.OnCall(Record(false, 0, "", 3));
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  const std::string labels = ",operation=\"DescribeStacks\",service=\"CloudFormation\"} ";
  EXPECT_TRUE(HasLine(text, "ecsync_aws_requests_total{code=\"OK\"" + labels + "2")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_aws_requests_total{code=\"Throttling\"" + labels + "1"))
      << text;
  EXPECT_TRUE(HasLine(text, "ecsync_aws_requests_total{code=\"NetworkError\"" + labels + "1"))
      << text;
  EXPECT_TRUE(HasLine(
      text, "ecsync_aws_retries_total{operation=\"DescribeStacks\",service=\"CloudFormation\"} 5"))
      << text;
}

// Builds clients for `env` that report to `observer`; backoffs go to `clock` when given.
aws::AwsClients ClientsFor(const std::map<std::string, std::string>& env,
                           std::shared_ptr<aws::CallObserver> observer,
                           base::Clock* clock = nullptr) {
  aws::AwsClientsOptions options;
  options.env = base::EnvFromMap(env);
  options.observer = std::move(observer);
  options.clock = clock;
  options.max_attempts = 3;
  auto clients = aws::MakeAwsClients(options);
  EXPECT_TRUE(clients.ok()) << clients.status().ToString();
  return clients.ok() ? *clients : aws::AwsClients{};
}

std::map<std::string, std::string> EnvFor(const std::string& endpoint) {
  return {{"AWS_ENDPOINT_URL", endpoint},
          {"AWS_ACCESS_KEY_ID", "testing"},
          {"AWS_SECRET_ACCESS_KEY", "testing"},
          {"AWS_REGION", "us-east-1"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
          {"AWS_CONFIG_FILE", "/nonexistent/config"}};
}

TEST(AwsCallMetrics, RealClientAgainstMotoCountsOkAndErrorCodes) {
  testing::MotoServer moto;
  metrics::Metrics m("1", "r");
  aws::AwsClients clients = ClientsFor(moto.ClientEnv(), std::make_shared<cli::AwsCallMetrics>(m));
  ASSERT_NE(clients.cloudformation, nullptr);
  ASSERT_TRUE(clients.cloudformation->DescribeStacks().ok());
  EXPECT_FALSE(clients.cloudformation->DescribeStack("no-such-stack").ok());
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text,
                      "ecsync_aws_requests_total{code=\"OK\",operation=\"DescribeStacks\","
                      "service=\"CloudFormation\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(text,
                      "ecsync_aws_requests_total{code=\"ValidationError\",operation="
                      "\"DescribeStacks\",service=\"CloudFormation\"} 1"))
      << text;
}

TEST(AwsCallMetrics, RealClientCountsThrottlingAndItsRetries) {
  httplib::Server server;
  server.Post(".*", [](const httplib::Request&, httplib::Response& response) {
    response.status = 400;
    response.set_content(
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        "<Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>",
        "text/xml");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&server] { server.listen_after_bind(); });
  // The socket already listens, so requests queue until the thread starts serving.

  metrics::Metrics m("1", "r");
  base::FakeClock clock;  // backoffs advance it instead of sleeping
  aws::AwsClients clients = ClientsFor(EnvFor("http://127.0.0.1:" + std::to_string(port)),
                                       std::make_shared<cli::AwsCallMetrics>(m), &clock);
  ASSERT_NE(clients.cloudformation, nullptr);
  EXPECT_FALSE(clients.cloudformation->DescribeStacks().ok());
  clients = {};  // closes the kept-alive connection, so the server stops at once
  server.stop();
  serving.join();

  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text,
                      "ecsync_aws_requests_total{code=\"Throttling\",operation=\"DescribeStacks\","
                      "service=\"CloudFormation\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(
      text, "ecsync_aws_retries_total{operation=\"DescribeStacks\",service=\"CloudFormation\"} 2"))
      << text;
}

TEST(AwsCallMetrics, RealClientCountsNoResponseAsNetworkError) {
  metrics::Metrics m("1", "r");
  base::FakeClock clock;
  aws::AwsClients clients =
      ClientsFor(EnvFor("http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort())),
                 std::make_shared<cli::AwsCallMetrics>(m), &clock);
  ASSERT_NE(clients.cloudformation, nullptr);
  EXPECT_FALSE(clients.cloudformation->DescribeStacks().ok());
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_EQ(LinesWith(text, "ecsync_aws_requests_total{"),
            "ecsync_aws_requests_total{code=\"NetworkError\",operation=\"DescribeStacks\","
            "service=\"CloudFormation\"} 1\n")
      << text;
}

}  // namespace
}  // namespace ecsync::controller
