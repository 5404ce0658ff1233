// SigV4 signing cost, and the AWS client's overhead per call against moto_server compared
// with a bare libcurl request to the same endpoint, in the same run.

#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <memory>

#include "aws/cloudformation_client.h"
#include "aws/query.h"
#include "aws/sigv4.h"
#include "tests/support/support.h"

namespace {

using namespace ecsync;

const aws::Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    "session-token", "bench"};

aws::SigningRequest DescribeStacksRequest() {
  aws::SigningRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers = {{"Host", "cloudformation.us-east-1.amazonaws.com"},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = aws::FormEncode("DescribeStacks", "2010-05-15", {{"StackName", "web"}});
  return request;
}

void BM_SignRequest(benchmark::State& state) {
  aws::SigningRequest request = DescribeStacksRequest();
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "cloudformation";
  params.time = std::chrono::system_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(aws::SignRequest(request, kCredentials, params));
  }
}
BENCHMARK(BM_SignRequest);

testing::MotoServer& Moto() {
  static auto* moto = [] {
    auto* server = new testing::MotoServer();
    // One stack, so DescribeStacks returns a realistic document.
    server->Aws({"cloudformation", "create-stack", "--stack-name", "web", "--template-body",
                 R"({"Resources":{"T":{"Type":"AWS::SNS::Topic"}}})"});
    return server;
  }();
  return *moto;
}

// The same POST the client sends, built once, over one reused easy handle.
void BM_BareCurlDescribeStacks(benchmark::State& state) {
  const std::string url = Moto().endpoint() + "/";
  aws::SigningRequest request = DescribeStacksRequest();
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "cloudformation";
  params.time = std::chrono::system_clock::now();
  aws::SigningResult signed_request = aws::SignRequest(request, kCredentials, params);
  curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
  for (const auto& [name, value] : signed_request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  for (auto _ : state) {
    body.clear();
    if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("curl failed");
    benchmark::DoNotOptimize(body);
  }
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
}
BENCHMARK(BM_BareCurlDescribeStacks)->UseRealTime()->MinTime(2.0);

void BM_ClientDescribeStacks(benchmark::State& state) {
  aws::AwsClientOptions options;
  options.credentials = kCredentials;
  options.region = "us-east-1";
  options.endpoint_override = Moto().endpoint();
  options.http = std::make_shared<aws::CurlHttpClient>();
  aws::CloudFormationClient cfn(std::make_shared<aws::AwsClient>(options));
  for (auto _ : state) {
    auto stack = cfn.DescribeStack("web");
    if (!stack.ok()) state.SkipWithError(stack.status().ToString().c_str());
    benchmark::DoNotOptimize(stack);
  }
}
BENCHMARK(BM_ClientDescribeStacks)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
