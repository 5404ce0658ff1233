#pragma once

#include <memory>

#include "aws/client.h"
#include "aws/s3.h"

namespace ecsync::aws {

// S3 over the AWS API (REST-XML). Virtual-hosted addressing (bucket.s3.region.amazonaws.com)
// on AWS; path-style (endpoint/bucket/key) for custom endpoints and bucket names with dots.
// Thread-safe.
class S3Client final : public S3 {
 public:
  explicit S3Client(std::shared_ptr<AwsClient> client);

  base::Result<std::string> PutObject(const std::string& bucket, const std::string& key,
                                      const std::string& body,
                                      const std::string& content_type) override;
  base::Status DeleteObject(const std::string& bucket, const std::string& key) override;
  std::string TemplateUrl(const std::string& bucket, const std::string& key) const override;

 private:
  // The endpoint and path for s3://bucket/key.
  AwsRequest ObjectRequest(const std::string& method, const std::string& bucket,
                           const std::string& key) const;

  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
