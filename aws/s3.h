#pragma once

#include <memory>
#include <string>

#include "aws/client.h"
#include "base/result.h"

namespace ecsync::aws {

// CloudFormation takes at most 51,200 bytes of TemplateBody; larger templates (up to 1 MB)
// must be uploaded to S3 and passed as TemplateURL.
inline constexpr size_t kMaxTemplateBodyBytes = 51'200;

// The S3 calls ecsync needs to pass large templates and file bundles, over the AWS API (REST-XML
// protocol, SigV4 with the payload's SHA-256 signed). Virtual-hosted addressing
// (bucket.s3.region.amazonaws.com) on AWS; path-style (endpoint/bucket/key) for custom
// endpoints and bucket names with dots. Thread-safe. Error kinds: kNotFound for
// NoSuchBucket, kInvalid for AccessDenied and other 4xx, kThrottled for SlowDown,
// kTransient for 5xx.
class S3 {
 public:
  explicit S3(std::shared_ptr<AwsClient> client);

  // Stores `body` at s3://bucket/key (overwriting); returns the object's ETag.
  base::Result<std::string> PutObject(const std::string& bucket, const std::string& key,
                                      const std::string& body, const std::string& content_type);
  // Whether s3://bucket/key exists (HeadObject); false when it, or its bucket, is missing.
  base::Result<bool> ObjectExists(const std::string& bucket, const std::string& key);
  // Removes s3://bucket/key. Removing a missing key succeeds, as in S3.
  base::Status DeleteObject(const std::string& bucket, const std::string& key);
  // The https URL CloudFormation reads s3://bucket/key from (virtual-hosted style in the
  // client's region). CloudFormation fetches it itself, so it is never the local endpoint.
  std::string TemplateUrl(const std::string& bucket, const std::string& key) const;

 private:
  // The endpoint and path for s3://bucket/key.
  AwsRequest ObjectRequest(const std::string& method, const std::string& bucket,
                           const std::string& key) const;

  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
