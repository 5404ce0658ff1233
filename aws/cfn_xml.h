#pragma once

#include <pugixml.hpp>

#include "aws/cloudformation.h"
#include "aws/query.h"

namespace ecsync::aws {

// Readers for CloudFormation's Query-protocol result elements (the <member> of a list).
// Absent elements leave fields at their defaults.
Stack ParseStack(pugi::xml_node member);
StackEvent ParseStackEvent(pugi::xml_node member);
ResourceChange ParseResourceChange(pugi::xml_node change_member);
StackResource ParseStackResourceSummary(pugi::xml_node member);
ResourceDrift ParseResourceDrift(pugi::xml_node member);
TemplateValidation ParseTemplateValidation(pugi::xml_node result);
DriftDetection ParseDriftDetection(pugi::xml_node result);

// Adds TemplateBody or TemplateURL, Parameters, Tags and Capabilities.
void AddTemplateParams(QueryParams* params, const std::string& template_body,
                       const std::string& template_url, const std::vector<Parameter>& parameters,
                       const std::map<std::string, std::string>& tags,
                       const std::vector<std::string>& capabilities);

}  // namespace ecsync::aws
