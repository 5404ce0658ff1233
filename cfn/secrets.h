#pragma once

// Compose secrets. A secret from a file or an environment variable becomes an
// AWS::SecretsManager::Secret whose value is a NoEcho template parameter
// (<Secret>SecretValue), so the value never appears in the template; an external secret
// names an existing secret's ARN. Each service with secrets gets an init container that
// writes /run/secrets/<target> (mode 0444 unless the reference sets one; with x-aws-keys,
// one file per JSON key under /run/secrets/<target>/) on a task volume the service's
// container mounts read-only, and its execution role may read exactly those secrets.
// Records the parameters in Context::secret_parameters.

#include "base/result.h"
#include "cfn/context.h"

namespace ecsync::cfn {

base::Status AddSecrets(Context& ctx);

}  // namespace ecsync::cfn
