#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/cloudformation.h"
#include "base/result.h"

namespace ecsync::aws {

// What the stack-files target understands of a CloudFormation template: its structure,
// parameters, capabilities, outputs, and resource-level differences. Pure functions.

// A template parsed from JSON or YAML. YAML short-form intrinsics ("!Ref x", "!GetAtt a.b",
// "!Sub ...") become their JSON long form ({"Ref": "x"}, {"Fn::GetAtt": ["a", "b"]}, ...),
// so JSON and YAML versions of one template compare equal.
struct ParsedTemplate {
  nlohmann::ordered_json doc;  // an object with a non-empty Resources object
  bool yaml = false;           // the body was YAML (it did not start with '{')
};

// Parses `body` and checks what CloudFormation checks before it looks at resource
// properties: well-formed, an object, only known top-level sections, at least one
// resource, every resource with a Type, every parameter with a Type.
// kInvalid with CloudFormation's "Template format error: ..." wording otherwise.
base::Result<ParsedTemplate> ParseTemplate(const std::string& body);

// The text to keep on disk for `body`: JSON pretty-printed (two-space indent, key order
// kept, trailing newline); YAML exactly as given.
std::string StoredTemplateBody(const ParsedTemplate& parsed, const std::string& body);

// True when the two templates mean the same (object key order is ignored).
bool SameTemplate(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b);

// ValidateTemplate's answer: parameters (NoEcho, defaults, descriptions), description,
// transforms, and the capabilities the resources require: CAPABILITY_NAMED_IAM when an
// AWS::IAM::* resource sets its own name (RoleName, UserName, GroupName,
// ManagedPolicyName, InstanceProfileName), else CAPABILITY_IAM when any AWS::IAM::*
// resource is present.
TemplateValidation DescribeTemplate(const nlohmann::ordered_json& doc);

// kInvalid "Requires capabilities : [CAPABILITY_IAM]" (InsufficientCapabilitiesException)
// when `granted` lacks what DescribeTemplate requires. CAPABILITY_NAMED_IAM grants both.
base::Status CheckCapabilities(const nlohmann::ordered_json& doc,
                               const std::vector<std::string>& granted);

// A parameter value after defaults were applied. `value` is the real value, secret or not.
struct ResolvedParameter {
  std::string key;
  std::string value;
  bool no_echo = false;
};

// The template's parameters, in declaration order, with `given` values (the last one
// wins for a repeated key) or the declared Default. kInvalid like CloudFormation for a
// given key the template does not declare ("Parameters: [k] do not exist in the
// template"), a declared one with neither value nor default ("Parameters: [k] must have
// values"), or a value outside AllowedValues.
base::Result<std::vector<ResolvedParameter>> ResolveParameters(const nlohmann::ordered_json& doc,
                                                               const std::vector<Parameter>& given);

// The physical id the stack-files target gives every resource: "<stack>-<LogicalId>".
std::string PhysicalResourceId(const std::string& stack_name, const std::string& logical_id);

// Resource changes taking `old_doc` (null for a new stack) to `new_doc`, as a change set
// reports them: Add and Modify in the new template's order, then Remove in the old one's.
// A resource whose JSON differs is a Modify. Its scope lists the differing sections among
// Properties (Tags counted separately as "Tags"), Metadata, CreationPolicy, UpdatePolicy,
// DeletionPolicy and UpdateReplacePolicy. Replacement is "True" when the Type changed,
// "Conditional" when a property other than Tags changed, and "False" otherwise: stack
// files do not know which properties force a replacement, so "Conditional" means "may".
// Each changed property gets a detail (Static, DirectModification; RequiresRecreation
// "Conditionally", or "Never" for Tags).
std::vector<ResourceChange> DiffResources(const nlohmann::ordered_json& old_doc,
                                          const nlohmann::ordered_json& new_doc,
                                          const std::string& stack_name);

// Adds to `changes` what CloudFormation reports for a new parameter value: every resource
// of `doc` that uses a parameter in `changed_parameters` (through Ref, or "${Name}" in
// Fn::Sub) gets a detail per property that uses it (Dynamic, ParameterReference, causing
// entity the parameter, RequiresRecreation "Conditionally"); a resource not yet in
// `changes` becomes a Modify with scope Properties and Replacement "Conditional".
// Added and removed resources are left as they are.
void AddParameterChanges(const nlohmann::ordered_json& doc,
                         const std::vector<std::string>& changed_parameters,
                         const std::string& stack_name, std::vector<ResourceChange>* changes);

// The Outputs that can be known without AWS: literal values, and Ref to a parameter
// (NoEcho ones as "****"), to a resource (its physical id) or to AWS::StackName /
// AWS::StackId. Outputs built with other intrinsics are left out.
std::map<std::string, std::string> ResolveOutputs(const nlohmann::ordered_json& doc,
                                                  const std::string& stack_name,
                                                  const std::string& stack_id,
                                                  const std::vector<ResolvedParameter>& parameters);

}  // namespace ecsync::aws
