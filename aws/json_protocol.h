#pragma once

#include <optional>
#include <string>

#include "aws/http.h"
#include "aws/query.h"

namespace ecsync::aws {

// The error of a JSON-protocol response (JSON 1.1 and REST-JSON): the code from the
// X-Amzn-ErrorType header or the body's "__type"/"code" (namespace before '#' and any
// ":<url>" suffix removed), the message from "message"/"Message"/"errorMessage".
// nullopt when neither names a code.
std::optional<AwsError> ParseJsonError(const HttpResponse& response);

// The error of a REST-XML (S3) response: <Error><Code>; when the body is empty (HEAD, or a
// proxy), a code from the status (e.g. 404 NotFound, 403 AccessDenied).
std::optional<AwsError> ParseRestXmlError(const HttpResponse& response);

}  // namespace ecsync::aws
