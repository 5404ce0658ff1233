// The global AWS request rate limit: every HTTP attempt takes a token first. The limiter and
// the client share one FakeClock, so pacing shows as clock time the calls had to sleep.

#include <gtest/gtest.h>

#include <memory>

#include "aws/client.h"
#include "aws/make_clients.h"
#include "base/rate_limiter.h"
#include "tests/support/fake_http_client.h"

namespace ecsync::aws {
namespace {

using std::chrono::milliseconds;

// Answers every request with the next scripted status (200 "{}" once the script runs out).
std::shared_ptr<testing::FakeHttpClient> ScriptedHttp() {
  return std::make_shared<testing::FakeHttpClient>(testing::FakeHttpClient::Answer(200, "{}"));
}

// A client on a FakeClock; `per_second` > 0 adds a limiter on that same clock.
struct Fixture {
  Fixture(double per_second, int burst) {
    if (per_second > 0) limiter = std::make_shared<base::RateLimiter>(per_second, burst, clock);
    AwsClientOptions options;
    options.credentials = {"AKIDTEST", "secret", "", "test"};
    options.region = "us-east-1";
    options.endpoint_override = "http://127.0.0.1:1";
    options.http = http;
    options.clock = &clock;
    options.jitter_seed = 7;
    options.base_backoff = milliseconds(10);
    options.max_backoff = milliseconds(10);
    options.rate_limiter = limiter;
    client = std::make_unique<AwsClient>(options);
  }
  milliseconds Elapsed() {
    return std::chrono::duration_cast<milliseconds>(clock.SteadyNow() - start);
  }
  base::Status ListClusters() { return client->CallJson(kEcsService, "ListClusters", {}).status(); }

  base::FakeClock clock;
  const std::chrono::steady_clock::time_point start = clock.SteadyNow();
  std::shared_ptr<testing::FakeHttpClient> http = ScriptedHttp();
  std::shared_ptr<base::RateLimiter> limiter;
  std::unique_ptr<AwsClient> client;
};

constexpr char kThrottled[] = R"({"__type":"ThrottlingException","message":"Rate exceeded"})";

TEST(AwsRateLimit, CallsArePacedByTheLimiter) {
  Fixture f(2, 1);  // one request per 500 ms
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.ListClusters().ok());
  EXPECT_EQ(f.http->sent(), 5);
  // The first request had the token; each of the other four slept 500 ms for one.
  EXPECT_EQ(f.Elapsed(), milliseconds(2000));
}

TEST(AwsRateLimit, WithoutALimiterCallsDoNotWait) {
  Fixture f(0, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.ListClusters().ok());
  EXPECT_EQ(f.Elapsed(), milliseconds(0));
}

TEST(AwsRateLimit, EveryRetryTakesAToken) {
  // A rate so slow that the 10 ms backoffs refill nothing: tokens left show attempts made.
  Fixture f(0.001, 5);
  f.http->Push(400, kThrottled);
  f.http->Push(503, "");
  ASSERT_TRUE(f.ListClusters().ok());
  EXPECT_EQ(f.http->sent(), 3);
  EXPECT_TRUE(f.limiter->TryAcquire());
  EXPECT_TRUE(f.limiter->TryAcquire());
  EXPECT_FALSE(f.limiter->TryAcquire());  // 3 attempts took 3 of the 5
}

TEST(AwsRateLimit, ARequestThatFailsWithoutRetryStillTakesOneToken) {
  Fixture f(0.001, 2);
  f.http->Push(400, R"({"__type":"ClusterNotFoundException","message":"no"})");
  EXPECT_FALSE(f.ListClusters().ok());
  EXPECT_TRUE(f.limiter->TryAcquire());
  EXPECT_FALSE(f.limiter->TryAcquire());
}

TEST(AwsRateLimit, MakeAwsClientsPassesTheLimiterToTheSharedClient) {
  base::FakeClock clock;
  auto limiter = std::make_shared<base::RateLimiter>(0.001, 3, clock);
  auto http = ScriptedHttp();
  AwsClientsOptions options;
  options.env = base::EnvFromMap({{"HOME", "/nonexistent"},
                                  {"AWS_EC2_METADATA_DISABLED", "true"},
                                  {"AWS_ACCESS_KEY_ID", "a"},
                                  {"AWS_SECRET_ACCESS_KEY", "b"},
                                  {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                                  {"AWS_CONFIG_FILE", "/nonexistent/config"}});
  options.region_override = "us-east-1";
  options.endpoint_override = "http://127.0.0.1:1";
  options.http_client = http;
  options.clock = &clock;
  options.rate_limiter = limiter;
  auto clients = MakeAwsClients(options);
  ASSERT_TRUE(clients.ok()) << clients.status().ToString();
  ASSERT_TRUE(clients->client->CallJson(kEcsService, "ListClusters", {}).ok());
  ASSERT_TRUE(clients->client->CallJson(kEcsService, "ListClusters", {}).ok());
  EXPECT_EQ(http->sent(), 2);
  EXPECT_TRUE(limiter->TryAcquire());
  EXPECT_FALSE(limiter->TryAcquire());
}

}  // namespace
}  // namespace ecsync::aws
