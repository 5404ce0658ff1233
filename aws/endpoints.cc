#include "aws/endpoints.h"

#include <optional>

namespace ecsync::aws {
namespace {

std::string StripTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string ServiceEndpointEnvVar(const std::string& service_id) {
  std::string name = "AWS_ENDPOINT_URL_";
  for (char c : service_id) {
    if (c == ' ' || c == '-') {
      name.push_back('_');
    } else if (c >= 'a' && c <= 'z') {
      name.push_back(static_cast<char>(c - 'a' + 'A'));
    } else {
      name.push_back(c);
    }
  }
  return name;
}

std::string ResolveEndpoint(const std::string& service_id, const std::string& endpoint_prefix,
                            const std::string& region, const std::string& override_url,
                            const base::EnvLookup& env) {
  if (!override_url.empty()) return StripTrailingSlash(override_url);
  if (auto url = base::NonEmptyEnv(env, ServiceEndpointEnvVar(service_id))) {
    return StripTrailingSlash(*url);
  }
  if (auto url = base::NonEmptyEnv(env, "AWS_ENDPOINT_URL")) return StripTrailingSlash(*url);
  std::string suffix = region.rfind("cn-", 0) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://" + endpoint_prefix + "." + region + suffix;
}

}  // namespace ecsync::aws
