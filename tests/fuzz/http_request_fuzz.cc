// libFuzzer target: arbitrary bytes through the HTTP request reader, cut into pieces at
// places the input chooses, so every split of a line, header or body is tried. Checks the
// reader's contract besides not crashing: a complete request's body has exactly its
// Content-Length, limits hold, and an error is final.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/request_reader.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ecsync::server::RequestReader;
  ecsync::server::RequestLimits limits;
  limits.max_request_line = 256;
  limits.max_header_count = 8;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 1024;
  if (size < 1) return 0;
  // The first byte picks the piece size (1..16 bytes); the rest is the stream.
  const size_t piece = 1 + (data[0] % 16);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  RequestReader reader(limits);
  int requests = 0;
  while (!stream.empty()) {
    std::string_view chunk = stream.substr(0, piece);
    stream.remove_prefix(chunk.size());
    RequestReader::State state = reader.Feed(chunk);
    while (state == RequestReader::State::kComplete) {
      const auto& request = reader.request();
      Check(!request.method.empty() && !request.path.empty() && request.path[0] == '/');
      Check(request.headers.size() <= limits.max_header_count);
      Check(request.body.size() <= limits.max_body_bytes);
      const std::string* length = request.Header("Content-Length");
      Check(length != nullptr ? std::stoull(*length) == request.body.size() : request.body.empty());
      ++requests;
      state = reader.Next();
    }
    if (state == RequestReader::State::kError) {
      const int status = reader.error_status();
      Check(status == 400 || status == 411 || status == 413 || status == 414 || status == 431 ||
            status == 505);
      Check(reader.Feed("GET / HTTP/1.1\r\n\r\n") == RequestReader::State::kError);
      break;
    }
  }
  (void)requests;
  return 0;
}
