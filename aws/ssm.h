#pragma once

#include <memory>
#include <string>

#include "aws/client.h"
#include "base/result.h"

namespace ecsync::aws {

extern const ServiceInfo kSsmService;

// SSM Parameter Store over the AWS API (JSON 1.1, target prefix AmazonSSM): the one plain
// String parameter at a time that `ecsync approve` writes and reads. Thread-safe.
class Ssm {
 public:
  explicit Ssm(std::shared_ptr<AwsClient> client);

  // PutParameter with Type String and Overwrite true: creates `name` or gives it a new
  // version holding `value`.
  base::Status PutParameter(const std::string& name, const std::string& value);
  // The value of `name`'s latest version. kNotFound when there is no such parameter.
  base::Result<std::string> GetParameter(const std::string& name);

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ecsync::aws
