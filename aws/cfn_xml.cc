#include "aws/cfn_xml.h"

#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

constexpr Protocol kCfnXml = Protocol::kQuery;

std::chrono::system_clock::time_point TimeOf(pugi::xml_node node, std::string_view name) {
  if (auto parsed = ParseIso8601(ChildText(node, name))) return *parsed;
  return {};
}

// Reads what every resource-level element (an event, a change, a summary, a drift) says of
// its resource into the same-named members of `out`: the logical id, the type, and the
// physical id and status where `T` has them.
template <typename T>
void ReadResource(pugi::xml_node node, T* out) {
  out->logical_id = ChildText(node, "LogicalResourceId");
  out->resource_type = ChildText(node, "ResourceType");
  if constexpr (requires { out->physical_id; }) {
    out->physical_id = ChildText(node, "PhysicalResourceId");
  }
  if constexpr (requires { out->status; }) out->status = ChildText(node, "ResourceStatus");
}

}  // namespace

Stack ParseStack(pugi::xml_node node) {
  Stack stack;
  stack.name = ChildText(node, "StackName");
  stack.id = ChildText(node, "StackId");
  stack.status = ChildText(node, "StackStatus");
  stack.status_reason = ChildText(node, "StackStatusReason");
  stack.termination_protection = ChildText(node, "EnableTerminationProtection") == "true";
  stack.parent_id = ChildText(node, "ParentId");
  stack.root_id = ChildText(node, "RootId");
  for (pugi::xml_node tag : ListItems(node, "Tags", "member")) {
    stack.tags[ChildText(tag, "Key")] = ChildText(tag, "Value");
  }
  for (pugi::xml_node output : ListItems(node, "Outputs", "member")) {
    stack.outputs[ChildText(output, "OutputKey")] = ChildText(output, "OutputValue");
  }
  return stack;
}

StackEvent ParseStackEvent(pugi::xml_node node) {
  StackEvent event;
  event.event_id = ChildText(node, "EventId");
  ReadResource(node, &event);
  event.reason = ChildText(node, "ResourceStatusReason");
  event.timestamp = TimeOf(node, "Timestamp");
  return event;
}

ResourceChange ParseResourceChange(pugi::xml_node member) {
  // <member><Type>Resource</Type><ResourceChange>...</ResourceChange></member>
  pugi::xml_node rc = Child(member, "ResourceChange");
  ResourceChange change;
  change.action = ChildText(rc, "Action");
  ReadResource(rc, &change);
  change.replacement = ChildText(rc, "Replacement");
  for (pugi::xml_node scope : ListItems(rc, "Scope", "member")) {
    change.scope.push_back(scope.child_value());
  }
  for (pugi::xml_node d : ListItems(rc, "Details", "member")) {
    ResourceChangeDetail detail;
    pugi::xml_node target = Child(d, "Target");
    detail.attribute = ChildText(target, "Attribute");
    detail.name = ChildText(target, "Name");
    detail.requires_recreation = ChildText(target, "RequiresRecreation");
    detail.evaluation = ChildText(d, "Evaluation");
    detail.change_source = ChildText(d, "ChangeSource");
    detail.causing_entity = ChildText(d, "CausingEntity");
    change.details.push_back(std::move(detail));
  }
  return change;
}

StackResource ParseStackResourceSummary(pugi::xml_node node) {
  StackResource resource;
  ReadResource(node, &resource);
  resource.status_reason = ChildText(node, "ResourceStatusReason");
  resource.drift_status = ChildText(Child(node, "DriftInformation"), "StackResourceDriftStatus");
  resource.last_updated = TimeOf(node, "LastUpdatedTimestamp");
  return resource;
}

ResourceDrift ParseResourceDrift(pugi::xml_node node) {
  ResourceDrift drift;
  ReadResource(node, &drift);
  drift.drift_status = ChildText(node, "StackResourceDriftStatus");
  for (pugi::xml_node p : ListItems(node, "PropertyDifferences", "member")) {
    drift.differences.push_back({ChildText(p, "PropertyPath"), ChildText(p, "ExpectedValue"),
                                 ChildText(p, "ActualValue"), ChildText(p, "DifferenceType")});
  }
  return drift;
}

TemplateValidation ParseTemplateValidation(pugi::xml_node result) {
  TemplateValidation out;
  out.description = ChildText(result, "Description");
  out.capabilities_reason = ChildText(result, "CapabilitiesReason");
  for (pugi::xml_node p : ListItems(result, "Parameters", "member")) {
    out.parameters.push_back({ChildText(p, "ParameterKey"), ChildText(p, "DefaultValue"),
                              ChildText(p, "NoEcho") == "true", ChildText(p, "Description")});
  }
  for (pugi::xml_node c : ListItems(result, "Capabilities", "member")) {
    out.capabilities.push_back(c.child_value());
  }
  for (pugi::xml_node t : ListItems(result, "DeclaredTransforms", "member")) {
    out.declared_transforms.push_back(t.child_value());
  }
  return out;
}

DriftDetection ParseDriftDetection(pugi::xml_node result) {
  DriftDetection out;
  out.detection_id = ChildText(result, "StackDriftDetectionId");
  out.stack_id = ChildText(result, "StackId");
  out.detection_status = ChildText(result, "DetectionStatus");
  out.detection_status_reason = ChildText(result, "DetectionStatusReason");
  out.stack_drift_status = ChildText(result, "StackDriftStatus");
  std::string count = ChildText(result, "DriftedStackResourceCount");
  if (!count.empty()) out.drifted_resource_count = std::atoi(count.c_str());
  return out;
}

void AddTemplateParams(QueryParams* params, const std::string& template_body,
                       const std::string& template_url, const std::vector<Parameter>& parameters,
                       const std::map<std::string, std::string>& tags,
                       const std::vector<std::string>& capabilities) {
  if (!template_url.empty()) {
    params->emplace_back("TemplateURL", template_url);
  } else {
    params->emplace_back("TemplateBody", template_body);
  }
  std::vector<std::pair<std::string, std::string>> keyed;
  keyed.reserve(parameters.size());
  for (const Parameter& p : parameters) keyed.emplace_back(p.key, p.value);
  AddPairList(params, "Parameters", "ParameterKey", "ParameterValue", keyed, kCfnXml);
  AddPairList(params, "Tags", "Key", "Value", {tags.begin(), tags.end()}, kCfnXml);
  AddStringList(params, "Capabilities", capabilities, kCfnXml);
}

}  // namespace ecsync::aws
