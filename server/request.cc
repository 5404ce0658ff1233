#include "server/request.h"

#include <utility>

#include "base/strings.h"

namespace ecsync::server {

const std::string* Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (base::EqualsIgnoreAsciiCase(key, name)) return &value;
  }
  return nullptr;
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

const char* ReasonPhrase(int status) {
  static constexpr std::pair<int, const char*> kPhrases[] = {
      {100, "Continue"},
      {200, "OK"},
      {202, "Accepted"},
      {204, "No Content"},
      {304, "Not Modified"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {411, "Length Required"},
      {413, "Content Too Large"},
      {414, "URI Too Long"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {503, "Service Unavailable"},
      {505, "HTTP Version Not Supported"},
  };
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "Unknown";
}

namespace {

// The status line, Content-Type and the response's own headers.
std::string HeadStart(const Response& response) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  if (!response.content_type.empty()) out += "Content-Type: " + response.content_type + "\r\n";
  for (const auto& [name, value] : response.headers)
    out.append(name).append(": ").append(value).append("\r\n");
  return out;
}

}  // namespace

std::string SerializeStreamHead(const Response& response) {
  return HeadStart(response) + "Connection: close\r\n\r\n" + response.body;
}

std::string SerializeResponse(const Response& response, bool close, bool head_request) {
  std::string out = HeadStart(response);
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  if (!head_request) out += response.body;
  return out;
}

}  // namespace ecsync::server
