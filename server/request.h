#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecsync::server {

// One parsed HTTP/1.x request. Header names keep the client's spelling; look them up with
// Header(), which ignores case.
struct Request {
  std::string method;     // e.g. "GET", case-sensitive as RFC 9110 says
  std::string target;     // the request target as sent, e.g. "/hooks/github?x=1"
  std::string path;       // target up to '?'
  std::string query;      // after '?', without it; "" when none
  int minor_version = 1;  // HTTP/1.<minor_version>
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's IP address as the socket sees it (a proxy's, behind one); "" in tests
  // that build a Request by hand.
  std::string peer_address;
  // Whether the connection may carry another request after this one.
  bool keep_alive = true;

  // The first header named `name` (any case), or nullptr.
  const std::string* Header(std::string_view name) const;
  // GET or HEAD: a read, answered alike (a HEAD without the body).
  bool IsRead() const { return method == "GET" || method == "HEAD"; }
};

// What a handler answers. The listener adds Content-Length, Connection and, when not set in
// `headers`, nothing else: handlers name their own Content-Type.
struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Close the connection after this response even when the client would keep it.
  bool close = false;
  // An event stream (text/event-stream): the head and `body` are sent without a
  // Content-Length, then the connection stays open and receives every Listener::Broadcast()
  // until the client leaves or the listener stops (see Listener::Options::max_streams).
  bool stream = false;

  static Response Text(int status, std::string body);
};

// "Not Found" for 404 and so on; "Unknown" for codes this server never sends.
const char* ReasonPhrase(int status);

// The bytes on the wire: status line, the response's headers, Content-Length, Connection
// ("close" when `close`), an empty line and the body. A HEAD request gets no body bytes.
std::string SerializeResponse(const Response& response, bool close, bool head_request);
// The head of a stream response (no Content-Length; "Connection: close", since the stream
// ends only when the connection does) followed by its body.
std::string SerializeStreamHead(const Response& response);

}  // namespace ecsync::server
