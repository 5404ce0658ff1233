#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/ec2_types.h"
#include "base/result.h"

namespace ecsync::aws {

// One CloudFormation stack as the reconciler needs to see it.
struct Stack {
  std::string name;
  std::string id;                           // StackId (ARN)
  std::string status;                       // e.g. "UPDATE_COMPLETE"
  std::string status_reason;                // StackStatusReason, may be empty
  bool termination_protection = false;      // EnableTerminationProtection
  std::map<std::string, std::string> tags;  // ecsync:* tags carry the applied revision
  std::map<std::string, std::string> outputs;
  // Set for a nested stack (an AWS::CloudFormation::Stack resource of another stack): the
  // StackId of the stack that holds it, and of the top-level stack. Empty for top-level
  // stacks. Nested stacks carry their root's tags, so listings must skip them.
  std::string parent_id;  // ParentId
  std::string root_id;    // RootId
};

struct StackEvent {
  std::string event_id;
  std::string logical_id;   // LogicalResourceId
  std::string physical_id;  // PhysicalResourceId: a nested stack's StackId for its events
  std::string resource_type;
  std::string status;  // ResourceStatus
  std::string reason;  // ResourceStatusReason, may be empty
  std::chrono::system_clock::time_point timestamp;
};

struct Parameter {
  std::string key;
  std::string value;
};

// Requests carry the template either inline (template_body, up to 51,200 bytes) or as an
// https S3 URL (template_url, up to 1 MB; see S3::TemplateUrl); exactly one is set.
struct CreateStackRequest {
  std::string name;
  std::string template_body;
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> tags;
  std::vector<std::string> capabilities;  // e.g. CAPABILITY_IAM
  std::string on_failure = "DELETE";      // DO_NOTHING | ROLLBACK | DELETE
  std::string client_request_token;       // idempotency token, may be empty
  std::string template_url;               // instead of template_body
};

struct UpdateStackRequest {
  std::string name;
  std::string template_body;
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> tags;
  std::vector<std::string> capabilities;
  std::string client_request_token;
  std::string template_url;  // instead of template_body
};

struct CreateChangeSetRequest {
  std::string change_set_name;  // [a-zA-Z][-a-zA-Z0-9]*, up to 128 characters
  std::string stack_name;
  std::string template_body;  // exactly one of template_body and template_url
  std::string template_url;
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> tags;  // applied to the stack when executed
  std::vector<std::string> capabilities;
  std::string change_set_type = "UPDATE";  // CREATE (new stack, REVIEW_IN_PROGRESS) | UPDATE
  std::string client_token;                // ClientToken: idempotency of this create call
  std::string description;
};

// One resource-level difference in a change set (ResourceChange.Details).
struct ResourceChangeDetail {
  std::string attribute;            // Target.Attribute: Properties | Metadata | Tags | ...
  std::string name;                 // Target.Name: the property name, may be empty
  std::string requires_recreation;  // Target.RequiresRecreation: Never | Conditionally | Always
  std::string evaluation;           // Static | Dynamic
  std::string change_source;  // ResourceReference | ParameterReference | DirectModification ...
  std::string causing_entity;
};

// One entry of a change set's Changes (type "Resource").
struct ResourceChange {
  std::string action;  // Add | Modify | Remove | Import | Dynamic
  std::string logical_id;
  std::string physical_id;  // empty for Add
  std::string resource_type;
  std::string replacement;         // Modify only: True | False | Conditional; else empty
  std::vector<std::string> scope;  // Modify only: Properties, Metadata, Tags, ...
  std::vector<ResourceChangeDetail> details;
};

struct ChangeSet {
  std::string id;  // ChangeSetId (ARN)
  std::string name;
  std::string stack_id;
  std::string stack_name;
  // CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | DELETE_PENDING |
  // DELETE_IN_PROGRESS | DELETE_COMPLETE | DELETE_FAILED | FAILED
  std::string status;
  // Why it FAILED, e.g. "The submitted information didn't contain changes. ..."
  std::string status_reason;
  // UNAVAILABLE | AVAILABLE | EXECUTE_IN_PROGRESS | EXECUTE_COMPLETE | EXECUTE_FAILED | OBSOLETE
  std::string execution_status;
  std::vector<ResourceChange> changes;  // every page
};

// A resource of a stack (ListStackResources' summary).
struct StackResource {
  std::string logical_id;
  std::string physical_id;
  std::string resource_type;
  std::string status;  // ResourceStatus, e.g. CREATE_COMPLETE
  std::string status_reason;
  std::string drift_status;  // IN_SYNC | MODIFIED | DELETED | NOT_CHECKED, may be empty
  std::chrono::system_clock::time_point last_updated;
};

struct TemplateParameter {
  std::string key;
  std::string default_value;
  bool no_echo = false;
  std::string description;
};

// What ValidateTemplate reports about a valid template.
struct TemplateValidation {
  std::vector<TemplateParameter> parameters;
  std::string description;
  std::vector<std::string> capabilities;  // required to create it, e.g. CAPABILITY_IAM
  std::string capabilities_reason;
  std::vector<std::string> declared_transforms;
};

struct DriftDetection {
  std::string detection_id;
  std::string stack_id;
  // DETECTION_IN_PROGRESS | DETECTION_FAILED | DETECTION_COMPLETE
  std::string detection_status;
  std::string detection_status_reason;
  std::string stack_drift_status;  // DRIFTED | IN_SYNC | UNKNOWN | NOT_CHECKED
  int drifted_resource_count = 0;
};

struct PropertyDifference {
  std::string path;  // e.g. "/DesiredCount"
  std::string expected_value;
  std::string actual_value;
  std::string difference_type;  // ADD | REMOVE | NOT_EQUAL
};

struct ResourceDrift {
  std::string logical_id;
  std::string physical_id;
  std::string resource_type;
  std::string drift_status;  // IN_SYNC | MODIFIED | DELETED | NOT_CHECKED
  std::vector<PropertyDifference> differences;
};

// The stacks ecsync reads and changes. Implemented by the AWS API client; tests add a
// fault-injecting wrapper. Thread-safe.
// Error kinds for every call: kThrottled/kTransient (retry later; the client already
// retried), kInvalid (credentials, permissions, bad input), kNotFound (missing stack, change
// set or detection), kConflict (the stack or change set is in a state that forbids the call,
// e.g. "... is in UPDATE_IN_PROGRESS state and can not be updated").
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
  virtual base::Status DeleteStack(const std::string& name,
                                   const std::string& client_request_token) = 0;
  // Events newest first, every page (the caller de-duplicates by event_id).
  virtual base::Result<std::vector<StackEvent>> DescribeStackEvents(const std::string& name) = 0;

  // Change sets. `change_set` is a name (then `stack_name` is required) or an ARN.
  // Starts creating a change set; returns its id (ARN) at once. kConflict when a change set
  // of that name exists (AlreadyExistsException); kInvalid for a bad template, missing
  // capabilities (InsufficientCapabilitiesException) or UPDATE of a missing stack.
  virtual base::Result<std::string> CreateChangeSet(const CreateChangeSetRequest& request) = 0;
  // Status and every page of changes. kNotFound (ChangeSetNotFound) when it does not exist.
  // A change set with no changes ends FAILED with a status_reason saying so; that is a
  // result, not an error.
  virtual base::Result<ChangeSet> DescribeChangeSet(const std::string& change_set,
                                                    const std::string& stack_name) = 0;
  // Starts executing; returns at once. kConflict when its execution_status is not AVAILABLE
  // (InvalidChangeSetStatus) or the stack is busy; kNotFound when it does not exist.
  virtual base::Status ExecuteChangeSet(const std::string& change_set,
                                        const std::string& stack_name,
                                        const std::string& client_request_token) = 0;
  // kConflict while it executes (InvalidChangeSetStatus).
  virtual base::Status DeleteChangeSet(const std::string& change_set,
                                       const std::string& stack_name) = 0;

  // Recovery. Continues an UPDATE_ROLLBACK_FAILED stack's rollback, skipping the logical
  // ids in `resources_to_skip`. kConflict when the stack is in another state.
  virtual base::Status ContinueUpdateRollback(const std::string& name,
                                              const std::vector<std::string>& resources_to_skip,
                                              const std::string& client_request_token) = 0;
  // Cancels an UPDATE_IN_PROGRESS update (the stack rolls back). kConflict in other states.
  virtual base::Status CancelUpdateStack(const std::string& name,
                                         const std::string& client_request_token) = 0;

  // Every resource of the stack, every page (ListStackResources, which unlike
  // DescribeStackResources is not capped at 100). kNotFound for a missing stack.
  virtual base::Result<std::vector<StackResource>> DescribeStackResources(
      const std::string& name) = 0;
  // The template as submitted (TemplateStage=Original), JSON or YAML text.
  virtual base::Result<std::string> GetTemplate(const std::string& name) = 0;
  // Validates a template body (or, when it starts with "https://", a template URL).
  // kInvalid with CloudFormation's message when the template is malformed.
  virtual base::Result<TemplateValidation> ValidateTemplate(const std::string& body_or_url) = 0;

  // Drift. Starts a detection; returns its id. Poll DescribeStackDriftDetectionStatus.
  virtual base::Result<std::string> DetectStackDrift(const std::string& name) = 0;
  virtual base::Result<DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& detection_id) = 0;
  // Every resource's drift from the last detection, every page.
  virtual base::Result<std::vector<ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) = 0;

  virtual base::Status UpdateTerminationProtection(const std::string& name, bool enable) = 0;
};

// The network facts the converter needs when the user does not give them.
class Ec2 {
 public:
  virtual ~Ec2() = default;
  // The default VPC's id. kNotFound when the account has none.
  virtual base::Result<std::string> DefaultVpcId() = 0;
  // Subnet ids in `vpc_id`, sorted.
  virtual base::Result<std::vector<std::string>> SubnetIds(const std::string& vpc_id) = 0;
  // Every page of the route tables in `vpc_id`.
  // The default body answers kInternal "not supported" (for fakes that do not need it).
  virtual base::Result<std::vector<RouteTable>> DescribeRouteTables(const std::string& vpc_id) {
    (void)vpc_id;
    return base::InternalError("DescribeRouteTables is not supported");
  }
  // Every page of the security groups with ids `ids` (all when empty) matching every filter.
  // kNotFound when a given id does not exist (InvalidGroup.NotFound).
  // The default body answers kInternal "not supported" (for fakes that do not need it).
  virtual base::Result<std::vector<SecurityGroup>> DescribeSecurityGroups(
      const std::vector<std::string>& ids, const std::vector<Ec2Filter>& filters) {
    (void)ids;
    (void)filters;
    return base::InternalError("DescribeSecurityGroups is not supported");
  }
};

}  // namespace ecsync::aws
