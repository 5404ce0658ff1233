#pragma once

#include <string>
#include <vector>

#include "aws/stack_files_state.h"
#include "aws/stack_files_template.h"
#include "base/result.h"

namespace ecsync::aws {

// The CloudFormation rules the stack-files target (stack_files.h) follows, shared by its
// stack, change-set and repair calls.

// Stack ids are "<kStackIdPrefix><name>/<uuid>"; change set ids
// "<kStackIdPrefix>changeSet/<name>/<uuid>".
inline constexpr char kStackIdPrefix[] = "arn:ecsync:stack-files:local:";
// The resource type of a stack's own events.
inline constexpr char kStackResourceType[] = "AWS::CloudFormation::Stack";

// CloudFormation's rule for stack and change set names: [a-zA-Z][-a-zA-Z0-9]*, at most 128.
bool ValidStackName(const std::string& name);
// kInvalid with CloudFormation's message for a `name` given as `field` that breaks the rule.
base::Status InvalidNameError(const std::string& name, const char* field);

// Splits a stack id into its name and uuid; false when `id` is not one this target made.
bool ParseStackId(const std::string& id, std::string* name, std::string* uuid);

// Whether CloudFormation accepts an update of a stack in `status`.
bool IsUpdatable(const std::string& status);
// kConflict with CloudFormation's message for a stack whose status forbids an update.
base::Status CannotUpdate(const StackRecord& record);

// `parameters` as stored: NoEcho values replaced by kMaskedValue.
std::vector<StoredParameter> Masked(const std::vector<ResolvedParameter>& parameters);

}  // namespace ecsync::aws
