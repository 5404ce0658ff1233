#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "aws/http.h"
#include "aws/query.h"

namespace ecsync::aws {

// Readers of one field of a JSON object, as the JSON protocols' outputs are read: a field
// that is absent or of another type reads as "", 0 or an empty array (AWS leaves out what
// it has no value for). `object` may be any JSON value.
std::string JsonString(const nlohmann::json& object, std::string_view key);
int JsonInt(const nlohmann::json& object, std::string_view key);
const nlohmann::json& JsonArray(const nlohmann::json& object, std::string_view key);

// The error of a JSON-protocol response (JSON 1.1 and REST-JSON): the code from the
// X-Amzn-ErrorType header or the body's "__type"/"code" (namespace before '#' and any
// ":<url>" suffix removed), the message from "message"/"Message"/"errorMessage".
// nullopt when neither names a code.
std::optional<AwsError> ParseJsonError(const HttpResponse& response);

// The error of a REST-XML (S3) response: <Error><Code>; when the body is empty (HEAD, or a
// proxy), a code from the status (e.g. 404 NotFound, 403 AccessDenied).
std::optional<AwsError> ParseRestXmlError(const HttpResponse& response);

}  // namespace ecsync::aws
