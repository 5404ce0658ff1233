#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace ecsync::aws {

// One SSM parameter. `value` may be a secret (a decrypted SecureString): never log it.
struct SsmParameter {
  std::string value;
  std::string type;  // String | StringList | SecureString
  int64_t version = 0;
};

class Ssm {
 public:
  virtual ~Ssm() = default;
  // GetParameter. With `with_decryption` false a SecureString's value is its ciphertext.
  // kNotFound when the parameter does not exist (ParameterNotFound).
  virtual base::Result<SsmParameter> GetParameter(const std::string& name,
                                                  bool with_decryption) = 0;
};

}  // namespace ecsync::aws
