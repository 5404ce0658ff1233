#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ecsync::aws {

// One CloudFormation stack as the reconciler needs to see it.
struct Stack {
  std::string name;
  std::string id;      // StackId (ARN)
  std::string status;  // e.g. "UPDATE_COMPLETE"
  std::string status_reason;
  std::map<std::string, std::string> tags;  // ecsync:* tags carry the applied revision
  std::map<std::string, std::string> outputs;
};

struct StackEvent {
  std::string event_id;
  std::string logical_id;  // LogicalResourceId
  std::string resource_type;
  std::string status;  // ResourceStatus
  std::string reason;  // ResourceStatusReason, may be empty
  std::chrono::system_clock::time_point timestamp;
};

struct Parameter {
  std::string key;
  std::string value;
};

struct CreateStackRequest {
  std::string name;
  std::string template_body;
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> tags;
  std::vector<std::string> capabilities;  // e.g. CAPABILITY_IAM
  std::string on_failure = "DELETE";      // DO_NOTHING | ROLLBACK | DELETE
  std::string client_request_token;       // idempotency token, may be empty
};

struct UpdateStackRequest {
  std::string name;
  std::string template_body;
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> tags;
  std::vector<std::string> capabilities;
  std::string client_request_token;
};

// The stacks ecsync reads and changes. Implemented by the AWS API client; tests add a
// fault-injecting wrapper. Thread-safe.
class CloudFormation {
 public:
  virtual ~CloudFormation() = default;
  // The stack named `name` (or with that ARN). kNotFound when it does not exist.
  // Error kinds: kThrottled/kTransient (retry later), kInvalid (credentials, config).
  virtual base::Result<Stack> DescribeStack(const std::string& name) = 0;
  // All stacks not deleted, every page.
  virtual base::Result<std::vector<Stack>> DescribeStacks() = 0;
  // Starts a create; returns the StackId at once.
  virtual base::Result<std::string> CreateStack(const CreateStackRequest& request) = 0;
  // Starts an update. kInvalid with message containing "No updates are to be performed"
  // when nothing changed (AWS's ValidationError).
  virtual base::Status UpdateStack(const UpdateStackRequest& request) = 0;
  // Starts a delete; returns at once.
  virtual base::Status DeleteStack(const std::string& name, const std::string& client_request_token) = 0;
  // Events newest first, every page (the caller de-duplicates by event_id).
  virtual base::Result<std::vector<StackEvent>> DescribeStackEvents(const std::string& name) = 0;
};

// The network facts the converter needs when the user does not give them.
class Ec2 {
 public:
  virtual ~Ec2() = default;
  // The default VPC's id. kNotFound when the account has none.
  virtual base::Result<std::string> DefaultVpcId() = 0;
  // Subnet ids in `vpc_id`, sorted.
  virtual base::Result<std::vector<std::string>> SubnetIds(const std::string& vpc_id) = 0;
};

}  // namespace ecsync::aws
