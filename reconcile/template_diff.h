#pragma once

#include <string>
#include <vector>

namespace ecsync::reconcile {

// A readable difference between two CloudFormation templates (JSON text), one line per
// change, sorted by path:
//   + Resources.Queue (AWS::SQS::Queue)
//   - Resources.OldTopic (AWS::SNS::Topic)
//   ~ Resources.WebService.Properties.DesiredCount: 1 -> 2
// Values longer than 120 characters are shortened. Empty when the templates are equal.
// A template that does not parse as JSON gives one line saying so.
std::vector<std::string> DiffTemplates(const std::string& before, const std::string& after);

}  // namespace ecsync::reconcile
