#pragma once

// A CloudFormation that passes every call to another one and counts the calls. Tests derive
// from it to change the few answers a real target cannot give (drift, for instance) and to
// check how many AWS calls a reconcile made. Test-only.

#include <atomic>
#include <string>
#include <vector>

#include "aws/cloudformation.h"

namespace ecsync::reconcile::fakes {

class ForwardingCloudFormation : public aws::CloudFormation {
 public:
  explicit ForwardingCloudFormation(aws::CloudFormation& real) : real_(real) {}

  // Every call made through this object, whatever its outcome.
  int calls() const { return calls_.load(); }
  int change_sets() const { return change_sets_.load(); }
  int executes() const { return executes_.load(); }
  int deletes() const { return deletes_.load(); }
  void ResetCounts() {
    calls_ = 0;
    change_sets_ = 0;
    executes_ = 0;
    deletes_ = 0;
  }

  base::Result<aws::Stack> DescribeStack(const std::string& name) override {
    ++calls_;
    return real_.DescribeStack(name);
  }
  base::Result<std::vector<aws::Stack>> DescribeStacks() override {
    ++calls_;
    return real_.DescribeStacks();
  }
  base::Result<std::string> CreateStack(const aws::CreateStackRequest& request) override {
    ++calls_;
    return real_.CreateStack(request);
  }
  base::Status UpdateStack(const aws::UpdateStackRequest& request) override {
    ++calls_;
    return real_.UpdateStack(request);
  }
  base::Status DeleteStack(const std::string& name, const std::string& token) override {
    ++calls_;
    ++deletes_;
    return real_.DeleteStack(name, token);
  }
  base::Result<std::vector<aws::StackEvent>> DescribeStackEvents(const std::string& name) override {
    ++calls_;
    return real_.DescribeStackEvents(name);
  }
  base::Result<std::string> CreateChangeSet(const aws::CreateChangeSetRequest& request) override {
    ++calls_;
    ++change_sets_;
    return real_.CreateChangeSet(request);
  }
  base::Result<aws::ChangeSet> DescribeChangeSet(const std::string& change_set,
                                                 const std::string& stack) override {
    ++calls_;
    return real_.DescribeChangeSet(change_set, stack);
  }
  base::Status ExecuteChangeSet(const std::string& change_set, const std::string& stack,
                                const std::string& token) override {
    ++calls_;
    ++executes_;
    return real_.ExecuteChangeSet(change_set, stack, token);
  }
  base::Status DeleteChangeSet(const std::string& change_set, const std::string& stack) override {
    ++calls_;
    return real_.DeleteChangeSet(change_set, stack);
  }
  base::Status ContinueUpdateRollback(const std::string& name, const std::vector<std::string>& skip,
                                      const std::string& token) override {
    ++calls_;
    return real_.ContinueUpdateRollback(name, skip, token);
  }
  base::Status CancelUpdateStack(const std::string& name, const std::string& token) override {
    ++calls_;
    return real_.CancelUpdateStack(name, token);
  }
  base::Result<std::vector<aws::StackResource>> DescribeStackResources(
      const std::string& name) override {
    ++calls_;
    return real_.DescribeStackResources(name);
  }
  base::Result<std::string> GetTemplate(const std::string& name) override {
    ++calls_;
    return real_.GetTemplate(name);
  }
  base::Result<aws::TemplateValidation> ValidateTemplate(const std::string& body) override {
    ++calls_;
    return real_.ValidateTemplate(body);
  }
  base::Result<std::string> DetectStackDrift(const std::string& name) override {
    ++calls_;
    return real_.DetectStackDrift(name);
  }
  base::Result<aws::DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& detection_id) override {
    ++calls_;
    return real_.DescribeStackDriftDetectionStatus(detection_id);
  }
  base::Result<std::vector<aws::ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override {
    ++calls_;
    return real_.DescribeStackResourceDrifts(name);
  }
  base::Status UpdateTerminationProtection(const std::string& name, bool enable) override {
    ++calls_;
    return real_.UpdateTerminationProtection(name, enable);
  }

 protected:
  aws::CloudFormation& real() { return real_; }

 private:
  aws::CloudFormation& real_;
  std::atomic<int> calls_{0}, change_sets_{0}, executes_{0}, deletes_{0};
};

}  // namespace ecsync::reconcile::fakes
