#include "base/fence.h"

namespace ecsync::base {

namespace {
constexpr size_t kMaxTokenLength = 128;  // CloudFormation's ClientRequestToken limit
}  // namespace

std::string FencedToken(const std::string& token, int64_t epoch) {
  const std::string suffix = "-e" + std::to_string(epoch);
  return token.substr(0, kMaxTokenLength - suffix.size()) + suffix;
}

}  // namespace ecsync::base
