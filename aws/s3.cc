#include "aws/s3.h"

#include "aws/encoding.h"

namespace ecsync::aws {
namespace {

std::string AwsDomain(const std::string& region) {
  return region.rfind("cn-", 0) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
}

}  // namespace

S3::S3(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

AwsRequest S3::ObjectRequest(const std::string& method, const std::string& bucket,
                             const std::string& key) const {
  AwsRequest request;
  request.method = method;
  request.s3_signing = true;
  const std::string endpoint = client_->Endpoint(kS3Service);
  const std::string region = client_->region();
  const std::string default_endpoint = "https://s3." + region + "." + AwsDomain(region);
  if (endpoint == default_endpoint && bucket.find('.') == std::string::npos) {
    request.endpoint = "https://" + bucket + ".s3." + region + "." + AwsDomain(region);
    request.path = "/" + UriEncode(key, /*keep_slash=*/true);
  } else {
    request.path = "/" + UriEncode(bucket) + "/" + UriEncode(key, /*keep_slash=*/true);
  }
  return request;
}

base::Result<std::string> S3::PutObject(const std::string& bucket, const std::string& key,
                                        const std::string& body, const std::string& content_type) {
  AwsRequest request = ObjectRequest("PUT", bucket, key);
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  request.body = body;
  ECSYNC_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(kS3Service, "PutObject", request));
  return response.Header("ETag");
}

base::Result<bool> S3::ObjectExists(const std::string& bucket, const std::string& key) {
  auto response = client_->Send(kS3Service, "HeadObject", ObjectRequest("HEAD", bucket, key));
  if (response.ok()) return true;
  // HEAD has no body, so a missing key and a missing bucket are both a bare 404; the key is
  // what is usually missing, and a PUT into a missing bucket names the bucket.
  if (response.status().kind() == base::ErrorKind::kNotFound) return false;
  return response.status();
}

base::Status S3::DeleteObject(const std::string& bucket, const std::string& key) {
  return client_->Send(kS3Service, "DeleteObject", ObjectRequest("DELETE", bucket, key)).status();
}

std::string S3::TemplateUrl(const std::string& bucket, const std::string& key) const {
  const std::string region = client_->region();
  return "https://" + bucket + ".s3." + region + "." + AwsDomain(region) + "/" +
         UriEncode(key, /*keep_slash=*/true);
}

}  // namespace ecsync::aws
