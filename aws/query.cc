#include "aws/query.h"

#include <array>

#include "aws/encoding.h"
#include "aws/retry.h"

namespace ecsync::aws {

std::string FormEncode(const std::string& action, const std::string& version,
                       const QueryParams& params) {
  std::string body = "Action=" + FormUrlEncode(action) + "&Version=" + FormUrlEncode(version);
  for (const auto& [key, value] : params) {
    body += "&" + FormUrlEncode(key) + "=" + FormUrlEncode(value);
  }
  return body;
}

std::string ListElement(const std::string& name, int index, Protocol protocol) {
  return protocol == Protocol::kQuery ? name + ".member." + std::to_string(index)
                                      : name + "." + std::to_string(index);
}

void AddStringList(QueryParams* params, const std::string& name,
                   const std::vector<std::string>& values, Protocol protocol) {
  int index = 1;
  for (const std::string& value : values) {
    params->emplace_back(ListElement(name, index++, protocol), value);
  }
}

void AddPairList(QueryParams* params, const std::string& name, const std::string& first,
                 const std::string& second,
                 const std::vector<std::pair<std::string, std::string>>& pairs, Protocol protocol) {
  int index = 1;
  for (const auto& [a, b] : pairs) {
    std::string prefix = ListElement(name, index++, protocol);
    params->emplace_back(prefix + "." + first, a);
    params->emplace_back(prefix + "." + second, b);
  }
}

base::Result<XmlDocument> XmlDocument::Parse(std::string_view body) {
  XmlDocument doc;
  doc.doc_ = std::make_shared<pugi::xml_document>();
  pugi::xml_parse_result parsed = doc.doc_->load_buffer(body.data(), body.size());
  if (!parsed) {
    return base::InternalError(std::string("malformed XML in AWS response: ") +
                               parsed.description() + " at offset " +
                               std::to_string(parsed.offset));
  }
  if (!doc.doc_->document_element()) return base::InternalError("empty XML in AWS response");
  return doc;
}

std::string_view LocalName(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) return child;
  }
  return {};
}

std::string ChildText(pugi::xml_node node, std::string_view name) {
  return Child(node, name).child_value();
}

std::vector<pugi::xml_node> ListItems(pugi::xml_node node, std::string_view list,
                                      std::string_view item) {
  std::vector<pugi::xml_node> items;
  pugi::xml_node container = Child(node, list);
  for (pugi::xml_node child = container.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && LocalName(child) == item) items.push_back(child);
  }
  return items;
}

std::optional<AwsError> ParseAwsError(std::string_view body) {
  auto doc = XmlDocument::Parse(body);
  if (!doc.ok()) return std::nullopt;
  pugi::xml_node root = doc->root();
  pugi::xml_node error;
  if (LocalName(root) == "ErrorResponse") {
    error = Child(root, "Error");
  } else if (LocalName(root) == "Response") {
    error = Child(Child(root, "Errors"), "Error");
  } else if (LocalName(root) == "Error") {
    error = root;
  }
  if (!error) return std::nullopt;
  AwsError out;
  out.code = ChildText(error, "Code");
  out.message = ChildText(error, "Message");
  out.type = ChildText(error, "Type");
  out.request_id = ChildText(root, "RequestId");
  if (out.request_id.empty()) out.request_id = ChildText(root, "RequestID");
  if (out.code.empty()) return std::nullopt;
  return out;
}

namespace {

bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

base::ErrorKind ErrorKindFor(int http_status, const std::string& code, const std::string& message) {
  if (IsThrottlingCode(code) || http_status == 429) return base::ErrorKind::kThrottled;
  if (IsTransientCode(code) || (http_status >= 500 && http_status != 501)) {
    return base::ErrorKind::kTransient;
  }
  if (code == "ValidationError") {
    if (Contains(message, "does not exist")) return base::ErrorKind::kNotFound;
    if (Contains(message, "can not be updated") || Contains(message, "cannot be updated") ||
        Contains(message, "state and can not") || Contains(message, "cannot be deleted") ||
        Contains(message, "IN_PROGRESS state")) {
      return base::ErrorKind::kConflict;
    }
    return base::ErrorKind::kInvalid;
  }
  // A 404 with no error code: S3's answer to HEAD of a missing key, which has no body.
  if (http_status == 404 && code.empty()) return base::ErrorKind::kNotFound;
  if (code.ends_with("NotFound") || code.ends_with("NotFoundException") ||
      code.ends_with(".NotFound") || code == "NoSuchBucket" || code == "NoSuchKey" ||
      code == "NoSuchEntity" || code == "ChangeSetNotFound") {
    return base::ErrorKind::kNotFound;
  }
  if (code == "AlreadyExistsException" || code == "InvalidChangeSetStatus" ||
      code == "InvalidChangeSetStatusException" || code == "TokenAlreadyExistsException" ||
      code == "OperationInProgressException" || code == "ConcurrentModificationException" ||
      code == "ConditionalCheckFailedException" || code == "TransactionConflictException" ||
      code == "ResourceInUseException") {
    return base::ErrorKind::kConflict;
  }
  return base::ErrorKind::kInvalid;
}

base::Status ErrorStatusFromResponse(int http_status, std::string_view body) {
  if (std::optional<AwsError> error = ParseAwsError(body)) {
    return base::Status(ErrorKindFor(http_status, error->code, error->message),
                        error->code + ": " + error->message);
  }
  std::string snippet(body.substr(0, 200));
  for (char& c : snippet) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string message = "HTTP " + std::to_string(http_status);
  if (!snippet.empty()) message += ": " + snippet;
  return base::Status(ErrorKindFor(http_status, "", ""), message);
}

}  // namespace ecsync::aws
