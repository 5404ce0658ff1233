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

// The wire protocols. The two form-encoded ones differ in list naming (Query:
// "Tags.member.1.Key"; EC2: "SubnetId.1", "Filter.1.Value.1"), in the response wrapper
// (Query wraps the result in <ActionResult>; EC2 does not) and in the error envelope.
// kJson is JSON 1.1 (X-Amz-Target); kRestXml is S3's; kRestJson is EFS's.
enum class Protocol { kQuery, kEc2, kJson, kRestXml, kRestJson };

// Request parameters in the order they are sent, names already flattened.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "Action=<action>&Version=<version>&k=v..." with keys and values form-encoded as the SDKs
// encode them (FormUrlEncode: a space is '+'), in the order given.
std::string FormEncode(const std::string& action, const std::string& version,
                       const QueryParams& params);

// Appends a list of strings under `name`: "name.member.N" (Query) or "name.N" (EC2).
void AddStringList(QueryParams* params, const std::string& name,
                   const std::vector<std::string>& values, Protocol protocol);
// Appends a list of two-member structures under `name`, e.g. Tags as "Tags.member.N.Key"
// and "Tags.member.N.Value" (Query) with `first` "Key" and `second` "Value".
void AddPairList(QueryParams* params, const std::string& name, const std::string& first,
                 const std::string& second,
                 const std::vector<std::pair<std::string, std::string>>& pairs, Protocol protocol);
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

// The kind an error gets, which tells callers what to do next:
//   a throttling code (IsThrottlingCode) or HTTP 429 -> kThrottled;
//   HTTP 5xx (but 501) or a transient code (IsTransientCode) -> kTransient;
//   ValidationError saying "does not exist", a code ending in "NotFound",
//   "NotFoundException" or ".NotFound", NoSuchBucket/NoSuchKey/NoSuchEntity -> kNotFound;
//   AlreadyExistsException, InvalidChangeSetStatus, TokenAlreadyExistsException,
//   OperationInProgressException, ConcurrentModificationException, DynamoDB's
//   ConditionalCheckFailedException, TransactionConflictException and ResourceInUseException
//   (a table that exists or is changing), or a ValidationError saying the stack is in a state that
//   forbids the call ("... state and can not be updated") -> kConflict;
//   any other 4xx -> kInvalid.
base::ErrorKind ErrorKindFor(int http_status, const std::string& code, const std::string& message);

// The Status for a non-2xx response: message "<Code>: <Message>" (or "HTTP <status>" with
// the start of the body when it is not an AWS error document).
base::Status ErrorStatusFromResponse(int http_status, std::string_view body);

}  // namespace ecsync::aws
