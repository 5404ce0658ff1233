#include "server/request_reader.h"

#include <algorithm>

#include "base/strings.h"

namespace ecsync::server {

namespace {

// Empty lines tolerated before a request line (RFC 9112 2.2 asks servers to skip at least
// one, left over from a previous request's body).
constexpr int kMaxLeadingEmptyLines = 4;

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

// Visible ASCII and obs-text; no controls, no spaces.
bool IsTargetChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}

// Field values: visible characters, spaces, tabs and obs-text.
bool IsValueChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

// Optional whitespace around field values and list items (RFC 9110 5.6.3).
constexpr std::string_view kOws = " \t";

// Whether the comma-separated list `value` holds `token` (any case).
bool ListHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = base::TrimAscii(value.substr(0, comma), kOws);
    if (base::EqualsIgnoreAsciiCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

RequestReader::State RequestReader::Fail(int status, std::string reason) {
  phase_ = Phase::kError;
  error_status_ = status;
  error_reason_ = std::move(reason);
  expects_continue_ = false;
  buffer_.clear();
  return State::kError;
}

RequestReader::State RequestReader::Feed(std::string_view data) {
  if (phase_ == Phase::kError) return State::kError;
  buffer_.append(data);
  if (phase_ == Phase::kDone) return State::kComplete;
  return Parse();
}

RequestReader::State RequestReader::Next() {
  if (phase_ == Phase::kError) return State::kError;
  request_ = Request();
  phase_ = Phase::kRequestLine;
  scanned_ = 0;
  empty_lines_ = 0;
  header_bytes_ = 0;
  body_length_ = 0;
  expects_continue_ = false;
  return Parse();
}

RequestReader::State RequestReader::Parse() {
  while (phase_ == Phase::kRequestLine || phase_ == Phase::kHeaders) {
    size_t newline = buffer_.find('\n', scanned_);
    if (newline == std::string::npos) {
      scanned_ = buffer_.size();
      // Refuse as soon as an unfinished line is already over its limit.
      if (phase_ == Phase::kRequestLine && buffer_.size() > limits_.max_request_line) {
        return Fail(414, "request line too long");
      }
      if (phase_ == Phase::kHeaders && header_bytes_ + buffer_.size() > limits_.max_header_bytes) {
        return Fail(431, "request header fields too large");
      }
      return State::kNeedMore;
    }
    std::string_view line(buffer_.data(), newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (phase_ == Phase::kRequestLine) {
      if (newline > limits_.max_request_line) return Fail(414, "request line too long");
      if (line.empty()) {
        if (++empty_lines_ > kMaxLeadingEmptyLines) return Fail(400, "malformed request line");
      } else {
        if (!ParseRequestLine(line)) return State::kError;
        phase_ = Phase::kHeaders;
      }
    } else {
      header_bytes_ += newline + 1;
      if (header_bytes_ > limits_.max_header_bytes) {
        return Fail(431, "request header fields too large");
      }
      if (line.empty()) {
        buffer_.erase(0, newline + 1);
        scanned_ = 0;
        State state = FinishHead();
        if (state != State::kNeedMore || phase_ != Phase::kBody) return state;
        break;
      }
      if (request_.headers.size() >= limits_.max_header_count) {
        return Fail(431, "too many request header fields");
      }
      if (!ParseHeaderLine(line)) return State::kError;
    }
    buffer_.erase(0, newline + 1);
    scanned_ = 0;
  }
  if (phase_ == Phase::kBody) {
    size_t wanted = body_length_ - request_.body.size();
    size_t taken = std::min(wanted, buffer_.size());
    request_.body.append(buffer_, 0, taken);
    buffer_.erase(0, taken);
    if (request_.body.size() < body_length_) return State::kNeedMore;
    phase_ = Phase::kDone;
    expects_continue_ = false;
  }
  return phase_ == Phase::kDone ? State::kComplete : State::kNeedMore;
}

bool RequestReader::ParseRequestLine(std::string_view line) {
  size_t first = line.find(' ');
  size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    Fail(400, "malformed request line");
    return false;
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, last - first - 1);
  std::string_view version = line.substr(last + 1);
  if (!IsToken(method) || target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), IsTargetChar)) {
    Fail(400, "malformed request line");
    return false;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    Fail(400, "malformed request line");
    return false;
  }
  if (version[5] != '1') {
    Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    return false;
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  size_t question = target.find('?');
  request_.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request_.query = std::string(target.substr(question + 1));
  request_.minor_version = version[7] - '0';
  return true;
}

bool RequestReader::ParseHeaderLine(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    Fail(400, "obsolete header line folding");
    return false;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    Fail(400, "malformed header field");
    return false;
  }
  std::string_view value = base::TrimAscii(line.substr(colon + 1), kOws);
  if (!std::all_of(value.begin(), value.end(), IsValueChar)) {
    Fail(400, "malformed header field");
    return false;
  }
  request_.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return true;
}

RequestReader::State RequestReader::FinishHead() {
  bool have_length = false;
  size_t length = 0;
  bool too_large = false;
  for (const auto& [name, value] : request_.headers) {
    if (base::EqualsIgnoreAsciiCase(name, "Transfer-Encoding")) {
      return Fail(411, "Transfer-Encoding is not supported; send Content-Length");
    }
    if (!base::EqualsIgnoreAsciiCase(name, "Content-Length")) continue;
    if (value.empty() ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(400, "invalid Content-Length");
    }
    // Past 18 digits the number no longer fits; it is over any limit anyway.
    size_t parsed = 0;
    bool huge = value.size() > 18;
    if (!huge) parsed = std::stoull(value);
    if (have_length && (huge != too_large || parsed != length)) {
      return Fail(400, "conflicting Content-Length");
    }
    have_length = true;
    too_large = huge;
    length = parsed;
  }
  const std::string* connection = request_.Header("Connection");
  if (request_.minor_version == 0) {
    request_.keep_alive = connection != nullptr && ListHasToken(*connection, "keep-alive");
  } else {
    request_.keep_alive = connection == nullptr || !ListHasToken(*connection, "close");
  }
  if (too_large || length > limits_.max_body_bytes) {
    // Keep the head for the handler that words the answer; drop whatever body came.
    Request head = std::move(request_);
    Fail(413, "request body too large");
    request_ = std::move(head);
    request_.keep_alive = false;
    return State::kError;
  }
  body_length_ = length;
  const std::string* expect = request_.Header("Expect");
  expects_continue_ = expect != nullptr && request_.minor_version == 1 && length > 0 &&
                      base::EqualsIgnoreAsciiCase(*expect, "100-continue");
  phase_ = length == 0 ? Phase::kDone : Phase::kBody;
  return length == 0 ? State::kComplete : State::kNeedMore;
}

}  // namespace ecsync::server
