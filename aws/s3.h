#pragma once

#include <string>

#include "base/result.h"

namespace ecsync::aws {

// CloudFormation takes at most 51,200 bytes of TemplateBody; larger templates (up to 1 MB)
// must be uploaded to S3 and passed as TemplateURL.
inline constexpr size_t kMaxTemplateBodyBytes = 51'200;

// The two S3 calls ecsync needs to pass large templates (REST-XML protocol, SigV4 with the
// payload's SHA-256 signed). Thread-safe. Error kinds: kNotFound for NoSuchBucket,
// kInvalid for AccessDenied and other 4xx, kThrottled for SlowDown, kTransient for 5xx.
class S3 {
 public:
  virtual ~S3() = default;
  // Stores `body` at s3://bucket/key (overwriting); returns the object's ETag.
  virtual base::Result<std::string> PutObject(const std::string& bucket, const std::string& key,
                                              const std::string& body,
                                              const std::string& content_type) = 0;
  // Removes s3://bucket/key. Removing a missing key succeeds, as in S3.
  virtual base::Status DeleteObject(const std::string& bucket, const std::string& key) = 0;
  // The https URL CloudFormation reads s3://bucket/key from (virtual-hosted style in the
  // client's region). CloudFormation fetches it itself, so it is never the local endpoint.
  virtual std::string TemplateUrl(const std::string& bucket, const std::string& key) const = 0;
};

}  // namespace ecsync::aws
