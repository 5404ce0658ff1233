#pragma once

// Asking a container registry whether an image exists, and its digest.

#include <memory>
#include <string>

#include "artifacts/image_ref.h"
#include "aws/client.h"
#include "aws/http.h"
#include "base/result.h"

namespace ecsync::artifacts {

// Where images are looked up. A seam: the resolver's tests use a fake that answers "not yet"
// a few times. Implementations are thread-safe.
class ImageRegistry {
 public:
  virtual ~ImageRegistry() = default;
  // The digest ("sha256:<64 hex>") of the manifest `image.repository`:`image.tag` names in
  // this registry; `image.registry` is informational (for messages).
  // REQUIRES: !image.tag.empty().
  // Errors: kNotFound when the repository or the tag does not exist (yet); kThrottled and
  // kTransient when asking again later may help (network, 5xx, 429); kInvalid when the
  // registry refuses the credentials or answers something that is not a registry's answer.
  virtual base::Result<std::string> FindDigest(const ImageRef& image) = 0;
};

// The ECR API's service description (JSON 1.1, AmazonEC2ContainerRegistry_V20150921); its
// endpoint honours AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL like every other service.
extern const aws::ServiceInfo kEcrService;

// Amazon ECR through `DescribeImages` (registryId `registry_id`, the 12-digit account of the
// registry host; empty: the caller's account). Uses `client`'s credentials, region, retries
// and rate limit. RepositoryNotFoundException and ImageNotFoundException are kNotFound;
// AccessDenied and other client errors are kInvalid.
class EcrImageRegistry final : public ImageRegistry {
 public:
  EcrImageRegistry(std::shared_ptr<aws::AwsClient> client, std::string registry_id);
  base::Result<std::string> FindDigest(const ImageRef& image) override;

 private:
  std::shared_ptr<aws::AwsClient> client_;
  std::string registry_id_;
};

struct RegistryV2Options {
  // "https" or "http" (http only for loopback registries and tests).
  std::string scheme = "https";
  // Basic authentication; both empty: anonymous. Never logged.
  std::string username;
  std::string password;
};

// Any registry speaking the Docker Registry HTTP API v2 (Docker Hub, GHCR, Harbor,
// Artifactory, `registry:2`):
//   HEAD <scheme>://<registry>/v2/<repository>/manifests/<tag>
// with Accept for OCI image indexes and manifests and Docker manifest lists and v2
// manifests, reading the digest from Docker-Content-Digest. 200 -> the digest; 404 ->
// kNotFound; 401/403 -> kInvalid (credentials); 429 -> kThrottled; 5xx and transport
// failures -> kTransient. A 200 without a valid Docker-Content-Digest is kInvalid.
// Bearer-token registries (the WWW-Authenticate: Bearer challenge) are not supported yet:
// they answer kInvalid naming the challenge.
class RegistryV2 final : public ImageRegistry {
 public:
  RegistryV2(std::shared_ptr<aws::HttpClient> http, RegistryV2Options options);
  base::Result<std::string> FindDigest(const ImageRef& image) override;

 private:
  std::shared_ptr<aws::HttpClient> http_;
  RegistryV2Options options_;
};

// The registry `host` names: an Amazon ECR host ("<account>.dkr.ecr.<region>.amazonaws.com")
// is asked through `aws` (the account from the host; the region must be the one `aws` calls,
// since ECR answers only for its own region), any other host through the Registry v2 API over
// `http` with `v2`. kInvalid when `host` is not a registry host, when an ECR host is named
// without AWS (`aws` null: offline stack files) or in another region.
base::Result<std::shared_ptr<ImageRegistry>> OpenRegistry(const std::string& host,
                                                          const RegistryV2Options& v2,
                                                          std::shared_ptr<aws::AwsClient> aws,
                                                          std::shared_ptr<aws::HttpClient> http);

}  // namespace ecsync::artifacts
