#pragma once

// A ForwardingCloudFormation that also records the idempotency token of every create and
// delete it passes on, to check what a fenced writer sends. Test-only.

#include <mutex>
#include <string>
#include <vector>

#include "tests/reconcile/forwarding_cloudformation.h"

namespace ecsync::reconcile::fakes {

class TokenRecordingCloudFormation : public ForwardingCloudFormation {
 public:
  using ForwardingCloudFormation::ForwardingCloudFormation;

  base::Result<std::string> CreateStack(const aws::CreateStackRequest& request) override {
    Record(request.client_request_token);
    return ForwardingCloudFormation::CreateStack(request);
  }
  base::Status DeleteStack(const std::string& name, const std::string& token) override {
    Record(token);
    return ForwardingCloudFormation::DeleteStack(name, token);
  }
  std::vector<std::string> tokens() const {
    std::lock_guard<std::mutex> lock(mu_);
    return tokens_;
  }

 private:
  void Record(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    tokens_.push_back(token);
  }
  mutable std::mutex mu_;
  std::vector<std::string> tokens_;
};

}  // namespace ecsync::reconcile::fakes
