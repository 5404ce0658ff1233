#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "server/request.h"

namespace ecsync::server {

// Bounds on what one request may make the server hold. Every byte the reader keeps is
// covered by one of them, so a connection costs at most about
// max_request_line + max_header_bytes + max_body_bytes.
struct RequestLimits {
  size_t max_request_line = size_t{8} * 1024;   // longer: 414
  size_t max_header_count = 64;                 // more header lines: 431
  size_t max_header_bytes = size_t{16} * 1024;  // all header lines together, CRLFs included: 431
  size_t max_body_bytes = 1 << 20;  // Content-Length over it: 413, before the body is read
};

// An incremental HTTP/1.0 and 1.1 request parser: feed it bytes as they arrive, in pieces of
// any size, and it says when a request is complete or why it is refused. It does no I/O and
// keeps no global state, so it can be tested and fuzzed on its own. Not thread-safe; one per
// connection.
//
// What it accepts: a request line "METHOD SP origin-form SP HTTP/1.x", header lines
// "name: value" ending in CRLF (a bare LF is accepted too), and a body of exactly
// Content-Length bytes (none without it). What it refuses, with the status to answer:
//   400  malformed request line or header, obsolete line folding, conflicting or invalid
//        Content-Length, a control character in a value
//   411  Transfer-Encoding (chunked bodies are not supported: send Content-Length)
//   413  Content-Length over max_body_bytes (the head is complete: request() names the
//        method, target and headers, so a handler can word the answer)
//   414  request line over max_request_line
//   431  more than max_header_count header lines, or more than max_header_bytes of them
//   505  an HTTP version other than 1.0 and 1.1
// Limits are checked as bytes arrive, before a line is complete, so the buffer never grows
// past them.
class RequestReader {
 public:
  enum class State {
    kNeedMore,  // give it more bytes
    kComplete,  // request() holds a whole request
    kError,     // refused: error_status() says with what; the connection should close
  };

  explicit RequestReader(RequestLimits limits) : limits_(limits) {}

  // Appends `data` and parses as far as possible. After kComplete, further bytes (a pipelined
  // next request) are kept; call Next() to start on them. After kError, every call returns
  // kError.
  State Feed(std::string_view data);

  // Starts the next request on the same connection, with any bytes already received after
  // the last one; returns what those bytes amount to (kNeedMore when none).
  // REQUIRES: the last Feed()/Next() returned kComplete.
  State Next();

  // The request. REQUIRES: kComplete, or kError with error_status() 413 (then the body is
  // empty), or head_complete().
  const Request& request() const { return request_; }
  Request& mutable_request() { return request_; }
  // The HTTP status to refuse with. REQUIRES: the state is kError.
  int error_status() const { return error_status_; }
  // A short, fixed, client-safe reason ("too many header fields").
  const std::string& error_reason() const { return error_reason_; }

  // True once the request line and headers are parsed (the body may still be coming).
  bool head_complete() const { return phase_ == Phase::kBody || phase_ == Phase::kDone; }
  // True when no byte of the current request has arrived yet.
  bool idle() const { return phase_ == Phase::kRequestLine && buffer_.empty(); }
  // The client asked for "Expect: 100-continue" and the body is acceptable so far.
  bool expects_continue() const { return expects_continue_; }

 private:
  enum class Phase { kRequestLine, kHeaders, kBody, kDone, kError };

  State Parse();
  State Fail(int status, std::string reason);
  // Returns false (and fails) when the line is not a valid request line.
  bool ParseRequestLine(std::string_view line);
  bool ParseHeaderLine(std::string_view line);
  // Called when the empty line ends the headers.
  State FinishHead();

  RequestLimits limits_;
  Phase phase_ = Phase::kRequestLine;
  std::string buffer_;   // received, not yet consumed bytes
  size_t scanned_ = 0;   // bytes of buffer_ known to hold no '\n'
  int empty_lines_ = 0;  // empty lines before this request's request line
  size_t header_bytes_ = 0;
  size_t body_length_ = 0;
  bool expects_continue_ = false;
  Request request_;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace ecsync::server
