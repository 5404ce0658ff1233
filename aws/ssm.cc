#include "aws/ssm.h"

#include "aws/json_protocol.h"

namespace ecsync::aws {

const ServiceInfo kSsmService{"SSM", "ssm", "ssm", "2014-11-06", Protocol::kJson, "AmazonSSM"};

namespace {

// A parameter that is not there is for a human to fix (wrong stack or name), not a retry.
base::Status Classify(base::Status status, const std::string& name) {
  if (!status.ok() && status.message().find("ParameterNotFound") != std::string::npos) {
    return base::NotFoundError("SSM parameter " + name + " does not exist");
  }
  return status;
}

}  // namespace

Ssm::Ssm(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Status Ssm::PutParameter(const std::string& name, const std::string& value) {
  nlohmann::json input{{"Name", name}, {"Value", value}, {"Type", "String"}, {"Overwrite", true}};
  return Classify(client_->CallJson(kSsmService, "PutParameter", input).status(), name);
}

base::Result<std::string> Ssm::GetParameter(const std::string& name) {
  auto output = client_->CallJson(kSsmService, "GetParameter", {{"Name", name}});
  if (!output.ok()) return Classify(output.status(), name);
  auto parameter = output->find("Parameter");
  if (parameter == output->end() || !parameter->is_object()) {
    return base::TransientError("SSM GetParameter " + name + ": the answer holds no parameter");
  }
  return JsonString(*parameter, "Value");
}

}  // namespace ecsync::aws
