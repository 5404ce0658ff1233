#pragma once

#include <string>

#include "base/env.h"

namespace ecsync::aws {

// Where to send a service's requests, first match wins:
//   1. `override_url` (--endpoint-url), when non-empty;
//   2. AWS_ENDPOINT_URL_<SERVICE_ID> (the service id upper-cased, spaces to underscores,
//      e.g. AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL_EC2);
//   3. AWS_ENDPOINT_URL;
//   4. https://<endpoint_prefix>.<region>.amazonaws.com (".amazonaws.com.cn" in cn-* regions).
// A trailing '/' is removed. `service_id` is the model's serviceId ("CloudFormation", "EC2").
std::string ResolveEndpoint(const std::string& service_id, const std::string& endpoint_prefix,
                            const std::string& region, const std::string& override_url,
                            const base::EnvLookup& env);

// "AWS_ENDPOINT_URL_" + the service id upper-cased with spaces and dashes as underscores.
std::string ServiceEndpointEnvVar(const std::string& service_id);

}  // namespace ecsync::aws
