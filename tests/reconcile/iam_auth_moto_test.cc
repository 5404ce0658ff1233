// Every write call the reconciler makes, signed and checked by a third party: moto with IAM
// authentication on verifies each request's SigV4 signature with the secret of a key it
// issued. moto hashes the form body as botocore would build it from the parsed fields, so a
// body spelled differently from the SDKs (a space as %20 rather than '+') is rejected there
// although the signature over the bytes sent is right. The template carries spaces, quotes,
// '+', '*', '~', '%' and non-ASCII text, so every such body has characters that matter.
// Git is a real repository; the AWS clients are the real ones.

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/cloudformation_client.h"
#include "aws/make_clients.h"
#include "base/clock.h"
#include "base/env.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/support/support.h"
#include "tests/support/zygotes.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;
using Json = nlohmann::json;

constexpr char kStack[] = "quoting";
constexpr char kBucket[] = "ecsync-templates";
// What a YAML double-quoted scalar turns into (see Compose).
constexpr char kGreeting1[] =
    "say \"hi\" & 'bye'; 1+1=2 * 3 ~ 50% caf\u00e9 \u65e5\u672c \U0001F680";
constexpr char kGreeting2[] = "a+b c*d ~e/f? \"g\" #h \u00fcber \u00e9t\u00e9";

// `greeting` with its quotes escaped for a YAML double-quoted scalar.
std::string Compose(const std::string& greeting, int extra_services = 0) {
  std::string quoted;
  for (char c : greeting) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  std::string out = "name: quoting\nservices:\n  web:\n    image: nginx:1.27\n";
  out += "    environment:\n      GREETING: \"" + quoted + "\"\n";
  // Enough services to pass CloudFormation's 51,200-byte TemplateBody limit (through S3).
  for (int i = 0; i < extra_services; ++i) {
    out += "  worker" + std::to_string(i) + ":\n    image: nginx:1.27\n    environment:\n";
    for (int v = 0; v < 40; ++v) {
      out += "      SETTING_" + std::to_string(v) + ": \"" + quoted + " " + std::to_string(v) +
             std::string(30, '~') + "\"\n";
    }
  }
  return out;
}

// Every call's outcome, to check none was refused for its signature.
class Recorder : public aws::CallObserver {
 public:
  void OnCall(const aws::CallRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(record);
  }
  std::vector<aws::CallRecord> Records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  std::mutex mu_;
  std::vector<aws::CallRecord> records_;
};

// One moto and one key for the suite (moto is slow to start, and a reset would forget the
// key); each test leaves no stack behind.
class IamAuthMoto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The first three requests (the aws CLI below) make the key; moto checks every later one.
    moto_ = new testing::MotoServer(
        std::map<std::string, std::string>{{"INITIAL_NO_AUTH_ACTION_COUNT", "3"}});
    moto_->Aws({"iam", "create-user", "--user-name", "ecsync"});
    moto_->Aws(
        {"iam", "put-user-policy", "--user-name", "ecsync", "--policy-name", "all",
         "--policy-document",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"});
    const std::string key = moto_->Aws({"iam", "create-access-key", "--user-name", "ecsync"});
    Json parsed = Json::parse(key, nullptr, false);
    if (parsed.is_discarded()) return;  // SetUp fails the tests
    key_id_ = parsed["AccessKey"]["AccessKeyId"];
    secret_ = parsed["AccessKey"]["SecretAccessKey"];
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override { ASSERT_FALSE(secret_.empty()) << "moto issued no access key"; }

  // moto's environment with the issued key, or with `secret` in place of its secret.
  std::map<std::string, std::string> Env(const std::string& secret) const {
    std::map<std::string, std::string> env = moto_->ClientEnv();
    env["AWS_ACCESS_KEY_ID"] = key_id_;
    env["AWS_SECRET_ACCESS_KEY"] = secret;
    return env;
  }

  aws::AwsClients Clients(const std::string& secret, std::shared_ptr<Recorder> recorder,
                          int max_attempts = 3) const {
    aws::AwsClientsOptions options;
    options.env = base::EnvFromMap(Env(secret));
    options.observer = std::move(recorder);
    options.max_attempts = max_attempts;
    auto clients = aws::MakeAwsClients(options);
    EXPECT_TRUE(clients.ok()) << clients.status().ToString();
    return clients.ok() ? *clients : aws::AwsClients{};
  }

  // `aws <args> --output json` as the issued key: an independent client's view.
  Json AwsCli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = args;
    argv.insert(argv.end(), {"--output", "json"});
    std::map<std::string, std::string> env = Env(secret_);
    env.erase("AWS_SESSION_TOKEN");
    env.erase("AWS_PROFILE");
    testing::CommandResult r = testing::RunAws(argv, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.empty() ? Json::object() : Json::parse(r.out, nullptr, false);
  }

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = kStack;
    options.template_bucket = kBucket;
    options.wait = {milliseconds(100), milliseconds(60000)};  // moto is quick
    return options;
  }

  // The GREETING of the web container in the template CloudFormation stored; fails the test
  // when cfn-lint finds an error in that template.
  static std::string StoredGreeting(aws::CloudFormation& cfn) {
    auto body = cfn.GetTemplate(kStack);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    if (!body.ok()) return "";
    base::Status lint = testing::CfnLint(*body);
    EXPECT_TRUE(lint.ok()) << lint.ToString();
    Json tmpl = Json::parse(*body, nullptr, false);
    if (tmpl.is_discarded()) return "";
    const Json& web = tmpl["Resources"]["WebTaskDefinition"]["Properties"];
    for (const Json& variable : web["ContainerDefinitions"].back()["Environment"]) {
      if (variable["Name"] == "GREETING") return variable["Value"];
    }
    return "";
  }

  // The GREETING of the web task definition as ECS reports it. Only after a create: moto's
  // task-definition update registers a revision without the containers' settings.
  std::string EcsGreeting(aws::CloudFormation& cfn) const {
    auto resources = cfn.DescribeStackResources(kStack);
    EXPECT_TRUE(resources.ok()) << resources.status().ToString();
    if (!resources.ok()) return "";
    for (const aws::StackResource& resource : *resources) {
      if (resource.logical_id != "WebTaskDefinition") continue;
      Json task =
          AwsCli({"ecs", "describe-task-definition", "--task-definition", resource.physical_id});
      for (const Json& variable :
           task["taskDefinition"]["containerDefinitions"].back()["environment"]) {
        if (variable["name"] == "GREETING") return variable["value"];
      }
    }
    return "";
  }

  static inline testing::MotoServer* moto_ = nullptr;
  static inline std::string key_id_, secret_;
  testing::TempDir cache_;
  testing::GitRepo repo_;
  git::LibGit2Source git_{cache_.path()};
};

TEST_F(IamAuthMoto, CreatePlanUpdateThroughS3AndDeletePassSignatureChecks) {
  ASSERT_FALSE(AwsCli({"s3api", "create-bucket", "--bucket", kBucket}).empty());
  auto recorder = std::make_shared<Recorder>();
  aws::AwsClients clients = Clients(secret_, recorder);
  ASSERT_NE(clients.cloudformation, nullptr);
  Reconciler reconciler(git_,
                        {.cloudformation = clients.cloudformation.get(),
                         .ec2 = clients.ec2.get(),
                         .s3 = clients.s3.get()},
                        *base::SystemClock::Get(), nullptr);

  repo_.Write("compose.yaml", Compose(kGreeting1));
  const std::string first = repo_.Commit("greeting");
  auto created = reconciler.Reconcile(Options());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->action, Action::kCreate);
  ASSERT_TRUE(created->succeeded) << created->message;
  auto stack = clients.cloudformation->DescribeStack(kStack);
  ASSERT_TRUE(stack.ok()) << stack.status().ToString();
  EXPECT_EQ(stack->tags["ecsync:revision"], first);
  EXPECT_EQ(StoredGreeting(*clients.cloudformation), kGreeting1);  // byte for byte
  EXPECT_EQ(EcsGreeting(*clients.cloudformation), kGreeting1);

  // A plan makes a change set and deletes it; the update executes one.
  repo_.Write("compose.yaml", Compose(kGreeting2));
  const std::string second = repo_.Commit("another greeting");
  auto plan = reconciler.Plan(Options());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->action, Action::kUpdate) << plan->reason;
  auto updated = reconciler.Reconcile(Options());
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->action, Action::kUpdate);
  ASSERT_TRUE(updated->succeeded) << updated->message;
  stack = clients.cloudformation->DescribeStack(kStack);
  ASSERT_TRUE(stack.ok()) << stack.status().ToString();
  EXPECT_EQ(stack->status, "UPDATE_COMPLETE");
  EXPECT_EQ(stack->tags["ecsync:revision"], second);
  EXPECT_EQ(StoredGreeting(*clients.cloudformation), kGreeting2);

  // Too large to send inline: uploaded to S3 (a signed PUT) and passed by URL.
  repo_.Write("compose.yaml", Compose(kGreeting1, /*extra_services=*/8));
  repo_.Commit("more services");
  auto large = reconciler.Reconcile(Options());
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  ASSERT_TRUE(large->succeeded) << large->message;
  EXPECT_EQ(StoredGreeting(*clients.cloudformation), kGreeting1);
  auto large_body = clients.cloudformation->GetTemplate(kStack);
  ASSERT_TRUE(large_body.ok()) << large_body.status().ToString();
  EXPECT_GT(large_body->size(), aws::kMaxTemplateBodyBytes);

  repo_.Remove("compose.yaml");
  repo_.Commit("retire");
  auto deleted = reconciler.Reconcile(Options());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->action, Action::kDelete);
  EXPECT_TRUE(deleted->succeeded) << deleted->message;
  EXPECT_FALSE(clients.cloudformation->DescribeStack(kStack).ok());

  std::set<std::string> operations;
  for (const aws::CallRecord& record : recorder->Records()) {
    operations.insert(record.operation);
    EXPECT_NE(record.http_status, 403) << record.operation << ": " << record.error_code;
    EXPECT_EQ(record.attempts, 1) << record.operation << ": " << record.error_code;
  }
  for (const char* write : {"CreateStack", "CreateChangeSet", "DeleteChangeSet", "ExecuteChangeSet",
                            "PutObject", "DeleteStack"}) {
    EXPECT_EQ(operations.count(write), 1u) << write << " was not called";
  }
}

// The writes the reconciler makes only on failures moto cannot produce (a deploy past its
// deadline, a stuck rollback) or on a schedule (drift): moto implements none of them, but it
// checks the signature before it looks for the action, so anything but a 403 means the
// signature passed. Their parameters have spaces, as a body with a space is what failed.
TEST_F(IamAuthMoto, RecoveryAndDriftCallsPassSignatureChecks) {
  auto recorder = std::make_shared<Recorder>();
  aws::AwsClients clients = Clients(secret_, recorder, /*max_attempts=*/1);
  ASSERT_NE(clients.cloudformation, nullptr);
  aws::CloudFormation& cfn = *clients.cloudformation;
  (void)cfn.CancelUpdateStack("no such stack", "token-1");
  (void)cfn.ContinueUpdateRollback("no such stack", {"Web Service", "caf\u00e9+*~"}, "token-2");
  (void)cfn.DetectStackDrift("no such stack");
  std::vector<aws::CallRecord> records = recorder->Records();
  ASSERT_EQ(records.size(), 3u);
  for (const aws::CallRecord& record : records) {
    EXPECT_NE(record.http_status, 0) << record.operation;
    EXPECT_NE(record.http_status, 403) << record.operation << ": " << record.error_code;
    EXPECT_NE(record.error_code, "SignatureDoesNotMatch") << record.operation;
  }
}

// A wrong secret still fails at once, as a configuration error, before any write.
TEST_F(IamAuthMoto, AWrongSecretFailsFastWithoutWriting) {
  auto recorder = std::make_shared<Recorder>();
  aws::AwsClients clients = Clients("not-the-secret", recorder);
  ASSERT_NE(clients.cloudformation, nullptr);
  Reconciler reconciler(git_,
                        {.cloudformation = clients.cloudformation.get(), .ec2 = clients.ec2.get()},
                        *base::SystemClock::Get(), nullptr);
  repo_.Write("compose.yaml", Compose(kGreeting1));
  repo_.Commit("greeting");
  auto report = reconciler.Reconcile(Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), base::ErrorKind::kInvalid) << report.status().ToString();
  EXPECT_EQ(report.status().message().find("not-the-secret"), std::string::npos);

  aws::CreateStackRequest request;
  request.name = kStack;
  request.template_body = R"({"Description": "a b+c*d~e 'q' caf)"
                          "\u00e9"
                          R"(", "Resources": {}})";
  auto created = clients.cloudformation->CreateStack(request);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(created.status().message().find("SignatureDoesNotMatch"), std::string::npos)
      << created.status().ToString();

  std::vector<aws::CallRecord> records = recorder->Records();
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.back().operation, "CreateStack");
  for (const aws::CallRecord& record : records) {
    EXPECT_EQ(record.attempts, 1) << record.operation;  // no retry storm
    // CloudFormation's Query API answers 403, EC2's 401 (AuthFailure).
    EXPECT_TRUE(record.http_status == 401 || record.http_status == 403)
        << record.operation << ": " << record.http_status;
  }
  EXPECT_EQ(records.size(), 2u) << "the reconcile stopped at its first refused call";
}

}  // namespace
}  // namespace ecsync::reconcile
