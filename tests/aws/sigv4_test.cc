// Runs both AWS SigV4 test suites (botocore's aws4_testsuite and aws-c-auth's v4 suite)
// against aws/sigv4, one test per case, comparing byte for byte.

#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/timestamp.h"
#include "tests/support/corpus.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

namespace fs = std::filesystem;

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kExampleSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Parses a suite's raw HTTP request: "METHOD URI HTTP/1.1", header lines (continuation
// lines start with whitespace), a blank line, the body. The URI may contain spaces.
SigningRequest ParseRawRequest(const std::string& raw) {
  SigningRequest request;
  size_t line_end = raw.find('\n');
  std::string request_line = raw.substr(0, line_end);
  size_t first_space = request_line.find(' ');
  size_t last_space = request_line.rfind(' ');
  request.method = request_line.substr(0, first_space);
  std::string uri = request_line.substr(first_space + 1, last_space - first_space - 1);
  size_t q = uri.find('?');
  request.path = uri.substr(0, q);
  if (q != std::string::npos) request.query = uri.substr(q + 1);

  size_t pos = line_end == std::string::npos ? raw.size() : line_end + 1;
  while (pos < raw.size()) {
    size_t end = raw.find('\n', pos);
    std::string line = raw.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? raw.size() : end + 1;
    if (line.empty()) {
      request.body = raw.substr(pos);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !request.headers.empty()) {
      request.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return request;
}

std::string TestName(std::string name) {
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::chrono::system_clock::time_point SuiteTime() { return *ParseIso8601("2015-08-30T12:36:00Z"); }

// ---- botocore aws4_testsuite -------------------------------------------------------------

std::vector<std::string> BotocoreCases() {
  std::vector<std::string> cases;
  fs::path root = fs::path(testing::CorpusDir()) / "sigv4/botocore-aws4_testsuite";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".req") {
      cases.push_back(fs::relative(entry.path(), root).replace_extension("").string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

// Tests that read the signing suites in the corpus (not part of a clone).
class Sigv4Corpus : public testing::CorpusTest {};

class BotocoreSuite : public testing::CorpusTestWithParam<std::string> {};

TEST_P(BotocoreSuite, MatchesByteForByte) {
  fs::path base = fs::path(testing::CorpusDir()) / "sigv4/botocore-aws4_testsuite" / GetParam();
  auto file = [&](const char* ext) { return ReadFile(base.string() + ext); };
  SigningRequest request = ParseRawRequest(file(".req"));
  // The suite keeps the session token outside the request; its harness uses the same token
  // as aws-c-auth's copy of the case, so read it from there.
  Credentials creds{kAccessKey, kExampleSecret, "", "test"};
  fs::path context = fs::path(testing::CorpusDir()) / "sigv4/aws-c-auth-signing-test-suite/v4" /
                     base.filename() / "context.json";
  if (fs::exists(context)) {
    nlohmann::json json = nlohmann::json::parse(ReadFile(context));
    if (!json.value("omit_session_token", false)) {
      creds.session_token = json["credentials"].value("token", "");
    }
  }
  SigningParams params;
  params.region = "us-east-1";
  params.service = "service";
  params.time = SuiteTime();
  SigningResult result = SignRequest(request, creds, params);
  EXPECT_EQ(result.canonical_request, file(".creq"));
  EXPECT_EQ(result.string_to_sign, file(".sts"));
  EXPECT_EQ(result.authorization, file(".authz"));
}

INSTANTIATE_TEST_SUITE_P(Sigv4, BotocoreSuite,
                         ::testing::ValuesIn(testing::CorpusCases<std::string>(
                             BotocoreCases, testing::kCorpusMissingCase)),
                         [](const auto& info) { return TestName(info.param); });

TEST_F(Sigv4Corpus, SecurityTokenAddedAfterSigningMatchesHeaderAfterCase) {
  fs::path base = fs::path(testing::CorpusDir()) /
                  "sigv4/botocore-aws4_testsuite/post-sts-token/post-sts-header-after/"
                  "post-sts-header-after";
  SigningRequest request = ParseRawRequest(ReadFile(base.string() + ".req"));
  const std::string token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRX"
      "mxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburE"
      "Dy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkU"
      "L64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  Credentials creds{kAccessKey, kExampleSecret, token, "test"};
  SigningParams params{"us-east-1", "service", SuiteTime()};
  params.sign_security_token = false;
  SigningResult result = SignRequest(request, creds, params);
  EXPECT_EQ(result.authorization, ReadFile(base.string() + ".authz"));
  EXPECT_NE(std::find(result.headers.begin(), result.headers.end(),
                      std::make_pair(std::string("X-Amz-Security-Token"), token)),
            result.headers.end());
}

// ---- aws-c-auth v4 suite -----------------------------------------------------------------

std::vector<std::string> AwsCAuthCases() {
  std::vector<std::string> cases;
  fs::path root = fs::path(testing::CorpusDir()) / "sigv4/aws-c-auth-signing-test-suite/v4";
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "request.txt")) cases.push_back(entry.path().filename());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

struct AwsCAuthCase {
  SigningRequest request;
  Credentials credentials;
  SigningParams params;
  std::chrono::seconds expires{0};
  fs::path dir;
  std::string File(const char* name) const { return ReadFile(dir / name); }
};

AwsCAuthCase LoadAwsCAuthCase(const std::string& name) {
  AwsCAuthCase c;
  c.dir = fs::path(testing::CorpusDir()) / "sigv4/aws-c-auth-signing-test-suite/v4" / name;
  nlohmann::json context = nlohmann::json::parse(c.File("context.json"));
  c.request = ParseRawRequest(c.File("request.txt"));
  const auto& creds = context["credentials"];
  c.credentials.access_key_id = creds["access_key_id"];
  c.credentials.secret_access_key = creds["secret_access_key"];
  c.credentials.session_token = creds.value("token", "");
  c.params.region = context["region"];
  c.params.service = context["service"];
  c.params.time = *ParseIso8601(context["timestamp"].get<std::string>());
  c.params.normalize_path = context.value("normalize", true);
  c.params.sign_body = context.value("sign_body", false);
  c.params.sign_security_token = !context.value("omit_session_token", false);
  c.expires = std::chrono::seconds(context.value("expiration_in_seconds", 0));
  return c;
}

// The Authorization header's value from a signed request file.
std::string AuthorizationFrom(const std::string& signed_request) {
  std::istringstream lines(signed_request);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("Authorization:", 0) == 0) return line.substr(strlen("Authorization:"));
  }
  return "";
}

class AwsCAuthSuite : public testing::CorpusTestWithParam<std::string> {};

TEST_P(AwsCAuthSuite, HeaderSigningMatchesByteForByte) {
  AwsCAuthCase c = LoadAwsCAuthCase(GetParam());
  SigningResult result = SignRequest(c.request, c.credentials, c.params);
  EXPECT_EQ(result.canonical_request, c.File("header-canonical-request.txt"));
  EXPECT_EQ(result.string_to_sign, c.File("header-string-to-sign.txt"));
  EXPECT_EQ(result.signature, c.File("header-signature.txt"));
  EXPECT_EQ(result.authorization, AuthorizationFrom(c.File("header-signed-request.txt")));
}

TEST_P(AwsCAuthSuite, QueryPresigningMatchesByteForByte) {
  AwsCAuthCase c = LoadAwsCAuthCase(GetParam());
  if (!fs::exists(c.dir / "query-canonical-request.txt")) GTEST_SKIP() << "no query case";
  PresignResult result = PresignRequest(c.request, c.credentials, c.params, c.expires);
  EXPECT_EQ(result.canonical_request, c.File("query-canonical-request.txt"));
  EXPECT_EQ(result.string_to_sign, c.File("query-string-to-sign.txt"));
  EXPECT_EQ(result.signature, c.File("query-signature.txt"));
}

INSTANTIATE_TEST_SUITE_P(Sigv4, AwsCAuthSuite,
                         ::testing::ValuesIn(testing::CorpusCases<std::string>(
                             AwsCAuthCases, testing::kCorpusMissingCase)),
                         [](const auto& info) { return TestName(info.param); });

TEST_F(Sigv4Corpus, SuitesAreNotEmpty) {
  EXPECT_GE(BotocoreCases().size(), 30u);
  EXPECT_GE(AwsCAuthCases().size(), 30u);
}

TEST(Sigv4, NormalizePathRemovesDotSegmentsAndRepeatedSlashes) {
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath("//example//"), "/example/");
  EXPECT_EQ(NormalizePath("/a/b/../c/./d"), "/a/c/d");
  EXPECT_EQ(NormalizePath("/a/b/.."), "/a/");
  EXPECT_EQ(NormalizePath("/example1/example2/../.."), "/");
}

TEST(Sigv4, S3StylePathIsNeitherNormalizedNorReEncoded) {
  EXPECT_EQ(CanonicalPath("/my%20key//a/../b", false, false), "/my%20key//a/../b");
  EXPECT_EQ(CanonicalPath("/my%20key", true, true), "/my%2520key");
}

TEST(Sigv4, SignBodyAddsContentSha256Header) {
  SigningRequest request{"POST", "/", "", {{"Host", "example.amazonaws.com"}}, "Param1=value1"};
  SigningParams params{"us-east-1", "service", SuiteTime()};
  params.sign_body = true;
  SigningResult result = SignRequest(request, {kAccessKey, kExampleSecret, "", ""}, params);
  EXPECT_NE(result.canonical_request.find("x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc"
                                          "8731a4a654192329106275f4c7b24d0b6e\n"),
            std::string::npos);
}

}  // namespace
}  // namespace ecsync::aws
