#include "aws/stack_files_template.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <string_view>

#include "base/strings.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kFormatError[] = "Template format error: ";

// Top-level sections CloudFormation accepts.
const std::set<std::string>& KnownSections() {
  static const std::set<std::string> kSections = {"AWSTemplateFormatVersion",
                                                  "Description",
                                                  "Metadata",
                                                  "Parameters",
                                                  "Rules",
                                                  "Mappings",
                                                  "Conditions",
                                                  "Transform",
                                                  "Resources",
                                                  "Outputs"};
  return kSections;
}

// Resource attributes that show up as a change set's Scope when they differ.
constexpr const char* kScopedAttributes[] = {"Metadata", "CreationPolicy", "UpdatePolicy",
                                             "DeletionPolicy", "UpdateReplacePolicy"};

// A plain (unquoted, untagged) YAML scalar under YAML 1.2's core schema.
Json PlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const size_t sign = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  const std::string_view digits = std::string_view(text).substr(sign);
  if (!digits.empty() && digits.size() <= 18 &&
      std::all_of(digits.begin(), digits.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return static_cast<int64_t>(std::stoll(text));
  }
  return text;
}

// Wraps `value` in the long form of a short-form intrinsic tag ("!Ref", "!GetAtt", ...).
Json LongForm(const std::string& tag, Json value) {
  std::string name = tag.substr(1);
  if (name == "Ref" || name == "Condition") return Json{{name, std::move(value)}};
  if (name == "GetAtt" && value.is_string()) {
    std::string text = value.get<std::string>();
    size_t dot = text.find('.');
    Json parts = Json::array();
    parts.push_back(text.substr(0, dot));
    if (dot != std::string::npos) parts.push_back(text.substr(dot + 1));
    value = std::move(parts);
  }
  return Json{{"Fn::" + name, std::move(value)}};
}

Json FromYaml(const YAML::Node& node) {
  Json value;
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      value = node.Tag() == "?" ? PlainScalar(node.Scalar()) : Json(node.Scalar());
      break;
    case YAML::NodeType::Sequence:
      value = Json::array();
      for (const YAML::Node& child : node) value.push_back(FromYaml(child));
      break;
    case YAML::NodeType::Map:
      value = Json::object();
      for (const auto& entry : node) value[entry.first.as<std::string>()] = FromYaml(entry.second);
      break;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      value = nullptr;
      break;
  }
  const std::string& tag = node.Tag();
  if (tag.size() > 1 && tag[0] == '!' && tag[1] != '!') return LongForm(tag, std::move(value));
  return value;
}

base::Result<Json> ParseYaml(const std::string& body) {
  try {
    return FromYaml(YAML::Load(body));
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? ""
                                         : "line " + std::to_string(e.mark.line + 1) + ", column " +
                                               std::to_string(e.mark.column + 1) + ": ";
    return base::InvalidError(std::string(kFormatError) + "YAML not well-formed. (" + where +
                              e.msg + ")");
  }
}

base::Result<Json> ParseJson(const std::string& body) {
  try {
    return Json::parse(body);
  } catch (const Json::exception& e) {
    return base::InvalidError(std::string(kFormatError) + "JSON not well-formed. (" + e.what() +
                              ")");
  }
}

base::Status CheckStructure(const Json& doc) {
  if (!doc.is_object())
    return base::InvalidError(std::string(kFormatError) + "unsupported structure.");
  std::string unknown;
  for (const auto& [key, value] : doc.items()) {
    if (KnownSections().count(key) == 0) unknown += (unknown.empty() ? "" : ", ") + key;
  }
  if (!unknown.empty()) {
    return base::InvalidError(std::string(kFormatError) +
                              "Invalid template property or properties [" + unknown + "]");
  }
  auto resources = doc.find("Resources");
  if (resources == doc.end() || !resources->is_object() || resources->empty()) {
    return base::InvalidError(std::string(kFormatError) +
                              "At least one Resources member must be defined.");
  }
  for (const auto& [logical_id, resource] : resources->items()) {
    auto type = resource.is_object() ? resource.find("Type") : resource.end();
    if (!resource.is_object() || type == resource.end() || !type->is_string()) {
      return base::InvalidError(std::string(kFormatError) + "[/Resources/" + logical_id +
                                "] Every Resources object must contain a Type member.");
    }
  }
  auto parameters = doc.find("Parameters");
  if (parameters != doc.end()) {
    if (!parameters->is_object()) {
      return base::InvalidError(std::string(kFormatError) +
                                "Parameters section must be an object.");
    }
    for (const auto& [key, parameter] : parameters->items()) {
      if (!parameter.is_object() || !parameter.contains("Type")) {
        return base::InvalidError(std::string(kFormatError) + "[/Parameters/" + key +
                                  "] Every Parameters object must contain a Type attribute.");
      }
    }
  }
  return base::Status::Ok();
}

// A scalar as CloudFormation would pass it on: strings as they are, numbers and booleans
// as their JSON text, lists joined with commas (CommaDelimitedList defaults).
std::string ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const Json& item : value) out += (out.empty() ? "" : ",") + ScalarText(item);
    return out;
  }
  if (value.is_null()) return "";
  return value.dump();
}

bool IsNoEcho(const Json& parameter) {
  auto no_echo = parameter.find("NoEcho");
  if (no_echo == parameter.end()) return false;
  if (no_echo->is_boolean()) return no_echo->get<bool>();
  return base::AsciiLower(ScalarText(*no_echo)) == "true";
}

const Json& Section(const Json& doc, const char* name) {
  static const Json kEmpty = Json::object();
  if (!doc.is_object()) return kEmpty;
  auto it = doc.find(name);
  return it != doc.end() && it->is_object() ? *it : kEmpty;
}

const Json& Member(const Json& object, const char* name) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) out += (out.empty() ? "" : ", ") + key;
  return out;
}

void AddPropertyDetails(const Json& old_properties, const Json& new_properties,
                        ResourceChange* change) {
  std::set<std::string> names;
  for (const Json* properties : {&old_properties, &new_properties}) {
    if (!properties->is_object()) continue;
    for (const auto& [name, value] : properties->items()) names.insert(name);
  }
  bool tags_changed = false;
  bool properties_changed = false;
  std::vector<ResourceChangeDetail> details;
  for (const std::string& name : names) {
    if (SameTemplate(Member(old_properties, name.c_str()), Member(new_properties, name.c_str()))) {
      continue;
    }
    ResourceChangeDetail detail;
    detail.evaluation = "Static";
    detail.change_source = "DirectModification";
    if (name == "Tags") {
      tags_changed = true;
      detail.attribute = "Tags";
      detail.requires_recreation = "Never";
    } else {
      properties_changed = true;
      detail.attribute = "Properties";
      detail.name = name;
      detail.requires_recreation = "Conditionally";
    }
    details.push_back(std::move(detail));
  }
  if (properties_changed) change->scope.push_back("Properties");
  if (tags_changed) change->scope.push_back("Tags");
  if (properties_changed && change->replacement == "False") change->replacement = "Conditional";
  for (ResourceChangeDetail& detail : details) change->details.push_back(std::move(detail));
}

ResourceChange ModifyChange(const Json& old_resource, const Json& new_resource) {
  ResourceChange change;
  change.action = "Modify";
  change.replacement =
      SameTemplate(Member(old_resource, "Type"), Member(new_resource, "Type")) ? "False" : "True";
  AddPropertyDetails(Member(old_resource, "Properties"), Member(new_resource, "Properties"),
                     &change);
  for (const char* attribute : kScopedAttributes) {
    if (!SameTemplate(Member(old_resource, attribute), Member(new_resource, attribute))) {
      change.scope.push_back(attribute);
      ResourceChangeDetail detail;
      detail.attribute = attribute;
      detail.requires_recreation = "Never";
      detail.evaluation = "Static";
      detail.change_source = "DirectModification";
      change.details.push_back(std::move(detail));
    }
  }
  return change;
}

// True when `value` refers to parameter `name`: {"Ref": name}, or "${name}" inside the
// template string of a Fn::Sub, at any depth.
bool UsesParameter(const Json& value, const std::string& name) {
  if (value.is_array()) {
    return std::any_of(value.begin(), value.end(),
                       [&](const Json& item) { return UsesParameter(item, name); });
  }
  if (!value.is_object()) return false;
  if (value.size() == 1) {
    const Json& ref = Member(value, "Ref");
    if (ref.is_string() && ref.get<std::string>() == name) return true;
    const Json& sub = Member(value, "Fn::Sub");
    const Json& text = sub.is_array() && !sub.empty() ? sub[0] : sub;
    if (text.is_string() && text.get<std::string>().find("${" + name + "}") != std::string::npos) {
      return true;
    }
  }
  for (const auto& [key, item] : value.items()) {
    if (UsesParameter(item, name)) return true;
  }
  return false;
}

}  // namespace

base::Result<ParsedTemplate> ParseTemplate(const std::string& body) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return base::InvalidError("Template body must not be empty.");
  ParsedTemplate parsed;
  parsed.yaml = body[first] != '{';
  base::Result<Json> doc = parsed.yaml ? ParseYaml(body) : ParseJson(body);
  if (!doc.ok()) return doc.status();
  ECSYNC_RETURN_IF_ERROR(CheckStructure(*doc));
  parsed.doc = std::move(doc).value();
  return parsed;
}

std::string StoredTemplateBody(const ParsedTemplate& parsed, const std::string& body) {
  if (parsed.yaml) return body;
  return parsed.doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool SameTemplate(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
  return nlohmann::json(a) == nlohmann::json(b);
}

TemplateValidation DescribeTemplate(const nlohmann::ordered_json& doc) {
  TemplateValidation out;
  for (const auto& [key, parameter] : Section(doc, "Parameters").items()) {
    TemplateParameter p;
    p.key = key;
    const Json& default_value = Member(parameter, "Default");
    if (!default_value.is_null()) p.default_value = ScalarText(default_value);
    p.no_echo = IsNoEcho(parameter);
    const Json& description = Member(parameter, "Description");
    if (!description.is_null()) p.description = ScalarText(description);
    out.parameters.push_back(std::move(p));
  }
  const Json& description = Member(doc, "Description");
  if (!description.is_null()) out.description = ScalarText(description);
  const Json& transform = Member(doc, "Transform");
  if (transform.is_string()) out.declared_transforms.push_back(transform.get<std::string>());
  if (transform.is_array()) {
    for (const Json& name : transform) {
      if (name.is_string()) out.declared_transforms.push_back(name.get<std::string>());
    }
  }
  static const std::set<std::string> kNameProperties = {"RoleName", "UserName", "GroupName",
                                                        "ManagedPolicyName", "InstanceProfileName"};
  bool named = false;
  std::vector<std::string> iam_types;
  for (const auto& [logical_id, resource] : Section(doc, "Resources").items()) {
    std::string type = ScalarText(Member(resource, "Type"));
    if (!type.starts_with("AWS::IAM::")) continue;
    if (std::find(iam_types.begin(), iam_types.end(), type) == iam_types.end()) {
      iam_types.push_back(type);
    }
    const Json& properties = Member(resource, "Properties");
    if (!properties.is_object()) continue;
    for (const std::string& name : kNameProperties) named = named || properties.contains(name);
  }
  if (!iam_types.empty()) {
    out.capabilities.push_back(named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM");
    out.capabilities_reason =
        "The following resource(s) require capabilities: [" + JoinKeys(iam_types) + "]";
  }
  return out;
}

base::Status CheckCapabilities(const nlohmann::ordered_json& doc,
                               const std::vector<std::string>& granted) {
  auto has = [&](const char* capability) {
    return std::find(granted.begin(), granted.end(), capability) != granted.end();
  };
  for (const std::string& required : DescribeTemplate(doc).capabilities) {
    bool ok =
        has("CAPABILITY_NAMED_IAM") || (required == "CAPABILITY_IAM" && has("CAPABILITY_IAM"));
    if (!ok) return base::InvalidError("Requires capabilities : [" + required + "]");
  }
  return base::Status::Ok();
}

base::Result<std::vector<ResolvedParameter>> ResolveParameters(
    const nlohmann::ordered_json& doc, const std::vector<Parameter>& given) {
  const Json& declared = Section(doc, "Parameters");
  std::map<std::string, std::string> values;
  std::vector<std::string> unknown;
  for (const Parameter& p : given) {
    if (!declared.contains(p.key)) {
      if (std::find(unknown.begin(), unknown.end(), p.key) == unknown.end()) {
        unknown.push_back(p.key);
      }
      continue;
    }
    values[p.key] = p.value;
  }
  if (!unknown.empty()) {
    return base::InvalidError("Parameters: [" + JoinKeys(unknown) +
                              "] do not exist in the template");
  }
  std::vector<ResolvedParameter> resolved;
  std::vector<std::string> missing;
  for (const auto& [key, parameter] : declared.items()) {
    ResolvedParameter p;
    p.key = key;
    p.no_echo = IsNoEcho(parameter);
    auto value = values.find(key);
    const Json& default_value = Member(parameter, "Default");
    if (value != values.end()) {
      p.value = value->second;
    } else if (!default_value.is_null()) {
      p.value = ScalarText(default_value);
    } else {
      missing.push_back(key);
      continue;
    }
    const Json& allowed = Member(parameter, "AllowedValues");
    if (allowed.is_array() && std::none_of(allowed.begin(), allowed.end(), [&](const Json& a) {
          return ScalarText(a) == p.value;
        })) {
      return base::InvalidError("Parameter '" + key + "' must be one of AllowedValues");
    }
    resolved.push_back(std::move(p));
  }
  if (!missing.empty()) {
    return base::InvalidError("Parameters: [" + JoinKeys(missing) + "] must have values");
  }
  return resolved;
}

std::string PhysicalResourceId(const std::string& stack_name, const std::string& logical_id) {
  return stack_name + "-" + logical_id;
}

std::vector<ResourceChange> DiffResources(const nlohmann::ordered_json& old_doc,
                                          const nlohmann::ordered_json& new_doc,
                                          const std::string& stack_name) {
  const Json& old_resources = Section(old_doc, "Resources");
  const Json& new_resources = Section(new_doc, "Resources");
  std::vector<ResourceChange> changes;
  for (const auto& [logical_id, resource] : new_resources.items()) {
    auto old = old_resources.find(logical_id);
    ResourceChange change;
    if (old == old_resources.end()) {
      change.action = "Add";
    } else if (SameTemplate(*old, resource)) {
      continue;
    } else {
      change = ModifyChange(*old, resource);
      change.physical_id = PhysicalResourceId(stack_name, logical_id);
    }
    change.logical_id = logical_id;
    change.resource_type = ScalarText(Member(resource, "Type"));
    changes.push_back(std::move(change));
  }
  for (const auto& [logical_id, resource] : old_resources.items()) {
    if (new_resources.contains(logical_id)) continue;
    ResourceChange change;
    change.action = "Remove";
    change.logical_id = logical_id;
    change.physical_id = PhysicalResourceId(stack_name, logical_id);
    change.resource_type = ScalarText(Member(resource, "Type"));
    changes.push_back(std::move(change));
  }
  return changes;
}

void AddParameterChanges(const nlohmann::ordered_json& doc,
                         const std::vector<std::string>& changed_parameters,
                         const std::string& stack_name, std::vector<ResourceChange>* changes) {
  if (changed_parameters.empty()) return;
  std::vector<ResourceChange> added;
  for (const auto& [logical_id, resource] : Section(doc, "Resources").items()) {
    const Json& properties = Member(resource, "Properties");
    std::vector<ResourceChangeDetail> details;
    for (const std::string& parameter : changed_parameters) {
      if (!properties.is_object()) break;
      for (const auto& [property, value] : properties.items()) {
        if (!UsesParameter(value, parameter)) continue;
        ResourceChangeDetail detail;
        detail.attribute = "Properties";
        detail.name = property;
        detail.requires_recreation = "Conditionally";
        detail.evaluation = "Dynamic";
        detail.change_source = "ParameterReference";
        detail.causing_entity = parameter;
        details.push_back(std::move(detail));
      }
    }
    if (details.empty()) continue;
    // A named copy: clang before 16 cannot capture a structured binding in a lambda.
    const std::string& id = logical_id;
    auto existing = std::find_if(changes->begin(), changes->end(),
                                 [&](const ResourceChange& c) { return c.logical_id == id; });
    if (existing != changes->end()) {
      if (existing->action != "Modify") continue;
      for (ResourceChangeDetail& detail : details) existing->details.push_back(std::move(detail));
      if (std::find(existing->scope.begin(), existing->scope.end(), "Properties") ==
          existing->scope.end()) {
        existing->scope.insert(existing->scope.begin(), "Properties");
      }
      if (existing->replacement == "False") existing->replacement = "Conditional";
      continue;
    }
    ResourceChange change;
    change.action = "Modify";
    change.logical_id = logical_id;
    change.physical_id = PhysicalResourceId(stack_name, logical_id);
    change.resource_type = ScalarText(Member(resource, "Type"));
    change.replacement = "Conditional";
    change.scope = {"Properties"};
    change.details = std::move(details);
    added.push_back(std::move(change));
  }
  for (ResourceChange& change : added) changes->push_back(std::move(change));
}

std::map<std::string, std::string> ResolveOutputs(
    const nlohmann::ordered_json& doc, const std::string& stack_name, const std::string& stack_id,
    const std::vector<ResolvedParameter>& parameters) {
  std::map<std::string, std::string> outputs;
  const Json& resources = Section(doc, "Resources");
  for (const auto& [key, output] : Section(doc, "Outputs").items()) {
    const Json& value = Member(output, "Value");
    if (value.is_string() || value.is_number() || value.is_boolean()) {
      outputs[key] = ScalarText(value);
      continue;
    }
    const Json& ref = Member(value, "Ref");
    if (!ref.is_string() || value.size() != 1) continue;
    std::string target = ref.get<std::string>();
    auto parameter = std::find_if(parameters.begin(), parameters.end(),
                                  [&](const ResolvedParameter& p) { return p.key == target; });
    if (parameter != parameters.end()) {
      outputs[key] = parameter->no_echo ? "****" : parameter->value;
    } else if (resources.contains(target)) {
      outputs[key] = PhysicalResourceId(stack_name, target);
    } else if (target == "AWS::StackName") {
      outputs[key] = stack_name;
    } else if (target == "AWS::StackId") {
      outputs[key] = stack_id;
    }
  }
  return outputs;
}

}  // namespace ecsync::aws
