#include "artifacts/registry.h"

#include <nlohmann/json.hpp>

#include "base/base64.h"

namespace ecsync::artifacts {

const aws::ServiceInfo kEcrService{"ECR",
                                   "api.ecr",
                                   "ecr",
                                   "2015-09-21",
                                   aws::Protocol::kJson,
                                   "AmazonEC2ContainerRegistry_V20150921"};

namespace {

// Every manifest form a pushed image may have: multi-platform indexes first, then
// single-platform manifests. A registry answers with the form stored, and its digest.
constexpr const char* kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

}  // namespace

EcrImageRegistry::EcrImageRegistry(std::shared_ptr<aws::AwsClient> client, std::string registry_id)
    : client_(std::move(client)), registry_id_(std::move(registry_id)) {}

base::Result<std::string> EcrImageRegistry::FindDigest(const ImageRef& image) {
  nlohmann::json input = {{"repositoryName", image.repository},
                          {"imageIds", nlohmann::json::array({{{"imageTag", image.tag}}})}};
  if (!registry_id_.empty()) input["registryId"] = registry_id_;
  base::Result<nlohmann::json> output = client_->CallJson(kEcrService, "DescribeImages", input);
  if (!output.ok()) return output.status().WithContext(image.ToString());
  auto details = output->find("imageDetails");
  if (details == output->end() || !details->is_array() || details->empty()) {
    return base::NotFoundError(image.ToString() + ": no such image in ECR");
  }
  const nlohmann::json& first = details->front();
  auto digest = first.find("imageDigest");
  if (digest == first.end() || !digest->is_string() || !IsValidDigest(digest->get<std::string>())) {
    return base::InvalidError(image.ToString() +
                              ": ECR DescribeImages answered without a valid imageDigest");
  }
  return digest->get<std::string>();
}

RegistryV2::RegistryV2(std::shared_ptr<aws::HttpClient> http, RegistryV2Options options)
    : http_(std::move(http)), options_(std::move(options)) {}

base::Result<std::string> RegistryV2::FindDigest(const ImageRef& image) {
  aws::HttpRequest request;
  request.method = "HEAD";
  request.url = options_.scheme + "://" + image.registry + "/v2/" + image.repository +
                "/manifests/" + image.tag;
  request.headers.emplace_back("Accept", kManifestAccept);
  if (!options_.username.empty() || !options_.password.empty()) {
    request.headers.emplace_back(
        "Authorization",
        "Basic " + base::Base64Encode(options_.username + ":" + options_.password));
  }
  base::Result<aws::HttpResponse> response = http_->Send(request);
  if (!response.ok()) return response.status().WithContext(image.ToString());
  const int status = response->status;
  const std::string where = image.ToString() + ": registry answered HTTP " + std::to_string(status);
  if (status == 200) {
    std::string digest = response->Header("Docker-Content-Digest");
    if (!IsValidDigest(digest)) {
      return base::InvalidError(where + " without a valid Docker-Content-Digest header");
    }
    return digest;
  }
  if (status == 404) return base::NotFoundError(image.ToString() + ": not in the registry");
  if (status == 401 || status == 403) {
    std::string challenge = response->Header("WWW-Authenticate");
    std::string scheme = challenge.substr(0, challenge.find(' '));
    return base::InvalidError(
        where + (scheme.empty() ? "" : " (" + scheme + " authentication asked)") +
        "; check the registry's user name and password" +
        (scheme == "Bearer" ? " (token authentication is not supported yet)" : ""));
  }
  if (status == 429) return base::ThrottledError(where);
  if (status >= 500) return base::TransientError(where);
  return base::InvalidError(where);
}

base::Result<std::shared_ptr<ImageRegistry>> OpenRegistry(const std::string& host,
                                                          const RegistryV2Options& v2,
                                                          std::shared_ptr<aws::AwsClient> aws,
                                                          std::shared_ptr<aws::HttpClient> http) {
  if (!IsValidRegistryHost(host)) {
    return base::InvalidError("images.registry \"" + host +
                              "\" is not a registry host (host[:port], such as "
                              "123456789012.dkr.ecr.us-east-1.amazonaws.com)");
  }
  if (std::optional<EcrRegistry> ecr = ParseEcrRegistry(host)) {
    if (aws == nullptr) {
      return base::InvalidError("images.registry " + host +
                                " is Amazon ECR, which ecsync asks through AWS; stack files "
                                "(--stack-dir) have no AWS access: use a Registry v2 host");
    }
    if (ecr->region != aws->region()) {
      return base::InvalidError("images.registry " + host + " is in " + ecr->region +
                                ", but ecsync calls AWS in " + aws->region() +
                                "; name the registry of " + aws->region() +
                                " (ECR replication can copy images there)");
    }
    return std::shared_ptr<ImageRegistry>(
        std::make_shared<EcrImageRegistry>(std::move(aws), ecr->account_id));
  }
  return std::shared_ptr<ImageRegistry>(std::make_shared<RegistryV2>(std::move(http), v2));
}

}  // namespace ecsync::artifacts
