#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ecsync::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
  // First header named `name` (case-insensitive), or "".
  std::string Header(const std::string& name) const;
};

// Sends one HTTP request. The test seam for everything above it. Implementations are
// thread-safe. Any HTTP status is a response; only failing to get one is an error
// (kTransient for network trouble and timeouts, kInvalid for a malformed URL).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual base::Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  // PEM bundle replacing the system CAs (AWS_CA_BUNDLE); empty: system default.
  std::string ca_bundle;
};

// HttpClient over libcurl. TLS peer and host verification are always on; proxies come from
// the standard environment variables as libcurl reads them. Easy handles are pooled and
// reused (keeping connections alive) across calls and threads.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  base::Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  void* Acquire();
  void Release(void* handle);

  const CurlOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* easy handles not in use
};

// Splits "scheme://authority/path?query" into its parts; path defaults to "/".
struct ParsedUrl {
  std::string scheme;
  std::string host;  // authority: host[:port] as written (the Host header's value)
  std::string path;
  std::string query;
};
base::Result<ParsedUrl> ParseUrl(const std::string& url);

}  // namespace ecsync::aws
