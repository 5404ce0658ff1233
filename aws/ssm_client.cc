#include "aws/ssm_client.h"

#include <nlohmann/json.hpp>

namespace ecsync::aws {

SsmClient::SsmClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

base::Result<SsmParameter> SsmClient::GetParameter(const std::string& name,
                                                   bool with_decryption) {
  nlohmann::json input{{"Name", name}, {"WithDecryption", with_decryption}};
  ECSYNC_ASSIGN_OR_RETURN(nlohmann::json output,
                          client_->CallJson(kSsmService, "GetParameter", input));
  auto parameter = output.find("Parameter");
  if (parameter == output.end() || !parameter->is_object()) {
    return base::InternalError("SSM GetParameter: response without a Parameter for " + name);
  }
  SsmParameter out;
  auto value = parameter->find("Value");
  if (value != parameter->end() && value->is_string()) out.value = value->get<std::string>();
  auto type = parameter->find("Type");
  if (type != parameter->end() && type->is_string()) out.type = type->get<std::string>();
  auto version = parameter->find("Version");
  if (version != parameter->end() && version->is_number_integer()) {
    out.version = version->get<int64_t>();
  }
  return out;
}

}  // namespace ecsync::aws
