#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "base/result.h"

namespace ecsync::aws {

// The two form-encoded protocols. They differ in list naming (Query: "Tags.member.1.Key";
// EC2: "SubnetId.1", "Filter.1.Value.1"), in the response wrapper (Query wraps the result
// in <ActionResult>; EC2 does not) and in the error envelope.
enum class Protocol { kQuery, kEc2 };

// Request parameters in the order they are sent, names already flattened.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "Action=<action>&Version=<version>&k=v..." with keys and values percent-encoded.
std::string FormEncode(const std::string& action, const std::string& version,
                       const QueryParams& params);

// Appends a list of strings under `name`: "name.member.N" (Query) or "name.N" (EC2).
void AddStringList(QueryParams* params, const std::string& name,
                   const std::vector<std::string>& values, Protocol protocol);
// The name prefix of the `index`-th (1-based) element of list `name`, e.g. "Tags.member.2"
// (Query) or "Filter.2" (EC2); callers append ".Key" etc.
std::string ListElement(const std::string& name, int index, Protocol protocol);

// A parsed XML document; cheap to copy (shared, immutable).
class XmlDocument {
 public:
  // kInternal when `body` is not well-formed XML.
  static base::Result<XmlDocument> Parse(std::string_view body);
  pugi::xml_node root() const { return doc_->document_element(); }

 private:
  std::shared_ptr<pugi::xml_document> doc_;
};

// Local name of an element (without any "prefix:").
std::string_view LocalName(pugi::xml_node node);
// First child element whose local name is `name` (null node when none).
pugi::xml_node Child(pugi::xml_node node, std::string_view name);
// Text of the first child named `name`, or "" when absent.
std::string ChildText(pugi::xml_node node, std::string_view name);
// Child elements named `item` of the child named `list` ("member" for Query, "item" for EC2).
std::vector<pugi::xml_node> ListItems(pugi::xml_node node, std::string_view list,
                                      std::string_view item);

// An AWS error as the server reported it.
struct AwsError {
  std::string code;
  std::string message;
  std::string type;  // "Sender" / "Receiver", may be empty
  std::string request_id;
};
// Reads <ErrorResponse><Error>... (Query) or <Response><Errors><Error>... (EC2).
std::optional<AwsError> ParseAwsError(std::string_view body);

// The kind an error gets, which decides whether callers retry:
//   Throttling, ThrottlingException, RequestLimitExceeded, TooManyRequestsException,
//   RequestThrottled(Exception), SlowDown, or HTTP 429 -> kThrottled;
//   HTTP 5xx -> kTransient;
//   ValidationError whose message says "does not exist", or a code ending in ".NotFound"
//   -> kNotFound;
//   any other 4xx -> kInvalid.
base::ErrorKind ErrorKindFor(int http_status, const std::string& code, const std::string& message);

// The Status for a non-2xx response: message "<Code>: <Message>" (or "HTTP <status>" with
// the start of the body when it is not an AWS error document).
base::Status ErrorStatusFromResponse(int http_status, std::string_view body);

}  // namespace ecsync::aws
