#pragma once

#include <memory>
#include <string>

#include "aws/client.h"
#include "aws/ssm.h"

namespace ecsync::aws {

// SSM reads over the AWS API (JSON 1.1, X-Amz-Target AmazonSSM.<Op>). Thread-safe. Logs
// nothing of parameter values (AwsClient logs no bodies).
class SsmClient final : public Ssm {
 public:
  explicit SsmClient(std::shared_ptr<AwsClient> client);

  base::Result<SsmParameter> GetParameter(const std::string& name,
                                          bool with_decryption) override;

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
