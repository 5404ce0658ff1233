// Retries against moto_server behind the fake HttpClient injecting faults: throttling bursts, 500s,
// connections a server drops, responses slower than the timeout, skewed clocks. Backoffs
// are milliseconds and recorded by the clock, so the bounds are checked exactly.

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "aws/cloudformation_client.h"
#include "aws/timestamp.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

using std::chrono::milliseconds;

// Real time for signatures, recorded (not slept) backoffs.
class RecordingClock : public base::Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point SteadyNow() override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(milliseconds d) override {
    std::lock_guard<std::mutex> lock(mu);
    sleeps.push_back(d);
  }
  std::vector<milliseconds> Sleeps() {
    std::lock_guard<std::mutex> lock(mu);
    return sleeps;
  }
  std::mutex mu;
  std::vector<milliseconds> sleeps;
};

// Accepts connections and closes them without answering (a dropped connection).
class DroppingServer {
 public:
  DroppingServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << "bind: " << std::strerror(errno);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] {
      for (;;) {
        int client = accept(fd_, nullptr, nullptr);
        if (client < 0 || stop_) break;
        char buf[4096];
        (void)!read(client, buf, sizeof(buf));
        close(client);
      }
    });
  }
  ~DroppingServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Answers after `delay` (longer than the client's timeout).
class SlowServer {
 public:
  explicit SlowServer(milliseconds delay) {
    server_.Post(".*", [delay](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(delay);
      res.set_content("<late/>", "text/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~SlowServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

enum class Fault { kThrottle, kServerError, kDrop, kSlow, kSkew, kBadSignature };

std::string FormatHttpDateForTest() {
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&now));
  return buf;
}

// The servers and transports behind scripted faults, and the reply each fault gives.
class FaultReplies {
 public:
  FaultReplies()
      : real_(std::make_shared<CurlHttpClient>(
            CurlOptions{milliseconds(2000), milliseconds(10000), ""})),
        impatient_(std::make_shared<CurlHttpClient>(
            CurlOptions{milliseconds(1000), milliseconds(150), ""})),
        slow_(milliseconds(600)) {}

  // Unscripted requests go to moto.
  testing::FakeHttpClient::Reply Real() const { return testing::FakeHttpClient::ForwardTo(real_); }

  testing::FakeHttpClient::Reply For(Fault fault) const {
    using testing::FakeHttpClient;
    switch (fault) {
      case Fault::kThrottle:
        return FakeHttpClient::Answer(
            400,
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            "<Message>Rate exceeded</Message></Error></ErrorResponse>");
      case Fault::kServerError:
        return FakeHttpClient::Answer(
            500,
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
            "<Message>We encountered an internal error</Message></Error></ErrorResponse>");
      case Fault::kDrop:
        return Redirect(real_, dropping_.url());
      case Fault::kSlow:
        return Redirect(impatient_, slow_.url());  // times out on slow_
      case Fault::kSkew:
        return FakeHttpClient::Answer(
            400,
            "<ErrorResponse><Error><Code>RequestExpired</Code>"
            "<Message>Request has expired.</Message></Error></ErrorResponse>",
            {{"Date", "Tue, 01 Jan 2030 12:00:00 GMT"}});
      case Fault::kBadSignature:
        return [](const HttpRequest&) -> base::Result<HttpResponse> {
          HttpResponse response;
          response.status = 403;
          response.headers = {{"Date", FormatHttpDateForTest()}};
          response.body =
              "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code>"
              "<Message>The request signature we calculated does not match</Message>"
              "</Error></ErrorResponse>";
          return response;
        };
    }
    return nullptr;
  }

 private:
  // Sends the request to `url` instead, through `http`.
  static testing::FakeHttpClient::Reply Redirect(std::shared_ptr<CurlHttpClient> http,
                                                 std::string url) {
    return [http = std::move(http), url = std::move(url)](const HttpRequest& request) {
      HttpRequest redirected = request;
      redirected.url = url;
      return http->Send(redirected);
    };
  }

  std::shared_ptr<CurlHttpClient> real_;
  std::shared_ptr<CurlHttpClient> impatient_;
  DroppingServer dropping_;
  SlowServer slow_;
};

class CountingObserver : public CallObserver {
 public:
  void OnCall(const CallRecord& record) override {
    std::lock_guard<std::mutex> lock(mu);
    records.push_back(record);
  }
  std::mutex mu;
  std::vector<CallRecord> records;
};

class Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new testing::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  std::shared_ptr<CloudFormationClient> Client(int max_attempts = 3, int quota = 500) {
    AwsClientOptions options;
    options.credentials = {"testing", "testing", "", "test"};
    options.region = "us-east-1";
    options.endpoint_override = moto_->endpoint();
    options.http = http_;
    options.clock = &clock_;
    options.max_attempts = max_attempts;
    options.base_backoff = milliseconds(10);
    options.max_backoff = milliseconds(40);
    options.retry_quota = quota;
    options.observer = observer_;
    client_ = std::make_shared<AwsClient>(options);
    return std::make_shared<CloudFormationClient>(client_);
  }

  // The next requests meet `faults`, one each, in order; the others reach moto.
  void Script(std::initializer_list<Fault> faults) {
    for (Fault fault : faults) http_->Push(replies_.For(fault));
  }

  static testing::MotoServer* moto_;
  FaultReplies replies_;
  std::shared_ptr<testing::FakeHttpClient> http_ =
      std::make_shared<testing::FakeHttpClient>(replies_.Real());
  std::shared_ptr<CountingObserver> observer_ = std::make_shared<CountingObserver>();
  RecordingClock clock_;
  std::shared_ptr<AwsClient> client_;
};

testing::MotoServer* Faults::moto_ = nullptr;

TEST_F(Faults, ThrottlingBurstPassesWithinBackoffBounds) {
  auto cfn = Client();
  Script({Fault::kThrottle, Fault::kThrottle});
  auto stacks = cfn->DescribeStacks();
  ASSERT_TRUE(stacks.ok()) << stacks.status().ToString();
  EXPECT_EQ(http_->sent(), 3);
  auto sleeps = clock_.Sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0], milliseconds(10));
  EXPECT_LE(sleeps[1], milliseconds(20));
  ASSERT_EQ(observer_->records.size(), 1u);
  EXPECT_TRUE(observer_->records[0].ok);
  EXPECT_EQ(observer_->records[0].attempts, 3);
  EXPECT_EQ(observer_->records[0].http_status, 200);
  EXPECT_EQ(observer_->records[0].operation, "DescribeStacks");
}

TEST_F(Faults, PersistentServerErrorsGiveUpWithAClearError) {
  auto cfn = Client();
  Script({Fault::kServerError, Fault::kServerError, Fault::kServerError, Fault::kServerError});
  auto stacks = cfn->DescribeStacks();
  ASSERT_FALSE(stacks.ok());
  EXPECT_EQ(stacks.status().kind(), base::ErrorKind::kTransient);
  EXPECT_EQ(stacks.status().message(),
            "CloudFormation DescribeStacks: InternalFailure: We encountered an internal error "
            "(gave up after 3 attempts)");
  EXPECT_EQ(http_->sent(), 3);
  ASSERT_EQ(observer_->records.size(), 1u);
  EXPECT_EQ(observer_->records[0].error_code, "InternalFailure");
  EXPECT_EQ(observer_->records[0].http_status, 500);
  EXPECT_EQ(observer_->records[0].error_kind, base::ErrorKind::kTransient);
}

TEST_F(Faults, DroppedConnectionsAndSlowResponsesAreRetried) {
  auto cfn = Client(4);
  Script({Fault::kDrop, Fault::kSlow, Fault::kThrottle});
  auto stacks = cfn->DescribeStacks();
  ASSERT_TRUE(stacks.ok()) << stacks.status().ToString();
  EXPECT_EQ(http_->sent(), 4);
}

TEST_F(Faults, DroppedConnectionsThatPersistAreTransient) {
  auto cfn = Client(2);
  Script({Fault::kDrop, Fault::kDrop});
  auto stacks = cfn->DescribeStacks();
  ASSERT_FALSE(stacks.ok());
  EXPECT_EQ(stacks.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(stacks.status().message().find("gave up after 2 attempts"), std::string::npos)
      << stacks.status().ToString();
  EXPECT_EQ(observer_->records.at(0).http_status, 0);
}

TEST_F(Faults, BackoffGrowsExponentiallyUpToTheCap) {
  auto cfn = Client(8);
  for (int i = 0; i < 7; ++i) Script({Fault::kThrottle});
  ASSERT_TRUE(cfn->DescribeStacks().ok());
  auto sleeps = clock_.Sleeps();
  ASSERT_EQ(sleeps.size(), 7u);
  for (size_t i = 0; i < sleeps.size(); ++i) {
    milliseconds cap = std::min(milliseconds(40), milliseconds(10 << i));
    EXPECT_GE(sleeps[i], milliseconds(0));
    EXPECT_LE(sleeps[i], cap) << "retry " << i + 1;
  }
}

TEST_F(Faults, EmptyRetryBudgetStopsRetryStorms) {
  auto cfn = Client(3, /*quota=*/10);  // two retries' worth
  Script({Fault::kServerError, Fault::kServerError, Fault::kServerError});
  auto first = cfn->DescribeStacks();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(http_->sent(), 3);
  EXPECT_EQ(client_->retry_policy().available_tokens(), 0);
  Script({Fault::kServerError});
  auto second = cfn->DescribeStacks();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(http_->sent(), 4);  // no retry left
  EXPECT_NE(second.status().message().find("retry budget exhausted"), std::string::npos)
      << second.status().ToString();
  // Successes refill the bucket.
  ASSERT_TRUE(cfn->DescribeStacks().ok());
  EXPECT_EQ(client_->retry_policy().available_tokens(), 1);
}

TEST_F(Faults, ValidationErrorsAreNeverRetried) {
  auto cfn = Client();
  auto missing = cfn->DescribeStack("no-such-stack");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(http_->sent(), 1);
  EXPECT_TRUE(clock_.Sleeps().empty());
}

TEST_F(Faults, SkewedClockIsCorrectedFromTheServerDate) {
  auto cfn = Client();
  Script({Fault::kSkew});
  ASSERT_TRUE(cfn->DescribeStacks().ok());
  auto dates = http_->HeaderValues("X-Amz-Date");
  ASSERT_EQ(dates.size(), 2u);
  EXPECT_EQ(dates[1].substr(0, 8), "20300101");  // re-signed with the server's time
  EXPECT_GT(client_->clock_skew(), std::chrono::hours(24));
  EXPECT_EQ(clock_.Sleeps(), std::vector<milliseconds>{milliseconds(0)});
}

TEST_F(Faults, BadSignatureWithoutSkewIsNotRetried) {
  auto cfn = Client();
  Script({Fault::kBadSignature});
  auto stacks = cfn->DescribeStacks();
  ASSERT_FALSE(stacks.ok());
  EXPECT_EQ(stacks.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(http_->sent(), 1);
}

TEST_F(Faults, ManyThreadsShareOneClient) {
  auto cfn = Client(9);
  for (int i = 0; i < 8; ++i) Script({Fault::kThrottle});
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) ok += cfn->DescribeStacks().ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(observer_->records.size(), 12u);
}

}  // namespace
}  // namespace ecsync::aws
