// The credential chain: each source with temporary files, moto's STS, and local HTTP
// stand-ins for the ECS container endpoint and EC2 instance metadata.

#include "aws/credential_chain.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "aws/sts.h"
#include "aws/timestamp.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string RequestHeader(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// An httplib server on a loopback port, run on its own thread.
class LocalServer {
 public:
  explicit LocalServer(const std::function<void(httplib::Server&)>& routes) {
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::string CredentialJson(const std::string& key, const std::string& expiration) {
  return R"({"Code":"Success","AccessKeyId":")" + key +
         R"(","SecretAccessKey":"s3cr3t","Token":"tok","Expiration":")" + expiration + R"("})";
}

class Chain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new testing::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  // Options with no ambient configuration: no keys, no files, no IMDS.
  CredentialChainOptions Options(std::map<std::string, std::string> env) {
    env.emplace("HOME", dir_.path());
    env.emplace("AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/credentials");
    env.emplace("AWS_CONFIG_FILE", dir_.path() + "/config");
    env.emplace("AWS_EC2_METADATA_DISABLED", "true");
    env.emplace("AWS_ENDPOINT_URL", moto_->endpoint());
    CredentialChainOptions options;
    options.env = base::EnvFromMap(env);
    options.region = "us-east-1";
    options.http = http_;
    options.clock = &clock_;
    return options;
  }

  base::Result<Credentials> Resolve(std::map<std::string, std::string> env,
                                    const std::string& profile = "") {
    CredentialChainOptions options = Options(std::move(env));
    options.profile = profile;
    auto provider = MakeCredentialChain(options);
    if (!provider.ok()) return provider.status();
    return (*provider)->Get();
  }

  // GetCallerIdentity against moto signed with `credentials`.
  std::string CallerArn(const Credentials& credentials) {
    AwsClientOptions options;
    options.credentials = credentials;
    options.region = "us-east-1";
    options.endpoint_override = moto_->endpoint();
    options.http = http_;
    StsClient sts(std::make_shared<AwsClient>(options));
    auto identity = sts.GetCallerIdentity();
    return identity.ok() ? identity->arn : identity.status().ToString();
  }

  static testing::MotoServer* moto_;
  testing::TempDir dir_;
  // Forwards to curl and remembers each request (to check what was signed and sent).
  std::shared_ptr<testing::FakeHttpClient> http_ = std::make_shared<testing::FakeHttpClient>(
      testing::FakeHttpClient::ForwardTo(std::make_shared<CurlHttpClient>()));
  base::FakeClock clock_{std::chrono::system_clock::now()};
};

testing::MotoServer* Chain::moto_ = nullptr;

TEST_F(Chain, EnvironmentKeys) {
  auto creds = Resolve({{"AWS_ACCESS_KEY_ID", "AKENV"},
                        {"AWS_SECRET_ACCESS_KEY", "sk"},
                        {"AWS_SESSION_TOKEN", "st"}});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "AKENV");
  EXPECT_EQ(creds->session_token, "st");
  EXPECT_FALSE(creds->expiration.has_value());
}

TEST_F(Chain, StaticProfileKeysFromTheCredentialsFile) {
  dir_.WriteFile("credentials", "[dev]\naws_access_key_id = AKDEV\naws_secret_access_key = sk\n");
  auto creds = Resolve({{"AWS_PROFILE", "dev"}});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "AKDEV");
  EXPECT_NE(creds->source.find("profile 'dev'"), std::string::npos);
}

TEST_F(Chain, NothingConfiguredSaysWhatToSet) {
  auto creds = Resolve({});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(creds.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_NE(creds.status().message().find("AWS_WEB_IDENTITY_TOKEN_FILE"), std::string::npos);
}

TEST_F(Chain, AssumeRoleFromSourceProfileThroughMotoSts) {
  dir_.WriteFile("credentials",
                 "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n");
  dir_.WriteFile("config",
                 "[profile deploy]\n"
                 "role_arn = arn:aws:iam::123456789012:role/deployer\n"
                 "source_profile = base\n"
                 "external_id = ext-42\n"
                 "role_session_name = ecsync-test\n"
                 "duration_seconds = 900\n");
  auto creds = Resolve({}, "deploy");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id.rfind("ASIA", 0), 0u) << creds->access_key_id;
  EXPECT_FALSE(creds->session_token.empty());
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_TRUE(http_->AnyBodyContains("ExternalId=ext-42"));
  EXPECT_TRUE(http_->AnyBodyContains("DurationSeconds=900"));
  EXPECT_TRUE(http_->AnyBodyContains("RoleSessionName=ecsync-test"));
  EXPECT_NE(CallerArn(*creds).find("assumed-role/deployer/ecsync-test"), std::string::npos)
      << CallerArn(*creds);
}

TEST_F(Chain, AssumeRoleWithCredentialSourceEnvironment) {
  dir_.WriteFile("config",
                 "[default]\nrole_arn = arn:aws:iam::123456789012:role/ci\n"
                 "credential_source = Environment\n");
  // Environment keys alone would win; with --profile the profile's role is used on top.
  auto creds =
      Resolve({{"AWS_ACCESS_KEY_ID", "testing"}, {"AWS_SECRET_ACCESS_KEY", "testing"}}, "default");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id.rfind("ASIA", 0), 0u);
}

TEST_F(Chain, SourceProfileCycleAndBadSettingsAreInvalid) {
  dir_.WriteFile("config",
                 "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                 "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
                 "[profile c]\nrole_arn = arn:aws:iam::1:role/c\ncredential_source = Moon\n"
                 "[profile d]\nsso_start_url = https://x.awsapps.com/start\n");
  auto cycle = Resolve({}, "a");
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("cycle"), std::string::npos);
  auto unknown = Resolve({}, "c");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("credential_source 'Moon'"), std::string::npos);
  auto sso = Resolve({}, "d");
  ASSERT_FALSE(sso.ok());
  EXPECT_NE(sso.status().message().find("export-credentials"), std::string::npos);
}

TEST_F(Chain, WebIdentityFromEnvironmentIsUnsigned) {
  std::string token = dir_.WriteFile("token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n");
  auto creds = Resolve({{"AWS_WEB_IDENTITY_TOKEN_FILE", token},
                        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod"},
                        {"AWS_ROLE_SESSION_NAME", "pod-session"}});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_FALSE(creds->session_token.empty());
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(RequestHeader(http_->requests[0], "Authorization"), "");
  EXPECT_NE(http_->requests[0].body.find("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.e30.c2ln&"),
            std::string::npos);
}

TEST_F(Chain, CredentialProcessIsCachedAndRefreshedBeforeExpiry) {
  std::string counter = dir_.path() + "/count";
  auto expiry = clock_.Now() + std::chrono::minutes(15);
  std::string script = dir_.WriteFile(
      "creds.sh",
      "#!/bin/sh\nn=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
          counter + "\n" +
          "printf '{\"Version\":1,\"AccessKeyId\":\"AKPROC%s\",\"SecretAccessKey\":\"sk\","
          "\"SessionToken\":\"st\",\"Expiration\":\"" +
          FormatIso8601(expiry) + "\"}' $n\n");
  dir_.WriteFile("config", "[default]\ncredential_process = sh " + script + "\n");
  auto provider = MakeCredentialChain(Options({}));
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->Get()->access_key_id, "AKPROC1");
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ((*provider)->Get()->access_key_id, "AKPROC1");  // cached
  clock_.Advance(std::chrono::minutes(6));                  // within 5 min of expiry
  EXPECT_EQ((*provider)->Get()->access_key_id, "AKPROC2");
}

TEST_F(Chain, FailingCredentialProcessNeverEchoesItsOutput) {
  std::string script = dir_.WriteFile("fail.sh", "#!/bin/sh\necho LEAKEDSECRET\nexit 3\n");
  dir_.WriteFile("config", "[default]\ncredential_process = sh " + script + "\n");
  auto creds = Resolve({});
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("exit status 3"), std::string::npos);
  EXPECT_EQ(creds.status().message().find("LEAKEDSECRET"), std::string::npos);
}

TEST_F(Chain, ContainerEndpointWithAuthorizationTokenFile) {
  std::atomic<int> calls{0};
  auto expiry = FormatIso8601(std::chrono::system_clock::now() + std::chrono::hours(1));
  LocalServer ecs([&](httplib::Server& s) {
    s.Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
      ++calls;
      if (req.get_header_value("Authorization") != "Bearer pod-token") {
        res.status = 401;
        return;
      }
      res.set_content(CredentialJson("AKECS", expiry), "application/json");
    });
  });
  std::string token_file = dir_.WriteFile("auth", "Bearer pod-token\n");
  auto creds = Resolve({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/creds"},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set"}});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "AKECS");
  EXPECT_EQ(creds->session_token, "tok");
  EXPECT_EQ(calls.load(), 1);

  auto denied = Resolve({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.url() + "/creds"},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(denied.status().message().find("HTTP 401"), std::string::npos);
}

TEST_F(Chain, ContainerFullUriMustBeLocalOrHttps) {
  auto creds = Resolve({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}});
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("example.com"), std::string::npos);
}

// IMDSv2 stand-in: a token first, then reads that carry it.
class FakeImds {
 public:
  FakeImds()
      : server_([this](httplib::Server& s) {
          s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds").empty()) {
              res.status = 400;
              return;
            }
            ++token_calls;
            res.set_content("imds-token", "text/plain");
          });
          s.Get(R"(/latest/meta-data/(.*))", [this](const httplib::Request& req,
                                                    httplib::Response& res) {
            if (req.get_header_value("X-aws-ec2-metadata-token") != "imds-token") {
              res.status = 401;
              return;
            }
            std::string path = req.matches[1];
            if (path == "iam/security-credentials/") {
              res.set_content("web-role", "text/plain");
            } else if (path == "iam/security-credentials/web-role") {
              ++credential_calls;
              res.set_content(
                  CredentialJson("AKIMDS" + std::to_string(credential_calls.load()), expiration),
                  "application/json");
            } else if (path == "placement/region") {
              res.set_content("eu-central-1", "text/plain");
            } else {
              res.status = 404;
            }
          });
        }) {}
  std::string url() const { return server_.url(); }
  std::atomic<int> token_calls{0};
  std::atomic<int> credential_calls{0};
  std::string expiration;

 private:
  LocalServer server_;
};

TEST_F(Chain, Ec2InstanceMetadataV2CredentialsAndRegion) {
  FakeImds imds;
  imds.expiration = FormatIso8601(clock_.Now() + std::chrono::hours(6));
  std::map<std::string, std::string> env{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()},
                                         {"AWS_EC2_METADATA_DISABLED", "false"}};
  CredentialChainOptions options = Options(env);
  auto provider = MakeCredentialChain(options);
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  auto creds = (*provider)->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "AKIMDS1");
  EXPECT_EQ(imds.token_calls.load(), 1);
  EXPECT_EQ((*provider)->Get()->access_key_id, "AKIMDS1");  // cached
  clock_.Advance(std::chrono::minutes(356));                // 4 min before expiry
  EXPECT_EQ((*provider)->Get()->access_key_id, "AKIMDS2");
  EXPECT_EQ(imds.token_calls.load(), 1);  // the session token is reused

  options.region.clear();
  auto region = ResolveRegionWithMetadata(Options(env));
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  EXPECT_EQ(*region, "eu-central-1");
}

TEST_F(Chain, UnreachableInstanceMetadataFailsFast) {
  int port = testing::FreeLoopbackPort();
  auto start = std::chrono::steady_clock::now();
  auto creds =
      Resolve({{"AWS_EC2_METADATA_DISABLED", "false"},
               {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(port)}});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(creds.status().message().find("no AWS credentials found"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
}

TEST(CredentialsProvider, ManyThreadsShareOneFetch) {
  base::FakeClock clock;
  std::atomic<int> fetches{0};
  CredentialsProvider provider(
      [&]() -> base::Result<Credentials> {
        ++fetches;
        std::this_thread::sleep_for(milliseconds(20));
        Credentials c{"AK", "sk", "st", "test"};
        c.expiration = clock.Now() + std::chrono::hours(1);
        return c;
      },
      &clock);
  std::vector<std::thread> threads;
  threads.reserve(16);
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] { ok += provider.Get().ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(fetches.load(), 1);
}

TEST(CredentialsProvider, KeepsValidCredentialsWhenARefreshFails) {
  base::FakeClock clock;
  int calls = 0;
  CredentialsProvider provider(
      [&]() -> base::Result<Credentials> {
        if (++calls > 1) return base::TransientError("endpoint down");
        Credentials c{"AK1", "sk", "st", "test"};
        c.expiration = clock.Now() + std::chrono::minutes(10);
        return c;
      },
      &clock);
  EXPECT_EQ(provider.Get()->access_key_id, "AK1");
  clock.Advance(std::chrono::minutes(7));  // refresh due, fails, old ones still valid
  EXPECT_EQ(provider.Get()->access_key_id, "AK1");
  clock.Advance(std::chrono::minutes(4));  // expired
  EXPECT_EQ(provider.Get().status().kind(), base::ErrorKind::kTransient);
}

}  // namespace
}  // namespace ecsync::aws
