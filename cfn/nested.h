#pragma once

// Splitting a converted template that one CloudFormation stack cannot hold into a parent
// template and nested (child) stacks, and deciding before any AWS call whether a template
// needs the S3 template bucket. Pure functions over JSON; thread-safe.
//
// Sizes are those of the compact serialization (`tmpl.dump()`), which is what the
// reconciler sends.
//
// How a template is split (SplitIntoNestedStacks):
// - A template within the limits is returned as it is: same logical IDs, byte-identical.
// - Resources are grouped by compose service, from the logical IDs cfn/names.h gives them:
//   `<Svc>` is known from each `<Svc>Service` of type AWS::ECS::Service, and a resource
//   whose ID is `<Svc>` followed by a per-service suffix (TaskDefinition, TaskExecutionRole,
//   TaskRole, ServiceDiscoveryEntry, ScalableTarget, ScalingPolicy, AutoScalingRole,
//   `<PROTO><port>TargetGroup`, `<PROTO><port>Listener`), or that carries the tag
//   com.docker.compose.service, belongs to that service. A resource that belongs to no
//   service but refers to the resources of exactly one joins that service's group. A
//   service's group is never divided.
// - Everything else (cluster, log group, namespace, load balancer, security groups, secrets,
//   file systems, ...) is shared and stays in the parent with its logical ID. Only when the
//   parent itself would exceed the limits do shared resources that nothing refers to (such
//   as ingress rules) move into children.
// - Groups fill children in order (next fit), dependencies first: a group comes after the
//   groups it refers to, ties in logical-ID order. References between children therefore
//   point backwards only, and the stack graph has no cycle for what Convert emits.
// - Children are AWS::CloudFormation::Stack resources `Services1Stack`, `Services2Stack`, ...
//   in the parent, with TemplateURL from the caller's function.
// - A reference that crosses stacks becomes a child Parameter: `Ref X` keeps its text (the
//   parameter is named X), `Fn::GetAtt [X, Attr]` and `${X.Attr}` become a reference to the
//   parameter `XAttr`. The parent passes the value: `Ref`/`Fn::GetAtt` of its own resource,
//   `Fn::GetAtt [ServicesNStack, Outputs.X]` of another child's, which then declares that
//   Output. Template parameters a child uses are copied into it with their definition
//   (NoEcho included); list parameters and list attributes travel joined by commas. A value
//   of a resource with a Condition travels as `Fn::If [cond, value, ""]`.
// - `DependsOn` on a resource in another stack becomes `DependsOn` of the child's stack
//   resource on that resource (or on that child's stack).
// - Conditions and Mappings a child uses are copied into it (with the parameters they use).
//   The parent keeps every Parameter (callers pass them as before) and only the Conditions
//   it still uses.
// - Resources, Outputs and Fn::Sub in the parent that refer to a moved resource read the
//   child's Output through `Fn::GetAtt [ServicesNStack, Outputs.X]`.
//
// Moving a resource between stacks replaces it (CloudFormation creates the new one before
// deleting the old); a deployed project that crosses a limit, or whose groups shift to
// another child, has its services recreated.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cfn/json.h"

namespace ecsync::cfn {

// CloudFormation's limits per stack. Tests pass smaller figures to split small projects.
struct StackLimits {
  size_t max_resources = 500;
  // A template passed by TemplateURL (each child, and the parent).
  size_t max_template_bytes = 1'000'000;
  // A template passed inline as TemplateBody.
  size_t max_inline_bytes = 51'200;
  size_t max_parameters = 200;
  size_t max_outputs = 200;
};

struct ChildStack {
  std::string logical_id;  // "Services1Stack": the stack resource in the parent
  Json tmpl;
  std::string body;  // tmpl.dump(): what the caller uploads
  std::string url;   // what the URL function returned for it
};

struct NestedTemplates {
  // The template to deploy as the stack. Without children, the input unchanged.
  Json parent;
  std::vector<ChildStack> children;  // in number order
};

// The TemplateURL of child `number` (1-based, the N of ServicesNStack) whose template is
// `body`. Called once per child, in number order, before the parent is built. The caller
// uploads `body` (content-addressed, so the parent changes exactly when a child does).
using TemplateUrlFunction = std::function<std::string(size_t number, const std::string& body)>;

// The template as is when it is within limits.max_resources and limits.max_template_bytes,
// otherwise a parent and children as described above, each within the limits. Deterministic:
// the same template and URLs give byte-identical output. kInvalid naming the service when a
// service's group alone exceeds a child's limits, or naming what could not be placed when
// the parent cannot be made to fit or stacks would refer to each other in a cycle.
// REQUIRES: `tmpl` is an object with a Resources object (what Convert returns).
base::Result<NestedTemplates> SplitIntoNestedStacks(const Json& tmpl,
                                                    const TemplateUrlFunction& template_url,
                                                    const StackLimits& limits = {});

// What decides where a template goes.
struct TemplateFigures {
  size_t resources = 0;
  size_t bytes = 0;  // compact JSON
};
TemplateFigures MeasureTemplate(const Json& tmpl);

// True when the template is too large to send inline (over limits.max_inline_bytes) or needs
// nested stacks (over limits.max_resources): either way it goes through S3.
bool NeedsTemplateBucket(const Json& tmpl, const StackLimits& limits = {});

// Ok when the template needs no bucket or `bucket_configured`. Otherwise kInvalid naming
// `stack`, the template's resources and bytes, the limit it exceeds and the configuration
// key aws.template_bucket: meant to be checked before any AWS call.
base::Status CheckTemplateBucket(std::string_view stack, const Json& tmpl, bool bucket_configured,
                                 const StackLimits& limits = {});

}  // namespace ecsync::cfn
