#include "aws/json_protocol.h"

namespace ecsync::aws {
namespace {

std::string CleanCode(std::string code) {
  size_t colon = code.find(':');
  if (colon != std::string::npos) code.resize(colon);
  size_t hash = code.rfind('#');
  if (hash != std::string::npos) code = code.substr(hash + 1);
  return code;
}

}  // namespace

std::string JsonString(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int JsonInt(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

const nlohmann::json& JsonArray(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

std::optional<AwsError> ParseJsonError(const HttpResponse& response) {
  AwsError error;
  error.request_id = response.Header("x-amzn-RequestId");
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    error.code = JsonString(body, "__type");
    if (error.code.empty()) error.code = JsonString(body, "code");
    for (const char* name : {"message", "Message", "errorMessage"}) {
      error.message = JsonString(body, name);
      if (!error.message.empty()) break;
    }
  }
  std::string header = response.Header("x-amzn-ErrorType");
  if (!header.empty()) error.code = header;
  error.code = CleanCode(error.code);
  if (error.code.empty()) return std::nullopt;
  return error;
}

std::optional<AwsError> ParseRestXmlError(const HttpResponse& response) {
  if (std::optional<AwsError> error = ParseAwsError(response.body)) return error;
  AwsError error;
  error.request_id = response.Header("x-amz-request-id");
  switch (response.status) {
    case 301:
      error.code = "PermanentRedirect";
      break;
    case 403:
      error.code = "AccessDenied";
      break;
    case 404:
      error.code = "NotFound";
      break;
    case 503:
      error.code = "SlowDown";
      break;
    default:
      return std::nullopt;
  }
  error.message = "HTTP " + std::to_string(response.status);
  return error;
}

}  // namespace ecsync::aws
