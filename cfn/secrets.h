#pragma once

// Compose secrets. A secret from a file or an environment variable becomes an
// AWS::SecretsManager::Secret whose value is a NoEcho template parameter
// (<Secret>SecretValue), so the value never appears in the template; an external secret
// names an existing secret's ARN. Each service with secrets gets an init container that
// writes /run/secrets/<target> (mode 0444 unless the reference sets one) on a task volume
// the service's container mounts read-only, and its execution role may read exactly those
// secrets. With x-aws-keys: [a, b] it writes one file per JSON key under
// /run/secrets/<target>/, each extracted by ECS (<arn>:a::); with x-aws-keys: ["*"] it gets
// the whole secret and its script splits the JSON object into a file per top-level key at
// run time (cfn/secret_split.h says what it accepts). The script never prints a value.
// Records the parameters in Context::secret_parameters.

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddSecrets(Context& ctx);

}  // namespace ecsync::cfn
